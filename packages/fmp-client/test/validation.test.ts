import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFmpClient, FmpResponseError } from '../src/index.js';
import { API_KEY, BASE, FAST_RETRY, fixtureJson, useMswServer } from './helpers.js';

const server = useMswServer();
const FULL_AAPL = 'stable_historical-price-eod_full__AAPL_2023-01-01_2023-01-10__openbb_cassette.json';
const PRICES = `${BASE}/stable/historical-price-eod/full`;
const RANGE = { from: '2023-01-01', to: '2023-01-10' };

function client(attempts = 3) {
  return createFmpClient({
    apiKey: API_KEY,
    baseUrl: BASE,
    rateLimit: null,
    retry: { ...FAST_RETRY, attempts },
  });
}

describe('row validation', () => {
  it('drops each invalid row with its reason and keeps the valid rows of the same response', async () => {
    const rows = fixtureJson<Record<string, unknown>[]>(FULL_AAPL);
    const broken = [
      rows[0],
      { ...rows[1], close: null },
      { ...rows[2], high: 120, low: 125 },
      { ...rows[3], volume: -5 },
      { ...rows[4], date: '2023-02-30' },
      (({ close: _c, ...rest }) => rest)(rows[5]!),
      'not a row',
    ];
    server.use(http.get(PRICES, () => HttpResponse.json(broken)));
    const c = client();
    const result = await c.getDailyPrices('AAPL', RANGE);
    expect(result.rows.map((r) => r.date)).toEqual(['2023-01-10']);
    expect(result.invalid).toEqual([
      { index: 1, symbol: 'AAPL', date: '2023-01-09', reason: 'close is missing' },
      { index: 2, symbol: 'AAPL', date: '2023-01-06', reason: 'high (120) is below low (125)' },
      { index: 3, symbol: 'AAPL', date: '2023-01-05', reason: 'volume is negative (-5)' },
      { index: 4, symbol: 'AAPL', date: '2023-02-30', reason: 'date is not a date ("2023-02-30")' },
      { index: 5, symbol: 'AAPL', date: '2023-01-03', reason: 'close is missing' },
      { index: 6, reason: 'row is not an object ("not a row")' },
    ]);
    expect(c.stats.invalidRows).toBe(6);
  });

  it('normalises timestamps to ISO dates and symbols to upper case', async () => {
    server.use(
      http.get(`${BASE}/stable/discounted-cash-flow`, () =>
        HttpResponse.json([
          { symbol: ' brk-b ', date: '2026-04-08 00:00:00', dcf: '412.5', 'Stock Price': 401 },
        ]),
      ),
    );
    expect((await client().getDcf('BRK-B')).rows).toEqual([
      { symbol: 'BRK-B', date: '2026-04-08', dcf: 412.5, stockPrice: 401 },
    ]);
  });

  it('reports a CSV row with the wrong number of fields in the middle of a bulk file', async () => {
    const csv =
      'symbol,date,open,low,high,close,adjClose,volume\nAAA,2024-10-22,1,1,2,1.5,1.5,100\nBBB,2024-10-22,1\nCCC,2024-10-22,3,2.5,3.5,3,3,7\n';
    server.use(http.get(`${BASE}/stable/eod-bulk`, () => HttpResponse.text(csv)));
    const result = await client().getEodBulk('2024-10-22');
    expect(result.rows.map((r) => r.symbol)).toEqual(['AAA', 'CCC']);
    expect(result.invalid).toEqual([
      { index: 1, symbol: 'BBB', date: '2024-10-22', reason: 'row has 3 fields, expected 8' },
    ]);
  });
});

describe('malformed bodies', () => {
  const cases: [string, () => Response][] = [
    ['an HTML page', () => HttpResponse.html('<html><body>Bad gateway</body></html>')],
    ['truncated JSON', () => HttpResponse.text('[{"symbol":"AAPL","date":"2023-01-10","open":130.2')],
    ['an object where an array belongs', () => HttpResponse.json({ symbol: 'AAPL', historical: [] })],
    ['an empty body', () => new HttpResponse(null, { status: 200 })],
  ];

  for (const [name, respond] of cases) {
    it(`retries ${name} and recovers when the next answer is good`, async () => {
      let calls = 0;
      server.use(
        http.get(PRICES, () => {
          calls += 1;
          return calls === 1 ? respond() : HttpResponse.json(fixtureJson(FULL_AAPL));
        }),
      );
      const c = client();
      const result = await c.getDailyPrices('AAPL', RANGE);
      expect(result.rows).toHaveLength(6);
      expect(calls).toBe(2);
      expect(c.stats).toMatchObject({
        requests: 2,
        retries: 1,
        errors: expect.objectContaining({ RESPONSE: 1 }),
      });
    });
  }

  it('gives up with FmpResponseError after the configured attempts', async () => {
    let calls = 0;
    server.use(
      http.get(PRICES, () => {
        calls += 1;
        return HttpResponse.html('<html>maintenance</html>');
      }),
    );
    const error = await client(3)
      .getDailyPrices('AAPL', RANGE)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpResponseError);
    expect(error).toMatchObject({ code: 'RESPONSE', status: 200, symbol: 'AAPL', attempts: 3 });
    expect((error as Error).message).toContain('HTML page');
    expect(calls).toBe(3);
  });

  it('treats a bulk CSV cut off mid-row as truncated and retries it', async () => {
    const full =
      'symbol,date,open,low,high,close,adjClose,volume\nAAA,2024-10-22,1,1,2,1.5,1.5,100\nBBB,2024-10-22,3,2.5,3.5,3,3,7\n';
    let calls = 0;
    server.use(
      http.get(`${BASE}/stable/eod-bulk`, () => {
        calls += 1;
        return HttpResponse.text(calls === 1 ? full.slice(0, full.length - 12) : full);
      }),
    );
    const result = await client().getEodBulk('2024-10-22');
    expect(result.rows.map((r) => r.symbol)).toEqual(['AAA', 'BBB']);
    expect(calls).toBe(2);
  });

  it('rejects a CSV whose header lacks a required column', async () => {
    server.use(
      http.get(`${BASE}/stable/dcf-bulk`, () => HttpResponse.text('symbol,date,dcf\nAAA,2025-07-09,1\n')),
    );
    await expect(client(1).getDcfBulk()).rejects.toThrow(/CSV header lacks Stock Price/);
  });
});

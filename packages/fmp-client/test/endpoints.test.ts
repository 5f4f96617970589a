import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFmpClient, FmpPlanError } from '../src/index.js';
import { deriveBarFields } from '../src/validate.js';
import { API_KEY, BASE, errorFixture, fixtureJson, fixtureText, useMswServer } from './helpers.js';

const server = useMswServer();

interface RecordedBar {
  symbol: string;
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  change: number;
  changePercent: number;
  vwap: number;
}

const FULL_AAPL = 'stable_historical-price-eod_full__AAPL_2023-01-01_2023-01-10__openbb_cassette.json';

function client() {
  return createFmpClient({ apiKey: API_KEY, baseUrl: BASE, rateLimit: null });
}

describe('getDailyPrices', () => {
  it('sends symbol, from and to as query and the key only in the apikey header', async () => {
    const seen: { url: string; apikey: string | null }[] = [];
    server.use(
      http.get(`${BASE}/stable/historical-price-eod/full`, ({ request }) => {
        seen.push({ url: request.url, apikey: request.headers.get('apikey') });
        return HttpResponse.json(fixtureJson(FULL_AAPL));
      }),
    );
    await client().getDailyPrices('aapl', { from: '2023-01-01', to: '2023-01-10' });
    expect(seen).toHaveLength(1);
    const url = new URL(seen[0]!.url);
    expect(url.pathname).toBe('/stable/historical-price-eod/full');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      symbol: 'AAPL',
      from: '2023-01-01',
      to: '2023-01-10',
    });
    expect(seen[0]!.url).not.toContain(API_KEY);
    expect(seen[0]!.apikey).toBe(API_KEY);
  });

  it('returns the recorded bars typed and newest first, exactly as FMP sent them', async () => {
    server.use(
      http.get(`${BASE}/stable/historical-price-eod/full`, () => HttpResponse.json(fixtureJson(FULL_AAPL))),
    );
    const c = client();
    const result = await c.getDailyPrices('AAPL', { from: '2023-01-01', to: '2023-01-10' });
    expect(result.invalid).toEqual([]);
    expect(c.stats).toMatchObject({ requests: 1, retries: 0, rateLimited: 0, invalidRows: 0 });
    expect(c.stats.bytesReceived).toBe(Buffer.byteLength(JSON.stringify(fixtureJson(FULL_AAPL))));
    expect(result.rows.map((r) => r.date)).toEqual([
      '2023-01-10',
      '2023-01-09',
      '2023-01-06',
      '2023-01-05',
      '2023-01-04',
      '2023-01-03',
    ]);
    expect(result.rows[0]).toEqual({
      symbol: 'AAPL',
      date: '2023-01-10',
      open: 130.26,
      high: 131.26,
      low: 128.12,
      close: 130.73,
      volume: 63896200,
      vwap: 130.0925,
      change: 0.47,
      changePercent: 0.36082,
    });
  });

  it('takes the requested symbol for rows that omit it and derives missing vwap and change', async () => {
    server.use(
      http.get(`${BASE}/stable/historical-price-eod/full`, () =>
        HttpResponse.json([
          { date: '2025-02-04', open: 227.2, high: 233.13, low: 226.65, close: 232.8, volume: 44489128 },
        ]),
      ),
    );
    const { rows } = await client().getDailyPrices('aapl', { from: '2025-02-04', to: '2025-02-04' });
    // The same bar in FMP's docs sample carries change 5.6 and changePercent 2.46479. Its vwap (230.86) is
    // the legacy (h+l+c)/3; the real 2025 recording uses (o+h+l+c)/4, which is what we derive.
    const docs = fixtureJson<RecordedBar[]>('stable_historical-price-eod_full__fmp_docs_sample.json')[0]!;
    expect(rows[0]).toMatchObject({ symbol: 'AAPL', change: docs.change, changePercent: docs.changePercent });
    expect(rows[0]!.vwap).toBe(229.945);
  });
});

describe('derived bulk fields', () => {
  it('match FMP /full values on every row of the real recording', () => {
    const recorded = fixtureJson<RecordedBar[]>(FULL_AAPL);
    for (const bar of recorded) {
      const derived = deriveBarFields(bar);
      expect(derived.vwap).toBe(bar.vwap);
      // FMP prints changePercent with 5 decimals, sometimes 2: agree to FMP's own precision.
      expect(Math.abs(derived.changePercent! - bar.changePercent)).toBeLessThanOrEqual(0.005);
      // 2023-01-09 is FMP's one oddity: change -0.315 while close - open = -0.32 and its own
      // changePercent (-0.24527) is computed from -0.32.
      if (bar.date !== '2023-01-09') expect(derived.change).toBe(bar.change);
      else expect(((derived.change / bar.open) * 100).toFixed(5)).toBe(bar.changePercent.toFixed(5));
    }
  });
});

describe('getDcf', () => {
  it('maps the "Stock Price" key of the real payload to stockPrice', async () => {
    server.use(
      http.get(`${BASE}/stable/discounted-cash-flow`, ({ request }) => {
        expect(new URL(request.url).searchParams.get('symbol')).toBe('AAPL');
        return HttpResponse.json(fixtureJson('stable_discounted-cash-flow__fmp_docs_sample.json'));
      }),
    );
    const result = await client().getDcf('AAPL');
    expect(result).toEqual({
      rows: [{ symbol: 'AAPL', date: '2026-04-08', dcf: 159.36622443786206, stockPrice: 258.25 }],
      invalid: [],
    });
  });

  it('treats an empty array as no data, not an error', async () => {
    server.use(http.get(`${BASE}/stable/discounted-cash-flow`, () => HttpResponse.json([])));
    expect(await client().getDcf('ZZZZ')).toEqual({ rows: [], invalid: [] });
  });
});

describe('getEodBulk', () => {
  it('parses the CSV sample, derives vwap and change as on /full and drops adjClose', async () => {
    server.use(
      http.get(`${BASE}/stable/eod-bulk`, ({ request }) => {
        expect(new URL(request.url).searchParams.get('date')).toBe('2024-10-22');
        return HttpResponse.text(fixtureText('stable_eod-bulk__fmp_docs_sample_as_csv.csv'), {
          headers: { 'content-type': 'text/csv' },
        });
      }),
    );
    const { rows, invalid } = await client().getEodBulk('2024-10-22');
    expect(invalid).toEqual([]);
    expect(rows).toEqual([
      {
        symbol: 'EGS745W1C011.CA',
        date: '2024-10-22',
        open: 2.67,
        low: 2.7,
        high: 2.9,
        close: 2.93,
        volume: 920904,
        vwap: 2.8,
        change: 0.26,
        changePercent: 9.73783,
      },
    ]);
  });

  it('reads columns by header name, so quoted fields and reordered columns work', async () => {
    const csv =
      'date,symbol,close,open,high,low,volume,adjClose\r\n"2024-10-22","brk-b","410.5","400","412","399.5","1,000",""\r\n';
    server.use(http.get(`${BASE}/stable/eod-bulk`, () => HttpResponse.text(csv)));
    const { rows, invalid } = await client().getEodBulk('2024-10-22');
    // "1,000" is not a number: the row is reported, not silently misread as 1.
    expect(rows).toEqual([]);
    expect(invalid).toEqual([
      { index: 0, symbol: 'BRK-B', date: '2024-10-22', reason: 'volume is not a number ("1,000")' },
    ]);
  });

  it('accepts the JSON rendering of the docs sample as well', async () => {
    server.use(
      http.get(`${BASE}/stable/eod-bulk`, () =>
        HttpResponse.json(fixtureJson('stable_eod-bulk__fmp_docs_sample.json')),
      ),
    );
    const { rows } = await client().getEodBulk('2024-10-22');
    expect(rows[0]).toMatchObject({ symbol: 'EGS745W1C011.CA', close: 2.93, volume: 920904 });
  });
});

describe('getDcfBulk', () => {
  it('parses the CSV sample with its "Stock Price" column', async () => {
    server.use(
      http.get(`${BASE}/stable/dcf-bulk`, () =>
        HttpResponse.text(fixtureText('stable_dcf-bulk__fmp_docs_sample_as_csv.csv')),
      ),
    );
    expect(await client().getDcfBulk()).toEqual({
      rows: [{ symbol: '000002.SZ', date: '2025-07-09', dcf: 179.6654688379575, stockPrice: 6.54 }],
      invalid: [],
    });
  });

  it('reports a row without a dcf value and keeps the others', async () => {
    const csv = 'symbol,date,dcf,Stock Price\nAAA,2025-07-09,,6.5\nBBB,2025-07-09,12.5,\n';
    server.use(http.get(`${BASE}/stable/dcf-bulk`, () => HttpResponse.text(csv)));
    expect(await client().getDcfBulk()).toEqual({
      rows: [{ symbol: 'BBB', date: '2025-07-09', dcf: 12.5, stockPrice: null }],
      invalid: [{ index: 0, symbol: 'AAA', date: '2025-07-09', reason: 'dcf is missing' }],
    });
  });
});

describe('getStockList', () => {
  it('returns symbols and company names from the docs sample', async () => {
    server.use(
      http.get(`${BASE}/stable/stock-list`, () =>
        HttpResponse.json(fixtureJson('stable_stock-list__fmp_docs_sample.json')),
      ),
    );
    expect(await client().getStockList()).toEqual([
      { symbol: '6898.HK', companyName: 'China Aluminum Cans Holdings Limited' },
    ]);
  });
});

describe('getSymbolChanges', () => {
  const SAMPLE = 'stable_symbol-change__fmp_docs_sample.json';

  it('returns the renames of the docs sample typed, without sending parameters it was not given', async () => {
    const seen: URL[] = [];
    server.use(
      http.get(`${BASE}/stable/symbol-change`, ({ request }) => {
        seen.push(new URL(request.url));
        return HttpResponse.json(fixtureJson(SAMPLE));
      }),
    );
    expect(await client().getSymbolChanges()).toEqual({
      rows: [
        {
          date: '2025-02-03',
          companyName: 'XPLR Infrastructure, LP Common Units representing limited partner interests',
          oldSymbol: 'NEP',
          newSymbol: 'XIFR',
        },
      ],
      invalid: [],
    });
    expect(seen).toHaveLength(1);
    expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({});
  });

  it('sends invalid and limit as FMP names them', async () => {
    const seen: URL[] = [];
    server.use(
      http.get(`${BASE}/stable/symbol-change`, ({ request }) => {
        seen.push(new URL(request.url));
        return HttpResponse.json([]);
      }),
    );
    expect(await client().getSymbolChanges({ invalid: false, limit: 500 })).toEqual({
      rows: [],
      invalid: [],
    });
    expect(Object.fromEntries(seen[0]!.searchParams)).toEqual({ invalid: 'false', limit: '500' });
  });

  it('refuses a limit that is not a positive integer before sending anything', async () => {
    await expect(client().getSymbolChanges({ limit: 0 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      endpoint: '/stable/symbol-change',
    });
  });

  it('drops rows without both symbols or with the same symbol twice, and upper-cases the rest', async () => {
    server.use(
      http.get(`${BASE}/stable/symbol-change`, () =>
        HttpResponse.json([
          { date: '2025-02-03', companyName: 'Kept', oldSymbol: 'nep', newSymbol: 'xifr' },
          { date: '2025-02-04', companyName: 'No new symbol', oldSymbol: 'AAA' },
          { date: '2025-02-05', companyName: '', oldSymbol: 'BBB', newSymbol: 'BBB' },
        ]),
      ),
    );
    const result = await client().getSymbolChanges();
    expect(result.rows).toEqual([
      { date: '2025-02-03', companyName: 'Kept', oldSymbol: 'NEP', newSymbol: 'XIFR' },
    ]);
    expect(result.invalid.map((row) => row.index)).toEqual([1, 2]);
    expect(result.invalid[0]!.reason).toBe('newSymbol is missing');
  });

  it('rejects a 402 as a plan error on the endpoint, not retried', async () => {
    let calls = 0;
    const fixture = errorFixture('402_restricted_endpoint.json');
    server.use(
      http.get(`${BASE}/stable/symbol-change`, () => {
        calls += 1;
        return HttpResponse.text(fixture.body_text_variant!, { status: 402 });
      }),
    );
    const error = await client()
      .getSymbolChanges()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FmpPlanError);
    expect(error).toMatchObject({
      code: 'PLAN',
      status: 402,
      scope: 'endpoint',
      endpoint: '/stable/symbol-change',
    });
    expect(calls).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { SandboxCore } from '../src/index.js';
import { AFTER_CLOSE, body, fixture, get, json } from './helpers.js';

type Row = Record<string, unknown>;

function shape(row: Row): Array<[string, string]> {
  return Object.entries(row).map(([k, v]) => [k, typeof v]);
}

const core = new SandboxCore({ seed: 7, now: AFTER_CLOSE });
const symbol = core.market.fmpSymbols()[3]!;

describe('answers compared field by field with real FMP payloads', () => {
  it('gives /historical-price-eod/full rows with the recorded keys, key order and types, newest first', () => {
    const real = fixture<Row[]>(
      'stable_historical-price-eod_full__AAPL_2023-01-01_2023-01-10__openbb_cassette.json',
    );
    const docs = fixture<Row[]>('stable_historical-price-eod_full__fmp_docs_sample.json');
    const ours = json<Row[]>(
      get(core, '/stable/historical-price-eod/full', { symbol, from: '2023-01-01', to: '2023-01-10' }),
    );
    // Same range as the recording: the same six sessions (Jan 2 2023 was the New Year holiday).
    expect(ours.map((r) => r.date)).toEqual(real.map((r) => r.date));
    for (const row of ours) {
      expect(shape(row)).toEqual(shape(real[0]!));
      expect(shape(row)).toEqual(shape(docs[0]!));
      expect(Number.isInteger(row.volume)).toBe(true);
    }
  });

  it('derives vwap, change and changePercent exactly as the recorded rows do', () => {
    const real = fixture<Row[]>(
      'stable_historical-price-eod_full__AAPL_2023-01-01_2023-01-10__openbb_cassette.json',
    );
    const check = (r: Row) => {
      const [o, h, l, c] = [r.open, r.high, r.low, r.close] as number[];
      expect(r.vwap).toBeCloseTo((o! + h! + l! + c!) / 4, 4);
      const pct = ((r.change as number) / o!) * 100;
      expect([Math.round(pct * 1e5) / 1e5, Math.round(pct * 100) / 100]).toContain(r.changePercent);
    };
    // The recording's own rows obey the rule (except the change of one row FMP itself reports oddly).
    for (const r of real)
      expect(r.vwap).toBeCloseTo(
        ((r.open as number) + (r.high as number) + (r.low as number) + (r.close as number)) / 4,
        4,
      );
    const ours = json<Row[]>(
      get(core, '/stable/historical-price-eod/full', { symbol, from: '2025-01-01', to: '2025-12-31' }),
    );
    expect(ours.length).toBe(250);
    for (const r of ours) {
      check(r);
      expect(r.change).toBe(Math.round(((r.close as number) - (r.open as number)) * 100) / 100);
      expect(r.low as number).toBeLessThanOrEqual(Math.min(r.open as number, r.close as number));
      expect(r.high as number).toBeGreaterThanOrEqual(Math.max(r.open as number, r.close as number));
      expect(r.volume as number).toBeGreaterThanOrEqual(0);
    }
  });

  it('gives /discounted-cash-flow the recorded keys, including "Stock Price" with its space', () => {
    const real = fixture<Row[]>('stable_discounted-cash-flow__fmp_docs_sample.json');
    const covered = core.market.dcfSymbols().find((s) => core.market.fmpSymbols().includes(s))!;
    const ours = json<Row[]>(get(core, '/stable/discounted-cash-flow', { symbol: covered }));
    expect(ours).toHaveLength(1);
    expect(shape(ours[0]!)).toEqual(shape(real[0]!));
    expect(ours[0]!.date).toBe('2026-05-05');
  });

  it('answers 200 [] for a symbol without DCF, an unknown symbol and a comma list, as FMP does', () => {
    const real = fixture<{ status: number; body: unknown }>('errors/200_empty_array__no_rows.json');
    const uncovered = core.market.fmpSymbols().find((s) => !core.market.dcfSymbols().includes(s))!;
    for (const reply of [
      get(core, '/stable/discounted-cash-flow', { symbol: uncovered }),
      get(core, '/stable/historical-price-eod/full', {
        symbol: 'NOPE1',
        from: '2026-01-01',
        to: '2026-02-01',
      }),
      get(core, '/stable/historical-price-eod/full', {
        symbol: `${symbol},${uncovered}`,
        from: '2026-01-01',
        to: '2026-02-01',
      }),
      get(core, '/stable/historical-price-eod/full', {
        symbol: core.market.unknownSymbols()[0]!,
        from: '2026-01-01',
        to: '2026-02-01',
      }),
    ]) {
      expect(body(reply).status).toBe(real.status);
      expect(json(reply)).toEqual(real.body);
    }
  });

  it('serves eod-bulk and dcf-bulk as CSV with the recorded headers and column types', () => {
    const eodReal = fixture<string>('stable_eod-bulk__fmp_docs_sample_as_csv.csv').split('\n');
    const dcfReal = fixture<string>('stable_dcf-bulk__fmp_docs_sample_as_csv.csv').split('\n');
    const eod = body(get(core, '/stable/eod-bulk', { date: '2026-05-04' }));
    const dcf = body(get(core, '/stable/dcf-bulk'));
    expect(eod.headers['content-type']).toMatch(/^text\/csv/);
    const eodLines = eod.text.trim().split('\n');
    const dcfLines = dcf.text.trim().split('\n');
    expect(eodLines[0]).toBe(eodReal[0]);
    expect(dcfLines[0]).toBe(dcfReal[0]);
    const numeric = (cells: string[], from: number) =>
      cells.slice(from).every((c) => Number.isFinite(Number(c)) && c !== '');
    for (const line of [...eodLines.slice(1), eodReal[1]!]) {
      const cells = line.split(',');
      expect(cells).toHaveLength(8);
      expect(cells[1]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(numeric(cells, 2)).toBe(true);
      expect(cells[6]).toBe(cells[5]); // adjClose = close without dividends
    }
    for (const line of [...dcfLines.slice(1), dcfReal[1]!]) {
      const cells = line.split(',');
      expect(cells).toHaveLength(4);
      expect(numeric(cells, 2)).toBe(true);
    }
  });

  it('bulk and per-symbol answers agree on the same day', () => {
    const lines = body(get(core, '/stable/eod-bulk', { date: '2026-05-04' }))
      .text.trim()
      .split('\n');
    const line = lines.find((l) => l.startsWith(`${symbol},`))!;
    const [, date, open, low, high, close, , volume] = line.split(',');
    const [bar] = json<Row[]>(
      get(core, '/stable/historical-price-eod/full', { symbol, from: '2026-05-04', to: '2026-05-04' }),
    );
    expect(bar).toMatchObject({
      date,
      open: Number(open),
      low: Number(low),
      high: Number(high),
      close: Number(close),
      volume: Number(volume),
    });
  });

  it('gives /stock-list the recorded keys', () => {
    const real = fixture<Row[]>('stable_stock-list__fmp_docs_sample.json');
    const ours = json<Row[]>(get(core, '/stable/stock-list'));
    expect(ours.length).toBeGreaterThan(2000);
    for (const row of ours.slice(0, 50)) expect(shape(row)).toEqual(shape(real[0]!));
    expect(ours.map((r) => r.symbol)).toContain('MOG-A');
    expect(ours.map((r) => r.symbol)).not.toContain('MOGA');
  });

  it('answers a bad key with FMP 401 body, byte for byte', () => {
    const real = fixture<{ status: number; body: unknown; content_type: string }>(
      'errors/401_invalid_api_key__stable.json',
    );
    for (const reply of [
      get(core, '/stable/stock-list', {}, 'wrong'),
      get(core, '/stable/stock-list', {}, null),
    ]) {
      const r = body(reply);
      expect(r.status).toBe(real.status);
      expect(r.headers['content-type']).toBe(real.content_type);
      expect(JSON.parse(r.text)).toEqual(real.body);
    }
  });

  it('accepts the key as an apikey query parameter too', () => {
    const reply = core.handle({
      method: 'GET',
      path: '/stable/stock-list',
      query: new URLSearchParams({ apikey: 'sandbox-key' }),
      headers: {},
    });
    expect(body(reply).status).toBe(200);
  });

  it('answers a rate-limited request with the captured 429: same body, same length and ETag, no Retry-After', () => {
    const real = fixture<{ status: number; headers: Record<string, string>; body: unknown }>(
      'errors/429_limit_reach__captured_2025-04-30.json',
    );
    const limited = new SandboxCore({ tickers: 10, rpm: 1, now: AFTER_CLOSE });
    get(limited, '/stable/stock-list');
    const r = body(get(limited, '/stable/stock-list'));
    expect(r.status).toBe(real.status);
    expect(JSON.parse(r.text)).toEqual(real.body);
    for (const name of [
      'content-type',
      'content-length',
      'etag',
      'server',
      'x-powered-by',
      'access-control-allow-origin',
      'x-frame-options',
    ]) {
      expect(r.headers[name], name).toBe(real.headers[name]);
    }
    expect(
      Object.keys(r.headers).some(
        (h) => h.toLowerCase() === 'retry-after' || h.toLowerCase().startsWith('x-ratelimit'),
      ),
    ).toBe(false);
  });

  it('answers bulk endpoints below Ultimate with 402 Restricted Endpoint', () => {
    const real = fixture<{ status: number; body_json_variant: unknown }>(
      'errors/402_restricted_endpoint.json',
    );
    const starter = new SandboxCore({ tickers: 10, plan: 'starter', now: AFTER_CLOSE });
    for (const reply of [
      get(starter, '/stable/eod-bulk', { date: '2026-05-04' }),
      get(starter, '/stable/dcf-bulk'),
    ]) {
      expect(body(reply).status).toBe(real.status);
      expect(json(reply)).toEqual(real.body_json_variant);
    }
    expect(
      body(get(starter, '/stable/historical-price-eod/full', { symbol: starter.market.fmpSymbols()[0]! }))
        .status,
    ).toBe(200);
  });

  it('answers legacy paths with 403 Legacy Endpoint and unknown stable paths with 404 []', () => {
    const legacy = fixture<{ status: number; body: unknown }>('errors/403_legacy_endpoint.json');
    const missing = fixture<{ status: number; body: unknown }>('errors/404_empty_array__bad_path.json');
    const l = get(core, '/api/v3/historical-price-full/AAPL');
    expect(body(l).status).toBe(legacy.status);
    expect(json(l)).toEqual(legacy.body);
    const m = get(core, '/stable/historical-price-eod');
    expect(body(m).status).toBe(missing.status);
    expect(json(m)).toEqual(missing.body);
  });

  it('pretty-prints JSON with two spaces as FMP does', () => {
    const text = body(
      get(core, '/stable/discounted-cash-flow', { symbol: core.market.dcfSymbols()[0]! }),
    ).text;
    expect(text.startsWith('[\n  {\n    "symbol": ')).toBe(true);
  });
});

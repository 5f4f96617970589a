import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLASS_LOOKALIKE_TICKERS,
  isNyseSession,
  SandboxCore,
  SHARE_CLASS_TICKERS,
  SyntheticMarket,
} from '../src/index.js';
import { AFTER_CLOSE } from './helpers.js';

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const at = (iso: string) => () => new Date(iso);
/** Restated prices are rounded from the unrounded series, so they may differ from old / ratio by a cent. */
const expectCents = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(0.0101);

describe('the synthetic market', () => {
  it('has a universe of N unique, realistic symbols including the real share classes', () => {
    const m = new SyntheticMarket({ seed: 3, tickers: 2000, now: at(AFTER_CLOSE) });
    const tickers = m.tickers();
    expect(tickers).toHaveLength(2000);
    expect(new Set(tickers.map((t) => t.fmpSymbol)).size).toBe(2000);
    expect(new Set(tickers.map((t) => t.holdingsTicker)).size).toBe(2000);
    const synthetic = tickers.filter((t) => !CLASS_LOOKALIKE_TICKERS.includes(t.fmpSymbol) && !t.shareClass);
    for (const t of synthetic) expect(t.fmpSymbol).toMatch(/^[A-Z]{3,4}$/);
    for (const { fmpSymbol, holdingsTicker } of SHARE_CLASS_TICKERS) {
      const t = tickers.find((x) => x.fmpSymbol === fmpSymbol)!;
      expect(t.holdingsTicker).toBe(holdingsTicker);
      expect(fmpSymbol).toMatch(/^[A-Z]+-[A-Z]$/);
    }
    expect(SHARE_CLASS_TICKERS.map((s) => s.fmpSymbol)).toEqual(['MOG-A', 'GEF-B', 'CRD-A']);
    for (const lookalike of ['ZETA', 'ACVA', 'BELFA', 'RUSHA']) {
      expect(tickers.find((t) => t.fmpSymbol === lookalike)?.holdingsTicker).toBe(lookalike);
    }
  });

  it('covers about 70% of known tickers with a DCF and leaves a few symbols unknown to FMP', () => {
    const m = new SyntheticMarket({ seed: 3, tickers: 2000, now: at(AFTER_CLOSE) });
    const known = m.fmpSymbols();
    const withDcf = known.filter((s) => m.dcf(s).length === 1).length / known.length;
    expect(withDcf).toBeGreaterThan(0.65);
    expect(withDcf).toBeLessThan(0.75);
    const unknown = m.unknownSymbols();
    expect(unknown.length).toBeGreaterThan(0);
    for (const s of unknown) {
      expect(m.bars(s, '2026-01-01', '2026-05-05')).toEqual([]);
      expect(m.dcf(s)).toEqual([]);
    }
  });

  it('gives identical answers in two instances with the same seed, and different ones with another seed', () => {
    const a = new SyntheticMarket({ seed: 11, tickers: 500, now: at(AFTER_CLOSE) });
    const b = new SyntheticMarket({ seed: 11, tickers: 500, now: at(AFTER_CLOSE) });
    const c = new SyntheticMarket({ seed: 12, tickers: 500, now: at(AFTER_CLOSE) });
    expect(a.fmpSymbols()).toEqual(b.fmpSymbols());
    const s = a.fmpSymbols()[42]!;
    expect(a.bars(s, '2020-01-01', '2026-05-05')).toEqual(b.bars(s, '2020-01-01', '2026-05-05'));
    expect(a.holdingsCsv()).toBe(b.holdingsCsv());
    expect(a.fmpSymbols()).not.toEqual(c.fmpSymbols());
  });

  it('gives identical answers in another process', () => {
    const script = fileURLToPath(new URL('./support/market-digest.ts', import.meta.url));
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const run = () =>
      execFileSync(process.execPath, ['--import', 'tsx', script, '5'], { cwd, encoding: 'utf8' });
    const m = new SandboxCore({ seed: 5, tickers: 300, now: AFTER_CLOSE }).market;
    const symbols = m.fmpSymbols();
    const local = {
      symbols: createHash('sha256').update(JSON.stringify(symbols)).digest('hex'),
      bars: sha(symbols.slice(0, 20).map((s) => m.bars(s, '2024-01-01', '2026-05-05'))),
      dcf: sha(m.dcfBulk()),
      holdings: createHash('sha256').update(m.holdingsCsv()).digest('hex'),
    };
    expect(JSON.parse(run())).toEqual(local);
  });

  it('is consistent day to day: a bar never changes when later days are asked for or the clock moves on', () => {
    const early = new SyntheticMarket({ seed: 2, tickers: 100, now: at('2026-03-02T22:00:00Z') });
    const late = new SyntheticMarket({ seed: 2, tickers: 100, now: at('2026-05-05T22:00:00Z') });
    const s = early.fmpSymbols()[7]!;
    const window = early.bars(s, '2026-02-20', '2026-02-27');
    expect(
      late
        .bars(s, '2026-02-01', '2026-03-31')
        .filter((b) => b.date >= '2026-02-20' && b.date <= '2026-02-27'),
    ).toEqual(window);
    expect(late.bars(s, '2026-02-24', '2026-02-24')).toEqual(window.filter((b) => b.date === '2026-02-24'));
  });

  it('serves only NYSE sessions, and a session only once it has closed in New York', () => {
    const s = new SyntheticMarket({ seed: 1, tickers: 60 }).fmpSymbols()[0]!;
    const m = (iso: string) => new SyntheticMarket({ seed: 1, tickers: 60, now: at(iso) });
    const dates = m('2026-01-10T00:00:00Z')
      .bars(s, '2025-12-20', '2026-01-09')
      .map((b) => b.date);
    expect(dates.every((d) => isNyseSession(d))).toBe(true);
    expect(dates).not.toContain('2025-12-25');
    expect(dates).not.toContain('2026-01-01');
    expect(dates).not.toContain('2025-12-27');
    // 2026-05-05 closes at 16:00 EDT = 20:00 UTC.
    expect(m('2026-05-05T19:59:59Z').bars(s, '2026-05-01', '2026-05-08')[0]?.date).toBe('2026-05-04');
    expect(m('2026-05-05T20:00:00Z').bars(s, '2026-05-01', '2026-05-08')[0]?.date).toBe('2026-05-05');
    // The day after Thanksgiving 2025 closes at 13:00 EST = 18:00 UTC.
    expect(m('2025-11-28T17:59:00Z').bars(s, '2025-11-28', '2025-11-28')).toEqual([]);
    expect(m('2025-11-28T18:00:00Z').bars(s, '2025-11-28', '2025-11-28')).toHaveLength(1);
  });

  it('computes any date range, old or long, with OHLC consistent and positive', () => {
    const m = new SyntheticMarket({ seed: 9, tickers: 60, now: at(AFTER_CLOSE) });
    const s = m.fmpSymbols()[5]!;
    const bars = m.bars(s, '1995-01-01', '2026-05-05');
    expect(bars.length).toBeGreaterThan(7800);
    for (const b of bars) {
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      expect(b.low).toBeGreaterThan(0);
      expect(Number.isInteger(b.volume) && b.volume >= 0).toBe(true);
    }
    expect(m.bars(s, '2026-05-05', '2026-05-01')).toEqual([]);
  });

  it('works with a 10,000-ticker universe', () => {
    const m = new SyntheticMarket({ seed: 4, tickers: 10_000, now: at(AFTER_CLOSE) });
    expect(new Set(m.tickers().map((t) => t.fmpSymbol)).size).toBe(10_000);
    const bulk = m.eodBulk('2026-05-05');
    expect(bulk.length).toBeGreaterThan(10_000 * 0.98);
    const last = m.fmpSymbols().at(-1)!;
    expect(m.bars(last, '2026-04-27', '2026-05-05')).toHaveLength(7);
  });
});

describe('splits', () => {
  const base = { seed: 6, tickers: 80 };
  const symbol = new SyntheticMarket(base).fmpSymbols()[10]!;
  const split = { symbol, date: '2026-04-15', ratio: 4 };

  it('serve unadjusted bars before the split date and restate the whole history from it', () => {
    const before = new SyntheticMarket({ ...base, now: at('2026-04-14T21:00:00Z'), splits: [split] });
    const after = new SyntheticMarket({ ...base, now: at('2026-04-15T21:00:00Z'), splits: [split] });
    const none = new SyntheticMarket({ ...base, now: at('2026-04-14T21:00:00Z') });
    const old = before.bars(symbol, '2026-01-01', '2026-04-14');
    expect(old).toEqual(none.bars(symbol, '2026-01-01', '2026-04-14'));
    const restated = after.bars(symbol, '2026-01-01', '2026-04-14');
    expect(restated.map((b) => b.date)).toEqual(old.map((b) => b.date));
    restated.forEach((b, i) => {
      const o = old[i]!;
      expectCents(b.close, o.close / 4);
      expectCents(b.open, o.open / 4);
      expect(Math.abs(b.volume - o.volume * 4)).toBeLessThanOrEqual(4);
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
    });
    // The split-day bar continues the adjusted series: no jump of 4x across the split date.
    const around = after.bars(symbol, '2026-04-14', '2026-04-15');
    expect(around[0]!.close / around[1]!.close).toBeGreaterThan(0.7);
    expect(around[0]!.close / around[1]!.close).toBeLessThan(1.4);
    // Other tickers are untouched.
    const other = after.fmpSymbols()[11]!;
    expect(after.bars(other, '2026-01-01', '2026-04-14')).toEqual(
      none.bars(other, '2026-01-01', '2026-04-14'),
    );
  });

  it('can be declared while the sandbox runs, and then take effect immediately for past dates', () => {
    const core = new SandboxCore({ ...base, now: '2026-05-05T21:00:00Z' });
    const before = core.market.bars(symbol, '2026-04-01', '2026-04-10');
    core.update({ splits: [{ symbol, date: '2026-05-01', ratio: 0.5 }] });
    const after = core.market.bars(symbol, '2026-04-01', '2026-04-10');
    after.forEach((b, i) => {
      expectCents(b.close, before[i]!.close * 2);
    });
    expect(core.state().splits).toEqual([{ symbol, date: '2026-05-01', ratio: 0.5 }]);
  });

  it('reject a split without a valid symbol, date or ratio', () => {
    expect(() => new SyntheticMarket({ splits: [{ symbol, date: '2026-13-01', ratio: 2 }] })).toThrow(
      /splits\[0\]\.date/,
    );
    expect(() => new SyntheticMarket({ splits: [{ symbol, date: '2026-01-01', ratio: 0 }] })).toThrow(
      /splits\[0\]\.ratio/,
    );
    expect(() => new SyntheticMarket({ splits: [{ symbol: '', date: '2026-01-01', ratio: 2 }] })).toThrow(
      /splits\[0\]\.symbol/,
    );
  });
});

describe('bad prints', () => {
  const base = { seed: 6, tickers: 80, now: at('2026-05-08T21:00:00Z') };
  const symbol = new SyntheticMarket(base).fmpSymbols()[10]!;

  it('serve one bar with its prices multiplied, consistent OHLC, and every other bar and ticker unchanged', () => {
    const none = new SyntheticMarket(base);
    const bad = new SyntheticMarket({ ...base, badPrints: [{ symbol, date: '2026-05-06', factor: 3 }] });
    const right = none.bars(symbol, '2026-05-04', '2026-05-08');
    const served = bad.bars(symbol, '2026-05-04', '2026-05-08');
    expect(served.map((b) => b.date)).toEqual(right.map((b) => b.date));
    served.forEach((b, i) => {
      const r = right[i]!;
      if (b.date !== '2026-05-06') {
        expect(b).toEqual(r);
        return;
      }
      expectCents(b.close, r.close * 3);
      expectCents(b.open, r.open * 3);
      expect(b.low).toBeLessThanOrEqual(Math.min(b.open, b.close));
      expect(b.high).toBeGreaterThanOrEqual(Math.max(b.open, b.close));
      expect(b.volume).toBe(r.volume);
    });
    const other = none.fmpSymbols()[11]!;
    expect(bad.bars(other, '2026-05-04', '2026-05-08')).toEqual(none.bars(other, '2026-05-04', '2026-05-08'));
  });

  it('can be declared and cleared while the sandbox runs, and reject a factor of 1 or a date that does not exist', () => {
    const core = new SandboxCore(base);
    const before = core.market.bars(symbol, '2026-05-07', '2026-05-07')[0]!;
    core.update({ badPrints: [{ symbol: symbol.toLowerCase(), date: '2026-05-07', factor: 0.2 }] });
    expectCents(core.market.bars(symbol, '2026-05-07', '2026-05-07')[0]!.close, before.close * 0.2);
    expect(core.market.badPrints()).toEqual([{ symbol, date: '2026-05-07', factor: 0.2 }]);
    core.update({ badPrints: [] });
    expect(core.market.bars(symbol, '2026-05-07', '2026-05-07')[0]).toEqual(before);
    expect(() => core.update({ badPrints: [{ symbol, date: '2026-05-07', factor: 1 }] })).toThrow(
      /badPrints\[0\]\.factor must be a positive number other than 1/,
    );
    expect(() => new SyntheticMarket({ badPrints: [{ symbol, date: '2026-02-30', factor: 2 }] })).toThrow(
      /badPrints\[0\]\.date/,
    );
  });
});

describe('halted sessions', () => {
  const base = { seed: 6, tickers: 80, now: at('2026-05-08T21:00:00Z') };
  const symbol = new SyntheticMarket(base).fmpSymbols()[12]!;

  it('are never served, on the history and the bulk endpoint, and every other bar stays the same', () => {
    const none = new SyntheticMarket(base);
    const halted = new SyntheticMarket({ ...base, halts: [{ symbol, date: '2026-05-06' }] });
    const right = none.bars(symbol, '2026-05-04', '2026-05-08');
    expect(halted.bars(symbol, '2026-05-04', '2026-05-08')).toEqual(
      right.filter((b) => b.date !== '2026-05-06'),
    );
    expect(halted.eodBulk('2026-05-06').map((b) => b.symbol)).not.toContain(symbol);
    expect(halted.eodBulk('2026-05-07')).toEqual(none.eodBulk('2026-05-07'));
    const other = none.fmpSymbols()[13]!;
    expect(halted.bars(other, '2026-05-04', '2026-05-08')).toEqual(
      none.bars(other, '2026-05-04', '2026-05-08'),
    );
  });

  it('can be declared and cleared while the sandbox runs, and reject a date that does not exist', () => {
    const core = new SandboxCore(base);
    core.update({ halts: [{ symbol: symbol.toLowerCase(), date: '2026-05-07' }] });
    expect(core.market.halts()).toEqual([{ symbol, date: '2026-05-07' }]);
    expect(core.market.bars(symbol, '2026-05-07', '2026-05-07')).toEqual([]);
    core.update({ halts: [] });
    expect(core.market.bars(symbol, '2026-05-07', '2026-05-07')).toHaveLength(1);
    expect(() => core.update({ halts: [{ symbol, date: '2026-02-30' }] })).toThrow(/halts\[0\]\.date/);
    expect(() => new SyntheticMarket({ halts: [{ symbol: ' ', date: '2026-05-07' }] })).toThrow(
      /halts\[0\]\.symbol must be a non-empty string/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkDataQuality,
  type Database,
  migrate,
  type PriceRow,
  replaceUniverse,
  writeDcf,
  writePrices,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

const DAYS = ['2024-03-04', '2024-03-05', '2024-03-06', '2024-03-07', '2024-03-08'];

function bar(ticker: string, date: string, close = 10): PriceRow {
  return {
    ticker,
    date,
    open: close,
    high: close * 1.01,
    low: close * 0.99,
    close,
    volume: 1_000,
    vwap: null,
    change: null,
    changePercent: null,
    source: 'test',
  };
}

/** Clean data: every active ticker with five calm bars and a DCF valued on the last day. */
async function seedClean(db: Database): Promise<void> {
  await migrate(db);
  const tickers = ['AAA', 'BBB', 'CCC', 'OLD'];
  await replaceUniverse(
    db,
    tickers.map((ticker) => ({ ticker, name: null, sector: null, exchange: null, weight: null })),
    { asOf: '2024-03-01' },
  );
  await writePrices(
    db,
    tickers.flatMap((t) => DAYS.map((d, i) => bar(t, d, 10 + i * 0.1))),
  );
  await writeDcf(
    db,
    tickers.map((ticker) => ({ ticker, date: '2024-03-08', dcf: 12, stockPrice: 10.4, source: 'test' })),
  );
}

const check = (db: Database) => checkDataQuality(db, { since: '2024-03-06', asOf: '2024-03-08' });
const byCheck = (q: Awaited<ReturnType<typeof check>>) =>
  Object.fromEntries(q.findings.map((f) => [f.check, { count: f.count, examples: f.examples }]));

describe.each(testBackends())('the data checks on $name', (backend) => {
  it('find nothing on clean data', async () => {
    const { db } = await backend.fresh();
    await seedClean(db);
    const q = await check(db);
    expect(q.total).toBe(0);
    expect(q.findings.map((f) => [f.check, f.count])).toEqual([
      ['ohlc', 0],
      ['big_move', 0],
      ['old_dcf', 0],
      ['no_dcf', 0],
    ]);
  });

  it('find an inconsistent bar, a bad print, an old DCF and a ticker without DCF, with examples, and nothing of a ticker that left', async () => {
    const { db } = await backend.fresh();
    await seedClean(db);
    // An adopted database can hold what our writers refuse: a low above the high, written by the old system.
    await db.query(
      `UPDATE stock_prices SET low = 12, high = 11 WHERE ticker = 'AAA' AND date = '2024-03-07'`,
    );
    // A bad print: BBB's close jumps 80% on 2024-03-07 (before the checked span's start it would not count).
    await db.query(
      `UPDATE stock_prices SET close = 18.3, high = 18.5 WHERE ticker = 'BBB' AND date = '2024-03-07'`,
    );
    await db.query(
      `UPDATE stock_prices SET close = 30, high = 30.5 WHERE ticker = 'AAA' AND date = '2024-03-05'`,
    );
    await db.query(`UPDATE dcf_valuations SET valuation_date = '2024-01-15' WHERE ticker = 'CCC'`);
    await db.query(`DELETE FROM dcf_valuations WHERE ticker = 'AAA'`);
    // OLD leaves the universe: its old DCF and missing data are no longer anybody's concern.
    await replaceUniverse(
      db,
      ['AAA', 'BBB', 'CCC'].map((ticker) => ({
        ticker,
        name: null,
        sector: null,
        exchange: null,
        weight: null,
      })),
      { asOf: '2024-03-08' },
    );
    await db.query(`UPDATE dcf_valuations SET valuation_date = '2023-01-02' WHERE ticker = 'OLD'`);

    const found = byCheck(await check(db));
    expect(found.ohlc).toEqual({
      count: 1,
      examples: [expect.stringMatching(/^AAA 2024-03-07: open 10\.3 high 11 low 12 close 10\.3/)],
    });
    // BBB up 80% then down 44% (only the jump counts); AAA's 2024-03-05 spike is before the span, but its fall
    // back on 2024-03-06 (from 30 to 10.2) is in it.
    expect(found.big_move!.count).toBe(2);
    expect(found.big_move!.examples).toEqual([
      expect.stringMatching(/^AAA 2024-03-06: close 10\.2 after 30 \(-66/),
      expect.stringMatching(/^BBB 2024-03-07: close 18\.3 after 10\.2 \(79\.4%\)/),
    ]);
    expect(found.old_dcf).toEqual({ count: 1, examples: ['CCC 2024-01-15: valued 53 days before'] });
    expect(found.no_dcf).toEqual({ count: 1, examples: ['AAA'] });
  });

  it('keeps at most the asked number of examples but counts every row', async () => {
    const { db } = await backend.fresh();
    await seedClean(db);
    await db.query(`UPDATE stock_prices SET volume = -1 WHERE date >= '2024-03-06'`);
    const q = await checkDataQuality(db, { since: '2024-03-06', asOf: '2024-03-08', examples: 2 });
    const ohlc = q.findings.find((f) => f.check === 'ohlc')!;
    expect(ohlc.count).toBe(12);
    expect(ohlc.examples).toHaveLength(2);
  });

  it('report an active ticker with no bar since the stale session, only when asked, and not one that left', async () => {
    const { db } = await backend.fresh();
    await seedClean(db);
    await db.query(`DELETE FROM stock_prices WHERE ticker IN ('BBB', 'OLD') AND date >= '2024-03-06'`);
    // CCC's last bar is the stale session itself: no new bar for two sessions is not stale yet.
    await db.query(`DELETE FROM stock_prices WHERE ticker = 'CCC' AND date > '2024-03-06'`);
    await db.query(`UPDATE tickers SET active = false WHERE ticker = 'OLD'`);
    expect((await check(db)).findings.map((f) => f.check)).not.toContain('stale');
    const q = await checkDataQuality(db, {
      since: '2024-03-06',
      asOf: '2024-03-08',
      staleFrom: '2024-03-06',
    });
    expect(q.staleFrom).toBe('2024-03-06');
    expect(byCheck(q).stale).toEqual({ count: 1, examples: ['BBB: last bar 2024-03-05'] });
    expect(q.findings.map((f) => f.check)).toEqual(['ohlc', 'big_move', 'stale', 'old_dcf', 'no_dcf']);
  });

  it('do not report a move the prices task recorded as a split, and still report the others', async () => {
    const { db } = await backend.fresh();
    await seedClean(db);
    await db.query(
      `UPDATE stock_prices SET close = 4.8, low = 4.7 WHERE ticker IN ('AAA', 'BBB') AND date >= '2024-03-07'`,
    );
    const splits = [
      { ticker: 'AAA', date: '2024-03-06', storedClose: 10.2, freshClose: 5.1, refetched: null },
    ];
    await db.query(
      `INSERT INTO sync_logs (task_name, status, metadata) VALUES ('ingest_market_data', 'success', $1::jsonb),
         ('ingest_all_dcf', 'success', '{"splitsDetected": "not a list"}'::jsonb)`,
      [JSON.stringify({ splitsDetected: splits })],
    );
    expect(byCheck(await check(db)).big_move!.examples).toEqual([
      expect.stringMatching(/^BBB 2024-03-07: close 4\.8 after 10\.2 \(-52\.9%\)$/),
    ]);
  });

  it('refuses a span that ends before it starts, saying so', async () => {
    const { db } = await backend.fresh();
    await expect(checkDataQuality(db, { since: '2024-03-09', asOf: '2024-03-08' })).rejects.toThrow(
      /since 2024-03-09 is after asOf 2024-03-08/,
    );
  });
});

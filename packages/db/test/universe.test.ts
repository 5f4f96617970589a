import { describe, expect, it } from 'vitest';
import {
  getActiveTickers,
  getCompletedWindows,
  migrate,
  readPrices,
  recordCompletedWindows,
  replaceUniverse,
  tryAcquireRunLock,
  type UniverseEntry,
  writePrices,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

const entry = (ticker: string, weight = 0.1): UniverseEntry => ({
  ticker,
  name: `${ticker} Inc.`,
  sector: 'Tech',
  exchange: 'NASDAQ',
  weight,
});

describe.each(testBackends())('universe, run lock and backfill bookkeeping on $name', (backend) => {
  it('adds, refreshes and deactivates tickers without deleting any', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    expect(
      await replaceUniverse(db, [entry('MSFT'), entry('AAPL'), entry('BRK-B')], { asOf: '2024-05-01' }),
    ).toEqual({
      added: ['AAPL', 'BRK-B', 'MSFT'],
      removed: [],
      total: 3,
    });
    expect(await replaceUniverse(db, [entry('AAPL', 0.2), entry('ZS')], { asOf: '2024-05-02' })).toEqual({
      added: ['ZS'],
      removed: ['BRK-B', 'MSFT'],
      total: 2,
    });
    expect(await getActiveTickers(db)).toEqual(['AAPL', 'ZS']);
    const rows = await db.query(
      `SELECT ticker, weight, first_seen, last_seen, as_of_date, active FROM tickers ORDER BY ticker`,
    );
    expect(rows).toEqual([
      {
        ticker: 'AAPL',
        weight: 0.2,
        first_seen: '2024-05-01',
        last_seen: '2024-05-02',
        as_of_date: '2024-05-02',
        active: true,
      },
      {
        ticker: 'BRK-B',
        weight: 0.1,
        first_seen: '2024-05-01',
        last_seen: '2024-05-01',
        as_of_date: '2024-05-01',
        active: false,
      },
      {
        ticker: 'MSFT',
        weight: 0.1,
        first_seen: '2024-05-01',
        last_seen: '2024-05-01',
        as_of_date: '2024-05-01',
        active: false,
      },
      {
        ticker: 'ZS',
        weight: 0.1,
        first_seen: '2024-05-02',
        last_seen: '2024-05-02',
        as_of_date: '2024-05-02',
        active: true,
      },
    ]);
    // A ticker that comes back counts as added again and keeps its first_seen.
    expect(
      await replaceUniverse(db, [entry('AAPL'), entry('ZS'), entry('MSFT')], { asOf: '2024-05-03' }),
    ).toEqual({
      added: ['MSFT'],
      removed: [],
      total: 3,
    });
    const [msft] = await db.query(`SELECT first_seen, last_seen FROM tickers WHERE ticker = 'MSFT'`);
    expect(msft).toEqual({ first_seen: '2024-05-01', last_seen: '2024-05-03' });
  });

  it('refuses an empty universe, a bad ticker and a bad date, changing nothing', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await replaceUniverse(db, [entry('AAPL')], { asOf: '2024-05-01' });
    await expect(replaceUniverse(db, [], { asOf: '2024-05-02' })).rejects.toMatchObject({
      code: 'INVALID_ROW',
    });
    await expect(
      replaceUniverse(db, [entry('MSFT'), entry('bad ticker')], { asOf: '2024-05-02' }),
    ).rejects.toThrow(/universe row 1 \(ticker "bad ticker"\): ticker must be/);
    await expect(replaceUniverse(db, [entry('MSFT')], { asOf: '05/02/2024' })).rejects.toThrow(
      /asOf must be/,
    );
    expect(await getActiveTickers(db)).toEqual(['AAPL']);
  });

  it('grants the run lock to one holder at a time and again after release', async () => {
    const fresh = await backend.fresh();
    const other = backend.name === 'postgres' ? await fresh.reopen() : fresh.db;
    const first = await tryAcquireRunLock(fresh.db);
    expect(first).not.toBeNull();
    expect(await tryAcquireRunLock(other)).toBeNull();
    expect(await tryAcquireRunLock(other, 'another-job')).not.toBeNull();
    await first!.release();
    const again = await tryAcquireRunLock(other);
    expect(again).not.toBeNull();
    await again!.release();
  });

  it('signals a lost run lock when the connection holding it is terminated, and never on release', async () => {
    const fresh = await backend.fresh();
    const lock = await tryAcquireRunLock(fresh.db);
    expect(lock).not.toBeNull();
    expect(lock!.lost.aborted).toBe(false);
    if (backend.name !== 'postgres') {
      await lock!.release();
      expect(lock!.lost.aborted).toBe(false);
      return;
    }
    const lost = new Promise<unknown>((resolve) =>
      lock!.lost.addEventListener('abort', () => resolve(lock!.lost.reason), { once: true }),
    );
    // Terminate only the backend holding our advisory lock (read the pid first: a filter in the same
    // statement as pg_terminate_backend would not protect other databases' sessions).
    const [holder] = await fresh.db.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND granted`,
    );
    expect(holder).toBeDefined();
    await fresh.db.query('SELECT pg_terminate_backend($1)', [holder!.pid]);
    const reason = await lost;
    expect(String((reason as Error).message)).toMatch(/dedicated PostgreSQL connection ended/);
    // The server freed it: another run can take the lock now.
    const other = await tryAcquireRunLock(fresh.db);
    expect(other).not.toBeNull();
    await other!.release();
    await lock!.release();
    expect(other!.lost.aborted).toBe(false);
  });

  it('records completed backfill windows and reads them back per ticker', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await recordCompletedWindows(db, [
      { ticker: 'AAPL', from: '2021-01-01', to: '2021-12-31', rows: 252 },
      { ticker: 'AAPL', from: '2022-01-01', to: '2022-12-31', rows: 251 },
      { ticker: 'MSFT', from: '2021-01-01', to: '2021-12-31', rows: 252 },
    ]);
    await recordCompletedWindows(db, [{ ticker: 'AAPL', from: '2021-01-01', to: '2021-12-31', rows: 253 }]);
    expect(await getCompletedWindows(db, ['AAPL', 'ZZZ'])).toEqual([
      { ticker: 'AAPL', from: '2021-01-01', to: '2021-12-31' },
      { ticker: 'AAPL', from: '2022-01-01', to: '2022-12-31' },
    ]);
    const [row] = await db.query(
      `SELECT rows FROM price_backfill_windows WHERE ticker = 'AAPL' AND window_from = '2021-01-01'`,
    );
    expect(row).toEqual({ rows: 253 });
    await expect(
      recordCompletedWindows(db, [{ ticker: 'AAPL', from: '2022-01-01', to: '2021-01-01', rows: 1 }]),
    ).rejects.toMatchObject({ code: 'INVALID_ROW' });
  });

  it('reads stored prices of some tickers within a date range', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const bar = {
      open: 1,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 100,
      vwap: null,
      change: null,
      changePercent: null,
      source: 'fmp',
    };
    await writePrices(db, [
      { ...bar, ticker: 'AAPL', date: '2024-05-01' },
      { ...bar, ticker: 'AAPL', date: '2024-05-02' },
      { ...bar, ticker: 'AAPL', date: '2024-05-03' },
      { ...bar, ticker: 'MSFT', date: '2024-05-02' },
      { ...bar, ticker: 'ZS', date: '2024-05-02' },
    ]);
    const rows = await readPrices(db, { tickers: ['MSFT', 'AAPL'], from: '2024-05-02', to: '2024-05-03' });
    expect(rows.map((r) => `${r.ticker} ${r.date}`)).toEqual([
      'AAPL 2024-05-02',
      'AAPL 2024-05-03',
      'MSFT 2024-05-02',
    ]);
    expect(rows[0]).toEqual({ ...bar, ticker: 'AAPL', date: '2024-05-02' });
  });
});

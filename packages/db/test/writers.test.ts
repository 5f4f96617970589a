import { describe, expect, it } from 'vitest';
import {
  type Database,
  DatabaseError,
  type DcfRow,
  migrate,
  type PriceRow,
  readPrices,
  writeDcf,
  writePrices,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

function bars(count: number, options: { tickers?: number; seed?: number; source?: string } = {}): PriceRow[] {
  const tickers = options.tickers ?? Math.max(1, Math.ceil(count / 250));
  const seed = options.seed ?? 0;
  const rows: PriceRow[] = [];
  for (let i = 0; i < count; i++) {
    const ticker = `T${String(i % tickers).padStart(4, '0')}`;
    const day = Math.floor(i / tickers);
    const date = new Date(Date.UTC(2020, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
    const base = 10 + (i % 97) + seed;
    rows.push({
      ticker,
      date,
      open: base + 0.1,
      high: base + 1.25,
      low: base - 0.5,
      close: base + 1 / 3,
      volume: 1000 + i,
      vwap: i % 5 === 0 ? null : base + 0.2,
      change: i % 7 === 0 ? null : 0.23,
      changePercent: i % 7 === 0 ? null : 1.5e-3,
      source: options.source ?? 'fmp',
    });
  }
  return rows;
}

async function stamps(db: Database): Promise<Map<string, number>> {
  const rows = await db.query<{ k: string; u: Date; c: Date }>(
    `SELECT ticker || '|' || date AS k, updated_at AS u, created_at AS c FROM stock_prices`,
  );
  return new Map(rows.map((r) => [r.k, r.u.getTime() * 1e3 + (r.c.getTime() % 1e3)]));
}

async function count(db: Database, table: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row!.n;
}

describe.each(testBackends())('bulk writers on $name', (backend) => {
  // One migrated database per backend for the whole file, emptied before each test that needs only empty
  // tables: opening an embedded database costs a second or two, emptying two tables a few milliseconds.
  let shared: Database | undefined;
  async function migrated(): Promise<Database> {
    if (!shared) {
      shared = (await backend.fresh()).db;
      await migrate(shared);
    }
    await shared.query('TRUNCATE stock_prices, dcf_valuations, dcf_history');
    return shared;
  }
  /** A database of its own, for a test that changes the schema. */
  async function migratedAlone(): Promise<Database> {
    const { db } = await backend.fresh();
    await migrate(db);
    return db;
  }

  it.each([
    ['a small batch', 12],
    ['a large batch', 5_000],
  ])('insert %s, then a rerun changes no row and no updated_at', async (_label, size) => {
    const db = await migrated();
    const rows = bars(size);
    expect(await writePrices(db, rows)).toEqual({ inserted: size, updated: 0 });
    const tickers = [...new Set(rows.map((r) => r.ticker))];
    const stored = await readPrices(db, { tickers, from: '2000-01-01', to: '2100-01-01' });
    const byKey = (r: PriceRow) => `${r.ticker}|${r.date}`;
    expect(stored.map(byKey).sort()).toEqual(rows.map(byKey).sort());
    expect(stored.find((r) => r.ticker === rows[7]!.ticker && r.date === rows[7]!.date)).toEqual(rows[7]);

    const before = await stamps(db);
    expect(await writePrices(db, rows)).toEqual({ inserted: 0, updated: 0 });
    expect(await stamps(db)).toEqual(before);
    expect(await count(db, 'stock_prices')).toBe(size);
  });

  it.each([
    ['a small batch', 12],
    ['a large batch', 5_000],
  ])('updates only the rows whose values changed in %s', async (_label, size) => {
    const db = await migrated();
    const rows = bars(size);
    await writePrices(db, rows);
    const before = await stamps(db);
    const changed = rows.map((r, i) => (i % 3 === 0 ? { ...r, close: r.close + 1 } : r));
    const expectedUpdates = Math.ceil(size / 3);
    expect(await writePrices(db, changed)).toEqual({ inserted: 0, updated: expectedUpdates });
    const after = await stamps(db);
    let moved = 0;
    for (const [key, stamp] of after) if (stamp !== before.get(key)) moved++;
    expect(moved).toBe(expectedUpdates);
    const [row] = await readPrices(db, {
      tickers: [rows[0]!.ticker],
      from: rows[0]!.date,
      to: rows[0]!.date,
    });
    expect(row!.close).toBe(rows[0]!.close + 1);
  });

  it('collapses duplicate keys in one batch, the last row winning', async () => {
    const db = await migrated();
    const [first] = bars(1);
    const rows = [first!, { ...first!, close: 1 }, { ...first!, close: 2, source: 'fmp-bulk' }];
    expect(await writePrices(db, rows)).toEqual({ inserted: 1, updated: 0 });
    const stored = await readPrices(db, { tickers: [first!.ticker], from: first!.date, to: first!.date });
    expect(stored).toEqual([{ ...first!, close: 2, source: 'fmp-bulk' }]);
    // Large batches collapse the same way (COPY path).
    const many = bars(3_000);
    expect(await writePrices(db, [...many, ...many.map((r) => ({ ...r, open: 5 }))])).toEqual({
      inserted: 2_999,
      updated: 1,
    });
    expect(await count(db, 'stock_prices')).toBe(3_000);
  });

  it('does not rewrite a row when only its source differs', async () => {
    const db = await migrated();
    const rows = bars(20);
    await writePrices(db, rows);
    const before = await stamps(db);
    expect(
      await writePrices(
        db,
        rows.map((r) => ({ ...r, source: 'fmp-bulk' })),
      ),
    ).toEqual({
      inserted: 0,
      updated: 0,
    });
    expect(await stamps(db)).toEqual(before);
  });

  it('writes 100,000 rows, and rewrites none of them on a rerun', async () => {
    const db = await migrated();
    const rows = bars(100_000, { tickers: 400 });
    expect(await writePrices(db, rows)).toEqual({ inserted: 100_000, updated: 0 });
    expect(await count(db, 'stock_prices')).toBe(100_000);
    expect(await writePrices(db, rows)).toEqual({ inserted: 0, updated: 0 });
  });

  it('keeps text exactly through the COPY path, backslashes included', async () => {
    const db = await migrated();
    const rows = bars(2_500, { source: 'fmp\\v3 "eod"' });
    await writePrices(db, rows);
    const [row] = await db.query<{ source: string }>(`SELECT DISTINCT source FROM stock_prices`);
    expect(row!.source).toBe('fmp\\v3 "eod"');
  });

  it.each([
    ['a small batch', 12],
    ['a large batch (binary COPY)', 2_500],
  ])('stores extreme values bit for bit in %s', async (_label, size) => {
    const db = await migrated();
    const edge: PriceRow[] = [
      {
        ...bars(1)[0]!,
        ticker: 'EDGE',
        date: '1900-01-01',
        open: 5e-324,
        high: Number.MAX_VALUE,
        low: -1234.5678,
      },
      {
        ...bars(1)[0]!,
        ticker: 'EDGE',
        date: '2024-02-29',
        close: 0.1 + 0.2,
        volume: Number.MAX_SAFE_INTEGER,
      },
      {
        ...bars(1)[0]!,
        ticker: 'EDGE',
        date: '2999-12-31',
        volume: 0,
        vwap: null,
        change: null,
        source: 'fmp·eod ✓',
      },
    ];
    const rows = [...bars(size - edge.length), ...edge];
    await writePrices(db, rows);
    const stored = await readPrices(db, { tickers: ['EDGE'], from: '1900-01-01', to: '2999-12-31' });
    expect(stored).toEqual(edge);
  });

  it('stores a negative zero as zero, as the text format did', async () => {
    const db = await migrated();
    const rows = bars(2_000).map((r) => ({ ...r, change: -0 }));
    await writePrices(db, rows);
    const [row] = await readPrices(db, {
      tickers: [rows[0]!.ticker],
      from: rows[0]!.date,
      to: rows[0]!.date,
    });
    expect(Object.is(row!.change, 0)).toBe(true);
  });

  it.each([
    ['a NaN price', { open: Number.NaN }, 'open must be a finite number'],
    ['an infinite price', { close: Number.POSITIVE_INFINITY }, 'close must be a finite number'],
    ['a date that does not exist', { date: '2024-02-30' }, 'date must be a calendar date'],
    ['a ticker that looks like SQL', { ticker: "X'; DROP TABLE stock_prices;--" }, 'ticker must be'],
    ['a path as ticker', { ticker: '../etc/passwd' }, 'ticker must be'],
    ['a fractional volume', { volume: 10.5 }, 'volume must be a non-negative integer'],
    ['a string price', { high: '12.5' as unknown as number }, 'high must be a finite number'],
    ['no source', { source: '' }, 'source must be'],
  ])('refuses %s with INVALID_ROW naming the row, and writes nothing', async (_label, patch, problem) => {
    const db = await migrated();
    const rows = bars(2_000);
    rows[1_234] = { ...rows[1_234]!, ...patch };
    const error = await writePrices(db, rows).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'INVALID_ROW' });
    expect((error as Error).message).toContain('price row 1234');
    expect((error as Error).message).toContain(problem);
    if (!('ticker' in patch)) expect((error as Error).message).toContain(rows[1_234]!.ticker);
    expect(await count(db, 'stock_prices')).toBe(0);
  });

  it('reports a database failure as WRITE_FAILED and leaves the table as it was', async () => {
    const db = await migratedAlone();
    await writePrices(db, bars(10));
    await db.query(`ALTER TABLE stock_prices ADD CONSTRAINT positive_close CHECK (close < 50)`);
    const error = await writePrices(db, bars(3_000, { seed: 100 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WRITE_FAILED' });
    expect((error as Error).message).toContain('positive_close');
    expect(await count(db, 'stock_prices')).toBe(10);
  });

  it('upserts DCF values, one row per ticker, idempotently', async () => {
    const db = await migrated();
    const rows: DcfRow[] = [
      { ticker: 'AAPL', date: '2024-05-01', dcf: 150.25, stockPrice: 171, source: 'fmp' },
      { ticker: 'MSFT', date: '2024-05-01', dcf: 390, stockPrice: null, source: 'fmp' },
      { ticker: 'AAPL', date: '2024-05-02', dcf: 151, stockPrice: 172, source: 'fmp' },
    ];
    expect(await writeDcf(db, rows)).toEqual({ inserted: 2, updated: 0 });
    const stored = await db.query(
      `SELECT ticker, valuation_date, dcf, stock_price, source FROM dcf_valuations ORDER BY ticker`,
    );
    expect(stored).toEqual([
      { ticker: 'AAPL', valuation_date: '2024-05-02', dcf: 151, stock_price: 172, source: 'fmp' },
      { ticker: 'MSFT', valuation_date: '2024-05-01', dcf: 390, stock_price: null, source: 'fmp' },
    ]);
    const before = await db.query(`SELECT ticker, updated_at FROM dcf_valuations ORDER BY ticker`);
    expect(await writeDcf(db, rows)).toEqual({ inserted: 0, updated: 0 });
    expect(await db.query(`SELECT ticker, updated_at FROM dcf_valuations ORDER BY ticker`)).toEqual(before);
    expect(
      await writeDcf(db, [{ ticker: 'MSFT', date: '2024-05-03', dcf: 395, stockPrice: 410, source: 'fmp' }]),
    ).toEqual({ inserted: 0, updated: 1 });
    const big = Array.from({ length: 3_000 }, (_, i) => ({
      ticker: `D${i}`,
      date: '2024-05-03',
      dcf: i / 7,
      stockPrice: i % 2 ? null : i,
      source: 'fmp-bulk',
    }));
    expect(await writeDcf(db, big)).toEqual({ inserted: 3_000, updated: 0 });
    expect(await writeDcf(db, big)).toEqual({ inserted: 0, updated: 0 });
    const bad = await writeDcf(db, [{ ...rows[0]!, dcf: Number.NaN }]).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'INVALID_ROW' });
    expect((bad as Error).message).toContain(
      'DCF row 0 (ticker "AAPL", date 2024-05-01): dcf must be a finite number',
    );
  });

  it('keeps every distinct (ticker, date) DCF value in dcf_history while dcf_valuations keeps the latest', async () => {
    const db = await migrated();
    const night = (date: string, dcf: number, stockPrice: number | null): DcfRow[] => [
      { ticker: 'AAPL', date, dcf, stockPrice, source: 'fmp' },
      { ticker: 'MSFT', date: '2024-05-01', dcf: 390, stockPrice: null, source: 'fmp' },
    ];
    await writeDcf(db, night('2024-05-01', 150, 171));
    await writeDcf(db, night('2024-05-02', 151, 172));
    await writeDcf(db, night('2024-05-02', 151, 172));
    const history = () =>
      db.query(
        `SELECT ticker, valuation_date, dcf, stock_price, source FROM dcf_history ORDER BY ticker, valuation_date`,
      );
    expect(await history()).toEqual([
      { ticker: 'AAPL', valuation_date: '2024-05-01', dcf: 150, stock_price: 171, source: 'fmp' },
      { ticker: 'AAPL', valuation_date: '2024-05-02', dcf: 151, stock_price: 172, source: 'fmp' },
      { ticker: 'MSFT', valuation_date: '2024-05-01', dcf: 390, stock_price: null, source: 'fmp' },
    ]);
    expect(await count(db, 'dcf_valuations')).toBe(2);
    const stamps = () => db.query(`SELECT ticker, valuation_date, updated_at FROM dcf_history ORDER BY 1, 2`);
    const before = await stamps();
    await writeDcf(db, night('2024-05-02', 151, 172));
    expect(await stamps(), 'an unchanged value is not rewritten').toEqual(before);
    await writeDcf(db, night('2024-05-02', 149.5, 172));
    expect((await history())[1]).toMatchObject({ valuation_date: '2024-05-02', dcf: 149.5 });
    expect(await count(db, 'dcf_history')).toBe(3);
  });

  it('writes a large DCF batch to both tables, and a batch naming a ticker twice keeps both dates in history', async () => {
    const db = await migrated();
    const big: DcfRow[] = Array.from({ length: 3_000 }, (_, i) => ({
      ticker: `D${i}`,
      date: '2024-05-03',
      dcf: i / 7,
      stockPrice: null,
      source: 'fmp-bulk',
    }));
    big.push({ ticker: 'D1', date: '2024-05-06', dcf: 2, stockPrice: null, source: 'fmp-bulk' });
    expect(await writeDcf(db, big)).toEqual({ inserted: 3_000, updated: 0 });
    expect(await count(db, 'dcf_history')).toBe(3_001);
    expect(await db.query(`SELECT valuation_date FROM dcf_valuations WHERE ticker = 'D1'`)).toEqual([
      { valuation_date: '2024-05-06' },
    ]);
  });

  it('writes neither DCF table when one of them refuses the batch', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await db.query(`ALTER TABLE dcf_history ADD CONSTRAINT small_dcf CHECK (dcf < 100)`);
    const error = await writeDcf(db, [
      { ticker: 'AAPL', date: '2024-05-01', dcf: 150, stockPrice: null, source: 'fmp' },
    ]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WRITE_FAILED' });
    expect((error as Error).message).toContain(
      'to dcf_valuations and dcf_history failed, nothing was written',
    );
    expect(await count(db, 'dcf_valuations')).toBe(0);
    expect(await count(db, 'dcf_history')).toBe(0);
  });

  it('writes into an adopted legacy table in place: NUMERIC prices, a serial id, unknown columns', async () => {
    const { db } = await backend.fresh();
    await db.query(
      `CREATE TABLE stock_prices (id SERIAL PRIMARY KEY, ticker VARCHAR(10) NOT NULL, date DATE NOT NULL,
        open NUMERIC(12,4), high NUMERIC(12,4), low NUMERIC(12,4), close NUMERIC(12,4), volume BIGINT,
        adj_close NUMERIC(12,4))`,
    );
    await db.query(
      `INSERT INTO stock_prices (ticker, date, open, high, low, close, volume, adj_close)
       VALUES ('AAPL', '2024-05-01', 1, 2, 0.5, 1.5, 10, 1.49)`,
    );
    await migrate(db);
    const row: PriceRow = {
      ticker: 'AAPL',
      date: '2024-05-01',
      open: 1.23456,
      high: 2,
      low: 0.5,
      close: 1.5,
      volume: 10,
      vwap: null,
      change: null,
      changePercent: null,
      source: 'fmp',
    };
    expect(await writePrices(db, [row, { ...row, date: '2024-05-02' }])).toEqual({ inserted: 1, updated: 1 });
    // NUMERIC(12,4) rounds 1.23456 to 1.2346; writing the same value again is still no change.
    expect(await writePrices(db, [row, { ...row, date: '2024-05-02' }])).toEqual({ inserted: 0, updated: 0 });
    const stored = await db.query(
      `SELECT id = 1 AS original, ticker, date, open::text AS open, adj_close::text AS adj FROM stock_prices ORDER BY id`,
    );
    expect(stored).toEqual([
      { original: true, ticker: 'AAPL', date: '2024-05-01', open: '1.2346', adj: '1.4900' },
      { original: false, ticker: 'AAPL', date: '2024-05-02', open: '1.2346', adj: null },
    ]);
  });
});

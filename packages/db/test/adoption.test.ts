import { describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../src/generated/migrations.js';
import { type Database, DatabaseError, migrate } from '../src/index.js';
import { testBackends } from './helpers/backends.js';
import { snapshot } from './helpers/snapshot.js';

// The user's sync_logs, exactly as the daily-sync guide creates it.
const GUIDE_SYNC_LOGS = [
  `CREATE TABLE sync_logs (
    id SERIAL PRIMARY KEY,
    task_name VARCHAR(100) NOT NULL,
    status VARCHAR(20) NOT NULL,
    rows_updated INTEGER DEFAULT 0,
    error_message TEXT,
    started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    completed_at TIMESTAMP,
    duration_seconds DOUBLE PRECISION,
    metadata JSONB
  )`,
  `CREATE INDEX idx_sync_logs_task_name ON sync_logs(task_name)`,
  `CREATE INDEX idx_sync_logs_completed_at ON sync_logs(completed_at DESC)`,
  `INSERT INTO sync_logs (task_name, status, rows_updated, error_message, started_at, completed_at,
                          duration_seconds, metadata) VALUES
    ('ingest_market_data', 'success', 12950, NULL, '2024-05-01 05:00:00', '2024-05-01 05:41:10', 2470.5,
     '{"tickers": 2590}'),
    ('ingest_all_dcf', 'failed', 0, 'HTTP 401', '2024-05-01 05:41:11', '2024-05-01 05:41:12', 1.2, NULL),
    ('get_russell_2000_list', 'success', 1, NULL, '2024-05-01 04:59:50', '2024-05-01 04:59:59', 9, NULL)`,
];

// Plausible tables of the Python system: a serial id as primary key, NUMERIC prices, columns we never
// heard of, TIMESTAMPTZ where we use TIMESTAMP, a DCF table with no key at all.
const LEGACY_PRICES_WITH_ID = [
  `CREATE TABLE stock_prices (
    id SERIAL PRIMARY KEY,
    ticker VARCHAR(10) NOT NULL,
    date DATE NOT NULL,
    open NUMERIC(12,4), high NUMERIC(12,4), low NUMERIC(12,4), close NUMERIC(12,4),
    adj_close NUMERIC(12,4),
    volume BIGINT,
    created_at TIMESTAMPTZ DEFAULT now()
  )`,
  `INSERT INTO stock_prices (ticker, date, open, high, low, close, adj_close, volume, created_at) VALUES
    ('AAPL', '2024-04-30', 170.1, 172.5, 169.25, 171.0, 170.9, 51234567, '2024-04-30 22:00:00+00'),
    ('AAPL', '2024-05-01', 171.0, 173.0, 170.0, 172.3333, 172.2, 48123456, '2024-05-01 22:00:00+00'),
    ('ZZZZ', '2024-05-01', 1.5, 1.6, 1.4, 1.55, NULL, 1000, '2024-05-01 22:00:00+00')`,
];
const LEGACY_DCF_NO_KEY = [
  `CREATE TABLE dcf_valuations (
    ticker VARCHAR(10),
    dcf_value DOUBLE PRECISION,
    stock_price DOUBLE PRECISION,
    date TIMESTAMP,
    notes TEXT
  )`,
  `INSERT INTO dcf_valuations (ticker, dcf_value, stock_price, date, notes) VALUES
    ('AAPL', 150.2, 171.0, '2024-05-01 00:00:00', 'from levered model'),
    ('ZZZZ', -3.5, 1.55, '2024-05-01 00:00:00', NULL)`,
];
const LEGACY_PRICES_NO_KEY = [
  `CREATE TABLE stock_prices (
    ticker TEXT, date DATE, open REAL, high REAL, low REAL, close REAL, volume INTEGER, exchange TEXT
  )`,
  `INSERT INTO stock_prices VALUES
    ('MSFT', '2024-05-01', 400.5, 405, 399, 402.25, 1234, 'NASDAQ'),
    ('MSFT', '2024-05-02', 402.25, 410, 401, 409, 2345, 'NASDAQ')`,
];

async function load(db: Database, statements: string[]): Promise<void> {
  for (const sql of statements) await db.query(sql);
}

async function legacyRows(db: Database, table: string, columns: string[]): Promise<unknown[]> {
  return db.query(`SELECT ${columns.join(', ')} FROM ${table} ORDER BY ${columns.slice(0, 2).join(', ')}`);
}

async function keyColumns(db: Database, table: string): Promise<string[]> {
  const rows = await db.query<{ def: string }>(
    `SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass AND indisunique
     ORDER BY 1`,
    [table],
  );
  return rows.map((r) => r.def.replace(/^.* USING btree /, ''));
}

describe.each(testBackends())('adopting a legacy database on $name', (backend) => {
  it('keeps every legacy row, column and type, adds what is missing and the keys the upserts need', async () => {
    const { db } = await backend.fresh();
    await load(db, [...GUIDE_SYNC_LOGS, ...LEGACY_PRICES_WITH_ID, ...LEGACY_DCF_NO_KEY]);
    const syncColumns = [
      'id',
      'task_name',
      'status',
      'rows_updated',
      'error_message',
      'started_at',
      'completed_at',
      'duration_seconds',
      'metadata',
    ];
    const priceColumns = [
      'ticker',
      'date',
      'id',
      'open',
      'high',
      'low',
      'close',
      'adj_close',
      'volume',
      'created_at',
    ];
    const dcfColumns = ['ticker', 'dcf_value', 'stock_price', 'date', 'notes'];
    const before = {
      sync: await legacyRows(db, 'sync_logs', syncColumns),
      prices: await legacyRows(db, 'stock_prices', priceColumns),
      dcf: await legacyRows(db, 'dcf_valuations', dcfColumns),
      types: await db.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = current_schema() ORDER BY 1, 2`,
      ),
    };

    expect((await migrate(db)).applied).toEqual(embeddedMigrations.map((m) => m.name));

    expect(await legacyRows(db, 'sync_logs', syncColumns)).toEqual(before.sync);
    expect(await legacyRows(db, 'stock_prices', priceColumns)).toEqual(before.prices);
    expect(await legacyRows(db, 'dcf_valuations', dcfColumns)).toEqual(before.dcf);
    expect(before.sync).toHaveLength(3);
    expect(before.prices).toHaveLength(3);
    expect(before.dcf).toHaveLength(2);
    const typesAfter = await db.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = current_schema() ORDER BY 1, 2`,
    );
    // Nothing retyped: every legacy column is still there with its type.
    expect(typesAfter).toEqual(expect.arrayContaining(before.types as object[]));
    // The serial id stays the primary key; (ticker, date) gets a unique index for ON CONFLICT.
    expect(await keyColumns(db, 'stock_prices')).toEqual(['(id)', '(ticker, date)']);
    // The DCF table had no key: it gets ours.
    expect(await keyColumns(db, 'dcf_valuations')).toEqual(['(ticker)']);
    const added = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'stock_prices'
       AND column_name IN ('vwap', 'change', 'change_percent', 'source', 'updated_at') ORDER BY 1`,
    );
    expect(added.map((r) => r.column_name)).toEqual([
      'change',
      'change_percent',
      'source',
      'updated_at',
      'vwap',
    ]);
    // The user's monitoring query still works and the view reads the legacy rows.
    const latest = await db.query<{ task_name: string; status: string }>(
      `SELECT task_name, status FROM latest_sync_status ORDER BY task_name`,
    );
    expect(latest).toEqual([
      { task_name: 'get_russell_2000_list', status: 'success' },
      { task_name: 'ingest_all_dcf', status: 'failed' },
      { task_name: 'ingest_market_data', status: 'success' },
    ]);
    // New runs continue the legacy id sequence.
    const [next] = await db.query<{ id: number }>(
      `INSERT INTO sync_logs (task_name, status) VALUES ('x', 'running') RETURNING id`,
    );
    expect(next!.id).toBe(4);
    expect(await migrate(db)).toEqual({ applied: [] });
  });

  it('adds the primary key to a legacy price table that has none', async () => {
    const { db } = await backend.fresh();
    await load(db, LEGACY_PRICES_NO_KEY);
    const before = await legacyRows(db, 'stock_prices', [
      'ticker',
      'date',
      'open',
      'close',
      'volume',
      'exchange',
    ]);
    await migrate(db);
    expect(
      await legacyRows(db, 'stock_prices', ['ticker', 'date', 'open', 'close', 'volume', 'exchange']),
    ).toEqual(before);
    expect(await keyColumns(db, 'stock_prices')).toEqual(['(ticker, date)']);
  });

  it('refuses duplicate (ticker, date) prices, names the table and a query, and changes nothing', async () => {
    const { db } = await backend.fresh();
    await load(db, [
      ...GUIDE_SYNC_LOGS,
      ...LEGACY_PRICES_WITH_ID,
      `INSERT INTO stock_prices (ticker, date, close) VALUES ('AAPL', '2024-05-01', 999)`,
      ...LEGACY_DCF_NO_KEY,
    ]);
    const before = await snapshot(db);
    const error = await migrate(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'ADOPTION_IMPOSSIBLE' });
    const message = (error as Error).message;
    expect(message).toContain('stock_prices');
    expect(message).toContain('1 (ticker, date) pairs have more than one row');
    expect(message).toContain(
      'SELECT ticker, date, count(*) FROM stock_prices GROUP BY ticker, date HAVING count(*) > 1',
    );
    expect(await snapshot(db)).toEqual(before);
    // The query in the message really lists the offending rows.
    const offending = await db.query(
      'SELECT ticker, date, count(*)::int AS n FROM stock_prices GROUP BY ticker, date HAVING count(*) > 1',
    );
    expect(offending).toEqual([{ ticker: 'AAPL', date: '2024-05-01', n: 2 }]);
  });

  it('refuses duplicate DCF tickers, names the table and a query, and changes nothing', async () => {
    const { db } = await backend.fresh();
    await load(db, [
      ...LEGACY_DCF_NO_KEY,
      `INSERT INTO dcf_valuations (ticker, dcf_value) VALUES ('AAPL', 140), ('AAPL', 141)`,
    ]);
    const before = await snapshot(db);
    const error = await migrate(db).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ADOPTION_IMPOSSIBLE' });
    expect((error as Error).message).toContain('dcf_valuations: 1 tickers have more than one row');
    expect((error as Error).message).toContain(
      'SELECT ticker, count(*) FROM dcf_valuations GROUP BY ticker HAVING count(*) > 1',
    );
    expect(await snapshot(db)).toEqual(before);
  });

  it('refuses a legacy table that lacks a key column, naming it', async () => {
    const { db } = await backend.fresh();
    await load(db, [`CREATE TABLE stock_prices (symbol TEXT, day DATE, close REAL)`]);
    const before = await snapshot(db);
    const error = await migrate(db).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ADOPTION_IMPOSSIBLE' });
    expect((error as Error).message).toContain('stock_prices.date');
    expect((error as Error).message).toContain('stock_prices.ticker');
    expect(await snapshot(db)).toEqual(before);
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '@smartstock/db';

/** The stored values of the two data tables, keyed by primary key; every column except timestamps. */
export interface DataTables {
  /** `TICKER|YYYY-MM-DD` → the row's values as canonical JSON. */
  prices: Map<string, string>;
  /** `TICKER` → the row's values as canonical JSON. */
  dcf: Map<string, string>;
  /** Rows whose primary key appears more than once (the schema forbids it; checked all the same). */
  duplicates: number;
}

export async function readDataTables(db: Database): Promise<DataTables> {
  const prices = await db.query<{ k: string; v: string }>(
    `SELECT ticker || '|' || to_char(date, 'YYYY-MM-DD') AS k,
            (to_jsonb(t) - 'created_at' - 'updated_at')::text AS v
       FROM stock_prices t ORDER BY ticker, date`,
  );
  const dcf = await db.query<{ k: string; v: string }>(
    `SELECT ticker AS k, (to_jsonb(t) - 'updated_at')::text AS v FROM dcf_valuations t ORDER BY ticker`,
  );
  const [dup] = await db.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM stock_prices) - (SELECT count(*) FROM (SELECT DISTINCT ticker, date FROM stock_prices) d)
           + (SELECT count(*) FROM dcf_valuations) - (SELECT count(DISTINCT ticker) FROM dcf_valuations))::int AS n`,
  );
  return {
    prices: new Map(prices.map((r) => [r.k, r.v])),
    dcf: new Map(dcf.map((r) => [r.k, r.v])),
    duplicates: dup?.n ?? 0,
  };
}

/**
 * Every row of every table the application writes, timestamps included, as sorted JSON lines: two equal
 * dumps mean nothing stored changed at all.
 */
export async function dumpAllTables(db: Database): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of ['stock_prices', 'dcf_valuations', 'tickers', 'sync_logs', 'price_backfill_windows']) {
    const rows = await db.query<{ j: string }>(`SELECT to_jsonb(t)::text AS j FROM ${table} t`);
    out[table] = rows.map((r) => r.j).sort();
  }
  return out;
}

export interface SyncLogRow {
  id: number;
  task_name: string;
  status: string;
  rows_updated: number | null;
  error_message: string | null;
  metadata: Record<string, unknown> | null;
  /** The whole row as JSON text (for secret scans). */
  raw: string;
}

export async function readSyncLogs(db: Database): Promise<SyncLogRow[]> {
  const rows = await db.query<{ raw: string }>(
    `SELECT to_jsonb(t)::text AS raw FROM sync_logs t ORDER BY id`,
  );
  return rows.map((r) => ({ ...(JSON.parse(r.raw) as Omit<SyncLogRow, 'raw'>), raw: r.raw }));
}

export interface FailedLine {
  time: string;
  runId: string;
  task: string;
  ticker: string;
  outcome: string;
  httpStatus: number | null;
  message: string;
}

export async function readFailedLog(dataDir: string): Promise<FailedLine[]> {
  const text = await readFile(join(dataDir, 'failed_ingestion.log'), 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FailedLine);
}

export interface Comparison {
  /** Reference rows compared. */
  compared: number;
  /** Stored rows absent from the reference or with other values: must always be empty. */
  wrong: string[];
  /** Reference rows not stored, by ticker. */
  missingByTicker: Map<string, number>;
}

/** Compares one table with the fault-free reference, row by row. */
export function compareTable(reference: Map<string, string>, actual: Map<string, string>): Comparison {
  const wrong: string[] = [];
  for (const [key, value] of actual) {
    const expected = reference.get(key);
    if (expected !== value) wrong.push(`${key}: stored ${value}, reference ${expected ?? '(no such row)'}`);
  }
  const missingByTicker = new Map<string, number>();
  for (const key of reference.keys()) {
    if (actual.has(key)) continue;
    const ticker = key.split('|')[0]!;
    missingByTicker.set(ticker, (missingByTicker.get(ticker) ?? 0) + 1);
  }
  return { compared: reference.size, wrong, missingByTicker };
}

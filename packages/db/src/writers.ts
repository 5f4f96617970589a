import { backendOf, copyField, type Database, type Executor } from './backend.js';
import { DatabaseError, errorMessage } from './errors.js';
import {
  checkDate,
  checkNullableNumber,
  checkNumber,
  checkSource,
  checkTicker,
  checkVolume,
  type RowContext,
} from './validate.js';

export interface PriceRow {
  ticker: string;
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number | null;
  change: number | null;
  changePercent: number | null;
  source: string;
}

export interface DcfRow {
  ticker: string;
  date: string;
  dcf: number;
  stockPrice: number | null;
  source: string;
}

export interface WriteResult {
  /** Rows that did not exist before. */
  inserted: number;
  /** Existing rows whose values changed (unchanged rows are not rewritten and not counted). */
  updated: number;
}

type Cell = string | number | null;

interface UpsertSpec {
  table: string;
  stage: string;
  /** Staging columns in COPY order, with their types. */
  columns: readonly (readonly [name: string, type: string])[];
  key: readonly string[];
  /** Compared with IS DISTINCT FROM: an upsert that changes none of these rewrites nothing. */
  compare: readonly string[];
  /** Set on update besides `compare` (written along with a real change, never alone). */
  alsoSet: readonly string[];
}

const PRICES: UpsertSpec = {
  table: 'stock_prices',
  stage: 'smartstock_stage_prices',
  columns: [
    ['ticker', 'varchar(20)'],
    ['date', 'date'],
    ['open', 'double precision'],
    ['high', 'double precision'],
    ['low', 'double precision'],
    ['close', 'double precision'],
    ['volume', 'bigint'],
    ['vwap', 'double precision'],
    ['change', 'double precision'],
    ['change_percent', 'double precision'],
    ['source', 'varchar(32)'],
  ],
  key: ['ticker', 'date'],
  compare: ['open', 'high', 'low', 'close', 'volume', 'vwap', 'change', 'change_percent'],
  alsoSet: ['source'],
};

const DCF: UpsertSpec = {
  table: 'dcf_valuations',
  stage: 'smartstock_stage_dcf',
  columns: [
    ['ticker', 'varchar(20)'],
    ['valuation_date', 'date'],
    ['dcf', 'double precision'],
    ['stock_price', 'double precision'],
    ['source', 'varchar(32)'],
  ],
  key: ['ticker'],
  compare: ['valuation_date', 'dcf', 'stock_price'],
  alsoSet: ['source'],
};

/** Rows per COPY + INSERT ... SELECT round inside the one transaction: bounds the staging table's size. */
const CHUNK_ROWS = 50_000;
/** Below this, PostgreSQL gets one unnest() statement: no staging table, one round trip. */
const SMALL_BATCH = 1_000;
/** COPY input is streamed in pieces of this many rows. */
const COPY_PIECE_ROWS = 2_000;

function upsertSql(spec: UpsertSpec, source: string): string {
  const names = spec.columns.map(([name]) => name);
  const set = [...spec.compare, ...spec.alsoSet].map((c) => `${c} = excluded.${c}`);
  return `WITH up AS (
    INSERT INTO ${spec.table} AS t (${names.join(', ')})
    SELECT ${names.join(', ')} FROM ${source}
    ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${set.join(', ')}, updated_at = now()
    WHERE (${spec.compare.map((c) => `t.${c}`).join(', ')})
      IS DISTINCT FROM (${spec.compare.map((c) => `excluded.${c}`).join(', ')})
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM up`;
}

function* copyPieces(rows: readonly Cell[][]): Generator<string> {
  for (let start = 0; start < rows.length; start += COPY_PIECE_ROWS) {
    let piece = '';
    const end = Math.min(rows.length, start + COPY_PIECE_ROWS);
    for (let i = start; i < end; i++) piece += `${rows[i]!.map(copyField).join('\t')}\n`;
    yield piece;
  }
}

async function upsertViaCopy(tx: Executor, spec: UpsertSpec, rows: readonly Cell[][]): Promise<WriteResult> {
  const total: WriteResult = { inserted: 0, updated: 0 };
  await tx.exec(
    `CREATE TEMP TABLE IF NOT EXISTS ${spec.stage} (${spec.columns.map(([n, t]) => `${n} ${t}`).join(', ')}) ON COMMIT DROP`,
  );
  const sql = upsertSql(spec, spec.stage);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    const chunk = rows.slice(start, start + CHUNK_ROWS);
    if (start > 0) await tx.exec(`TRUNCATE ${spec.stage}`);
    await tx.copyIn(
      spec.stage,
      spec.columns.map(([name]) => name),
      copyPieces(chunk),
    );
    const [result] = await tx.query<WriteResult>(sql);
    total.inserted += result?.inserted ?? 0;
    total.updated += result?.updated ?? 0;
  }
  return total;
}

async function upsertViaUnnest(
  tx: Executor,
  spec: UpsertSpec,
  rows: readonly Cell[][],
): Promise<WriteResult> {
  const source = `unnest(${spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS s(${spec.columns
    .map(([name]) => name)
    .join(', ')})`;
  const arrays = spec.columns.map((_, i) => rows.map((row) => row[i]));
  const [result] = await tx.query<WriteResult>(upsertSql(spec, source), arrays);
  return result ?? { inserted: 0, updated: 0 };
}

async function upsert(db: Database, spec: UpsertSpec, rows: Cell[][], what: string): Promise<WriteResult> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const backend = backendOf(db);
  try {
    return await backend.transaction((tx) =>
      backend.kind === 'postgres' && rows.length <= SMALL_BATCH
        ? upsertViaUnnest(tx, spec, rows)
        : upsertViaCopy(tx, spec, rows),
    );
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    throw new DatabaseError(
      'WRITE_FAILED',
      `writing ${rows.length} ${what} rows to ${spec.table} failed, nothing was written: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** Later rows win: PostgreSQL refuses an INSERT ... ON CONFLICT that touches one key twice. */
function lastWins<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    byKey.delete(k);
    byKey.set(k, row);
  }
  return [...byKey.values()];
}

/**
 * Upserts daily bars into stock_prices. Every row is validated first (INVALID_ROW names the row, ticker,
 * date and field, and nothing is written); duplicate (ticker, date) keys in the batch collapse to the last;
 * an unchanged row is not rewritten and keeps its updated_at. One transaction.
 */
export async function writePrices(db: Database, rows: readonly PriceRow[]): Promise<WriteResult> {
  const cells = rows.map((row, index): Cell[] => {
    const context: RowContext = { what: 'price', index, ticker: row?.ticker, date: row?.date };
    if (typeof row !== 'object' || row === null)
      throw new DatabaseError('INVALID_ROW', `price row ${index} is not an object`);
    return [
      checkTicker(context, row.ticker),
      checkDate(context, 'date', row.date),
      checkNumber(context, 'open', row.open),
      checkNumber(context, 'high', row.high),
      checkNumber(context, 'low', row.low),
      checkNumber(context, 'close', row.close),
      checkVolume(context, row.volume),
      checkNullableNumber(context, 'vwap', row.vwap),
      checkNullableNumber(context, 'change', row.change),
      checkNullableNumber(context, 'changePercent', row.changePercent),
      checkSource(context, row.source),
    ];
  });
  return upsert(
    db,
    PRICES,
    lastWins(cells, (c) => `${c[0]}|${c[1]}`),
    'price',
  );
}

/** Upserts the latest DCF valuation per ticker into dcf_valuations; same guarantees as writePrices. */
export async function writeDcf(db: Database, rows: readonly DcfRow[]): Promise<WriteResult> {
  const cells = rows.map((row, index): Cell[] => {
    const context: RowContext = { what: 'DCF', index, ticker: row?.ticker, date: row?.date };
    if (typeof row !== 'object' || row === null)
      throw new DatabaseError('INVALID_ROW', `DCF row ${index} is not an object`);
    return [
      checkTicker(context, row.ticker),
      checkDate(context, 'date', row.date),
      checkNumber(context, 'dcf', row.dcf),
      checkNullableNumber(context, 'stockPrice', row.stockPrice),
      checkSource(context, row.source),
    ];
  });
  return upsert(
    db,
    DCF,
    lastWins(cells, (c) => String(c[0])),
    'DCF',
  );
}

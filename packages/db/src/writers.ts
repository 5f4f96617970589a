import { backendOf, type Database, type Executor } from './backend.js';
import { BinaryCopyWriter } from './copy-binary.js';
import { DatabaseError, errorMessage } from './errors.js';
import {
  checkDate,
  checkNullableNumber,
  checkNullableText,
  checkNumber,
  checkSource,
  checkTicker,
  checkVolume,
  type RowContext,
} from './validate.js';

/** One daily bar for `writePrices` (date YYYY-MM-DD; `source` names where it came from, e.g. `fmp`). */
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

/** One DCF valuation for `writeDcf` (date YYYY-MM-DD, value per share). */
export interface DcfRow {
  ticker: string;
  date: string;
  dcf: number;
  stockPrice: number | null;
  source: string;
}

/**
 * One rename for `writeSymbolChanges`: `oldSymbol` trades as `newSymbol` from `date` (YYYY-MM-DD), as FMP's
 * `/stable/symbol-change` lists it.
 */
export interface SymbolChangeRow {
  oldSymbol: string;
  newSymbol: string;
  /** The change date, YYYY-MM-DD: the first session under the new symbol. */
  date: string;
  companyName: string | null;
}

/** Rows a writer inserted and updated; unchanged rows are not rewritten and count in neither. */
export interface WriteResult {
  /** Rows that did not exist before. */
  inserted: number;
  /** Existing rows whose values changed (unchanged rows are not rewritten and not counted). */
  updated: number;
}

type Cell = string | number | null;

interface UpsertSpec<Row> {
  what: string;
  table: string;
  stage: string;
  /** Staging columns in COPY order, with their types. */
  columns: readonly (readonly [name: string, type: string])[];
  key: readonly string[];
  /** Compared with IS DISTINCT FROM: an upsert that changes none of these rewrites nothing. */
  compare: readonly string[];
  /** Set on update besides `compare` (written along with a real change, never alone). */
  alsoSet: readonly string[];
  /** Throws INVALID_ROW naming the row, ticker, date and field. */
  validate(row: Row, index: number): void;
  /** The row's values in column order (validated rows only): the unnest arrays and the COPY tuples. */
  cells(row: Row): Cell[];
  keyOf(row: Row): string;
  /** Tables written from the same rows in the same transaction (dcf_history beside dcf_valuations). */
  companions?: readonly UpsertSpec<Row>[];
  /** Whether the table has an `updated_at` set to now() on a real change (default true). */
  updatedAt?: boolean;
}

/** Rows per COPY + INSERT ... SELECT round inside the one transaction: bounds the staging table's size. */
const CHUNK_ROWS = 100_000;
/** Below this, PostgreSQL gets one unnest() statement: no staging table, one round trip. */
const SMALL_BATCH = 1_000;
/** COPY input is produced in pieces of this many rows. */
const COPY_PIECE_ROWS = 2_000;
/** PostgreSQL's "ON CONFLICT DO UPDATE command cannot affect row a second time". */
const CARDINALITY_VIOLATION = '21000';

const PRICES: UpsertSpec<PriceRow> = {
  what: 'price',
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
  validate(row, index) {
    if (typeof row !== 'object' || row === null) {
      throw new DatabaseError('INVALID_ROW', `price row ${index} is not an object; nothing was written`);
    }
    const context: RowContext = { what: 'price', index, ticker: row.ticker, date: row.date };
    checkTicker(context, row.ticker);
    checkDate(context, 'date', row.date);
    checkNumber(context, 'open', row.open);
    checkNumber(context, 'high', row.high);
    checkNumber(context, 'low', row.low);
    checkNumber(context, 'close', row.close);
    checkVolume(context, row.volume);
    checkNullableNumber(context, 'vwap', row.vwap);
    checkNullableNumber(context, 'change', row.change);
    checkNullableNumber(context, 'changePercent', row.changePercent);
    checkSource(context, row.source);
  },
  cells: (r) => [
    r.ticker,
    r.date,
    r.open,
    r.high,
    r.low,
    r.close,
    r.volume,
    r.vwap ?? null,
    r.change ?? null,
    r.changePercent ?? null,
    r.source,
  ],
  keyOf: (r) => `${r.ticker}|${r.date}`,
};

/** Every distinct (ticker, date) DCF value; a value revised for the same date replaces the stored one. */
const DCF_HISTORY: UpsertSpec<DcfRow> = {
  what: 'DCF history',
  table: 'dcf_history',
  stage: 'smartstock_stage_dcf_history',
  columns: [
    ['ticker', 'varchar(20)'],
    ['valuation_date', 'date'],
    ['dcf', 'double precision'],
    ['stock_price', 'double precision'],
    ['source', 'varchar(32)'],
  ],
  key: ['ticker', 'valuation_date'],
  compare: ['dcf', 'stock_price'],
  alsoSet: ['source'],
  validate: (row, index) => DCF.validate(row, index),
  cells: (r) => [r.ticker, r.date, r.dcf, r.stockPrice ?? null, r.source],
  keyOf: (r) => `${r.ticker}|${r.date}`,
};

const DCF: UpsertSpec<DcfRow> = {
  what: 'DCF',
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
  validate(row, index) {
    if (typeof row !== 'object' || row === null) {
      throw new DatabaseError('INVALID_ROW', `DCF row ${index} is not an object; nothing was written`);
    }
    const context: RowContext = { what: 'DCF', index, ticker: row.ticker, date: row.date };
    checkTicker(context, row.ticker);
    checkDate(context, 'date', row.date);
    checkNumber(context, 'dcf', row.dcf);
    checkNullableNumber(context, 'stockPrice', row.stockPrice);
    checkSource(context, row.source);
  },
  cells: (r) => [r.ticker, r.date, r.dcf, r.stockPrice ?? null, r.source],
  keyOf: (r) => r.ticker,
  companions: [DCF_HISTORY],
};

/**
 * Renames touching the universe; a company name FMP revises for the same rename replaces the stored one.
 * `first_seen_at` is set once, by the insert (the table's default), and never rewritten.
 */
const SYMBOL_CHANGES: UpsertSpec<SymbolChangeRow> = {
  what: 'symbol change',
  table: 'symbol_changes',
  stage: 'smartstock_stage_symbol_changes',
  columns: [
    ['old_symbol', 'varchar(20)'],
    ['new_symbol', 'varchar(20)'],
    ['change_date', 'date'],
    ['company_name', 'varchar'],
  ],
  key: ['old_symbol', 'new_symbol', 'change_date'],
  compare: ['company_name'],
  alsoSet: [],
  updatedAt: false,
  validate(row, index) {
    if (typeof row !== 'object' || row === null) {
      throw new DatabaseError(
        'INVALID_ROW',
        `symbol change row ${index} is not an object; nothing was written`,
      );
    }
    const context: RowContext = { what: 'symbol change', index, ticker: row.newSymbol, date: row.date };
    checkTicker({ ...context, ticker: row.oldSymbol }, row.oldSymbol);
    checkTicker(context, row.newSymbol);
    if (row.oldSymbol === row.newSymbol) {
      throw new DatabaseError(
        'INVALID_ROW',
        `symbol change row ${index}: oldSymbol and newSymbol are both ${row.oldSymbol}; nothing was written`,
      );
    }
    checkDate(context, 'date', row.date);
    checkNullableText(context, 'companyName', row.companyName, 500);
  },
  cells: (r) => [r.oldSymbol, r.newSymbol, r.date, r.companyName ?? null],
  keyOf: (r) => `${r.oldSymbol}|${r.newSymbol}|${r.date}`,
};

function upsertSql(spec: UpsertSpec<unknown>, source: string): string {
  const names = spec.columns.map(([name]) => name);
  const set = [...spec.compare, ...spec.alsoSet].map((c) => `${c} = excluded.${c}`);
  if (spec.updatedAt !== false) set.push('updated_at = now()');
  return `WITH up AS (
    INSERT INTO ${spec.table} AS t (${names.join(', ')})
    SELECT ${names.join(', ')} FROM ${source}
    ON CONFLICT (${spec.key.join(', ')}) DO UPDATE SET ${set.join(', ')}
    WHERE (${spec.compare.map((c) => `t.${c}`).join(', ')})
      IS DISTINCT FROM (${spec.compare.map((c) => `excluded.${c}`).join(', ')})
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM up`;
}

/**
 * Row indexes in key order (stable). Writing in key order means two batches written at the same time take
 * their row locks in the same order, so they can wait for each other but never deadlock; it also keeps
 * B-tree inserts local.
 */
function keyOrder<Row>(spec: UpsertSpec<Row>, rows: readonly Row[]): number[] {
  const keys = rows.map((row) => (row !== null && typeof row === 'object' ? spec.keyOf(row) : ''));
  return rows.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
}

type CellWriter = (out: BinaryCopyWriter, value: Cell) => void;

/** How each column type travels in binary COPY; a column of any other type is a programming error. */
function cellWriter(type: string): CellWriter {
  if (type === 'date') return (out, v) => (v === null ? out.null() : out.date(v as string));
  if (type === 'double precision') return (out, v) => out.float8(v as number | null);
  if (type === 'bigint') return (out, v) => (v === null ? out.null() : out.int8(v as number));
  if (type.startsWith('varchar')) return (out, v) => (v === null ? out.null() : out.text(v as string));
  throw new Error(`no binary COPY encoding for column type ${type}`);
}

// Validation runs inside the generator: on PostgreSQL it overlaps with the server's work on the COPY stream,
// and a bad row aborts the COPY, so the transaction rolls back and nothing is written. Errors name the row's
// index in the caller's array, whatever the key order it is written in.
function* copyPieces<Row>(
  spec: UpsertSpec<Row>,
  rows: readonly Row[],
  order: readonly number[],
  start: number,
  end: number,
): Generator<Uint8Array> {
  const out = new BinaryCopyWriter();
  const writers = spec.columns.map(([, type]) => cellWriter(type));
  for (let from = start; from < end; from += COPY_PIECE_ROWS) {
    const to = Math.min(end, from + COPY_PIECE_ROWS);
    for (let i = from; i < to; i++) {
      const index = order[i]!;
      const row = rows[index]!;
      spec.validate(row, index);
      const cells = spec.cells(row);
      out.tuple(cells.length);
      for (let c = 0; c < cells.length; c++) writers[c]!(out, cells[c] ?? null);
    }
    if (to < end) yield out.take();
  }
  yield out.end();
}

async function upsertViaCopy<Row>(
  tx: Executor,
  spec: UpsertSpec<Row>,
  rows: readonly Row[],
): Promise<WriteResult> {
  const total: WriteResult = { inserted: 0, updated: 0 };
  await tx.exec(
    `CREATE TEMP TABLE IF NOT EXISTS ${spec.stage} (${spec.columns.map(([n, t]) => `${n} ${t}`).join(', ')}) ON COMMIT DROP`,
  );
  const sql = upsertSql(spec as UpsertSpec<unknown>, spec.stage);
  const names = spec.columns.map(([name]) => name);
  const order = keyOrder(spec, rows);
  for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
    if (start > 0) await tx.exec(`TRUNCATE ${spec.stage}`);
    await tx.copyIn(
      spec.stage,
      names,
      copyPieces(spec, rows, order, start, Math.min(rows.length, start + CHUNK_ROWS)),
    );
    const [result] = await tx.query<WriteResult>(sql);
    total.inserted += result?.inserted ?? 0;
    total.updated += result?.updated ?? 0;
  }
  return total;
}

async function upsertViaUnnest<Row>(
  tx: Executor,
  spec: UpsertSpec<Row>,
  rows: readonly Row[],
): Promise<WriteResult> {
  for (const [i, row] of rows.entries()) spec.validate(row, i);
  const source = `unnest(${spec.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) AS s(${spec.columns
    .map(([name]) => name)
    .join(', ')})`;
  const cells = keyOrder(spec, rows).map((i) => spec.cells(rows[i]!));
  const arrays = spec.columns.map((_, i) => cells.map((row) => row[i]));
  const [result] = await tx.query<WriteResult>(upsertSql(spec as UpsertSpec<unknown>, source), arrays);
  return result ?? { inserted: 0, updated: 0 };
}

/** Later rows win. Only called when PostgreSQL reported a key twice in one statement (rare). */
function lastWins<Row>(spec: UpsertSpec<Row>, rows: readonly Row[]): Row[] {
  for (const [i, row] of rows.entries()) spec.validate(row, i);
  const byKey = new Map<string, Row>();
  for (const row of rows) {
    const key = spec.keyOf(row);
    byKey.delete(key);
    byKey.set(key, row);
  }
  return [...byKey.values()];
}

/** One table's upsert inside the caller's transaction: unnest for a small PostgreSQL batch, else COPY. */
function upsertOne<Row>(
  tx: Executor,
  kind: Database['kind'],
  spec: UpsertSpec<Row>,
  rows: readonly Row[],
): Promise<WriteResult> {
  return kind === 'postgres' && rows.length <= SMALL_BATCH
    ? upsertViaUnnest(tx, spec, rows)
    : upsertViaCopy(tx, spec, rows);
}

/** The spec's table, then its companions, in one transaction; the result is the spec's own table's. */
function upsertWithCompanions<Row>(
  db: Database,
  spec: UpsertSpec<Row>,
  rows: readonly Row[],
  collapse: boolean,
): Promise<WriteResult> {
  const backend = backendOf(db);
  const rowsFor = (s: UpsertSpec<Row>) => (collapse ? lastWins(s, rows) : rows);
  return backend.transaction(async (tx) => {
    const result = await upsertOne(tx, backend.kind, spec, rowsFor(spec));
    for (const companion of spec.companions ?? [])
      await upsertOne(tx, backend.kind, companion, rowsFor(companion));
    return result;
  });
}

async function upsert<Row>(db: Database, spec: UpsertSpec<Row>, rows: readonly Row[]): Promise<WriteResult> {
  if (!Array.isArray(rows)) throw new DatabaseError('INVALID_ROW', `${spec.what} rows must be an array`);
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  try {
    try {
      return await upsertWithCompanions(db, spec, rows, false);
    } catch (error) {
      // Duplicate keys in one statement: collapse them (last wins, per table's own key) and write again.
      // Checking every batch for duplicates up front would cost more than this rare second attempt.
      if ((error as { code?: unknown }).code !== CARDINALITY_VIOLATION) throw error;
      return await upsertWithCompanions(db, spec, rows, true);
    }
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    const tables = [spec, ...(spec.companions ?? [])].map((s) => s.table).join(' and ');
    throw new DatabaseError(
      'WRITE_FAILED',
      `writing ${rows.length} ${spec.what} rows to ${tables} failed, nothing was written: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * Upserts daily bars into stock_prices. Every row is validated (INVALID_ROW names the row, ticker, date and
 * field, and nothing is written); duplicate (ticker, date) keys in the batch collapse to the last; an
 * unchanged row is not rewritten and keeps its updated_at. One transaction.
 */
export function writePrices(db: Database, rows: readonly PriceRow[]): Promise<WriteResult> {
  return upsert(db, PRICES, rows);
}

/**
 * Upserts the latest DCF valuation per ticker into dcf_valuations and, in the same transaction, every
 * distinct (ticker, date) value into dcf_history (a value revised for the same date replaces it there); same
 * guarantees as writePrices. The counts returned are dcf_valuations' own.
 */
export function writeDcf(db: Database, rows: readonly DcfRow[]): Promise<WriteResult> {
  return upsert(db, DCF, rows);
}

/**
 * Upserts renames into symbol_changes, keyed by (old symbol, new symbol, change date). Idempotent: a rename
 * already stored is not rewritten (its `first_seen_at` stays); a revised company name replaces the stored one.
 * Same validation and transaction guarantees as writePrices.
 */
export function writeSymbolChanges(db: Database, rows: readonly SymbolChangeRow[]): Promise<WriteResult> {
  return upsert(db, SYMBOL_CHANGES, rows);
}

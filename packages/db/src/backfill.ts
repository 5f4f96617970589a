import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkDate, checkTicker, invalidRow, type RowContext } from './validate.js';
import type { PriceRow } from './writers.js';

/**
 * A price window (ticker, from, to: YYYY-MM-DD) a resumable backfill completed, and the rows it stored; a rerun
 * skips it.
 */
export interface BackfillWindow {
  ticker: string;
  from: string;
  to: string;
  rows: number;
}

/** Records history windows as complete (rerecording one refreshes its row count and completed_at). */
export async function recordCompletedWindows(
  db: Database,
  windows: readonly BackfillWindow[],
): Promise<void> {
  if (windows.length === 0) return;
  const checked = windows.map((w, index) => {
    const context: RowContext = { what: 'backfill window', index, ticker: w?.ticker, date: w?.from };
    const ticker = checkTicker(context, w.ticker);
    const from = checkDate(context, 'from', w.from);
    const to = checkDate(context, 'to', w.to);
    if (from > to) throw invalidRow(context, 'to', `must not be before from (${from})`, to);
    if (!Number.isSafeInteger(w.rows) || w.rows < 0)
      throw invalidRow(context, 'rows', 'must be a non-negative integer', w.rows);
    return { ticker, from, to, rows: w.rows };
  });
  const unique = [...new Map(checked.map((w) => [`${w.ticker}|${w.from}|${w.to}`, w])).values()];
  await backendOf(db).query(
    `INSERT INTO price_backfill_windows (ticker, window_from, window_to, rows, completed_at)
     SELECT * , now() FROM unnest($1::text[], $2::date[], $3::date[], $4::int[])
     ON CONFLICT (ticker, window_from, window_to) DO UPDATE SET rows = excluded.rows, completed_at = now()`,
    [
      unique.map((w) => w.ticker),
      unique.map((w) => w.from),
      unique.map((w) => w.to),
      unique.map((w) => w.rows),
    ],
  );
}

/** The windows recorded complete for these tickers, ordered by ticker and start. */
export async function getCompletedWindows(
  db: Database,
  tickers: readonly string[],
): Promise<{ ticker: string; from: string; to: string }[]> {
  if (tickers.length === 0) return [];
  return backendOf(db).query(
    `SELECT ticker, window_from AS "from", window_to AS "to" FROM price_backfill_windows
     WHERE ticker = ANY ($1::text[]) ORDER BY ticker COLLATE "C", window_from, window_to`,
    [[...tickers]],
  );
}

interface StoredPrice {
  ticker: string;
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
  vwap: number | null;
  change: number | null;
  change_percent: number | null;
  source: string | null;
}

/** Stored bars of these tickers between from and to (inclusive), by ticker then date. */
export async function readPrices(
  db: Database,
  options: { tickers: readonly string[]; from: string; to: string },
): Promise<PriceRow[]> {
  const context: RowContext = { what: 'readPrices', index: 0 };
  const from = checkDate(context, 'from', options.from);
  const to = checkDate(context, 'to', options.to);
  if (options.tickers.length === 0) return [];
  if (from > to) throw new DatabaseError('INVALID_ROW', `readPrices: from ${from} is after to ${to}`);
  // Legacy tables may hold NUMERIC or REAL prices: cast, so every backend returns JS numbers.
  const rows = await backendOf(db).query<StoredPrice>(
    `SELECT ticker::text AS ticker, date, open::float8 AS open, high::float8 AS high, low::float8 AS low,
            close::float8 AS close, volume::int8 AS volume, vwap::float8 AS vwap, change::float8 AS change,
            change_percent::float8 AS change_percent, source::text AS source
     FROM stock_prices WHERE ticker = ANY ($1::text[]) AND date BETWEEN $2::date AND $3::date
     ORDER BY ticker COLLATE "C", date`,
    [[...options.tickers], from, to],
  );
  return rows.map((r) => ({
    ticker: r.ticker,
    date: r.date,
    open: r.open ?? Number.NaN,
    high: r.high ?? Number.NaN,
    low: r.low ?? Number.NaN,
    close: r.close ?? Number.NaN,
    volume: r.volume ?? 0,
    vwap: r.vwap,
    change: r.change,
    changePercent: r.change_percent,
    source: r.source ?? 'unknown',
  }));
}

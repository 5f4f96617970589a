import { type PriceRow, readPrices } from '@smartstock/db';
import type { FmpClient } from '@smartstock/fmp-client';
import { addDays } from '../../calendar.js';
import { chunkWindow } from '../chunks.js';
import type { TaskContext } from '../context.js';
import { fetchChunks } from './fetch.js';
import type { PricesRun, PricesTaskOptions } from './run.js';

/** Relative difference between a stored and a fresh close that counts as a restatement (a split). */
export const SPLIT_TOLERANCE = 0.005;

export interface SplitRecord {
  ticker: string;
  date: string;
  storedClose: number;
  freshClose: number;
  refetched: { from: string; to: string; rows: number } | null;
  error?: string | undefined;
}

/** A stored close FMP now reports differently. */
export interface Restatement {
  date: string;
  storedClose: number;
  freshClose: number;
}

/** Stored closes by ticker, then by date. */
export type StoredCloses = Map<string, Map<string, number>>;

/** Stored closes on the window's days, for split detection (a small window: the nightly 5 days). */
export async function readStoredCloses(ctx: TaskContext, options: PricesTaskOptions): Promise<StoredCloses> {
  const stored: StoredCloses = new Map();
  if (!options.splitCheck || options.tickers.length === 0) return stored;
  const { tickers, window } = options;
  for (const row of await readPrices(ctx.db, { tickers: [...tickers], from: window.from, to: window.to })) {
    const m = stored.get(row.ticker) ?? new Map<string, number>();
    m.set(row.date, row.close);
    stored.set(row.ticker, m);
  }
  return stored;
}

// Relative, and over half a cent: on a very low price a sub-cent difference exceeds the relative tolerance
// without being a split.
function restated(stored: number, fresh: number): boolean {
  const scale = Math.max(Math.abs(stored), Math.abs(fresh), 1e-9);
  return Math.abs(stored - fresh) / scale > SPLIT_TOLERANCE && Math.abs(stored - fresh) > 0.0051;
}

/** The first fresh row whose close disagrees with the stored one, or null. */
export function findRestatement(
  stored: StoredCloses,
  ticker: string,
  rows: readonly PriceRow[],
): Restatement | null {
  const m = stored.get(ticker);
  if (!m) return null;
  for (const r of rows) {
    const s = m.get(r.date);
    if (s !== undefined && restated(s, r.close)) return { date: r.date, storedClose: s, freshClose: r.close };
  }
  return null;
}

/**
 * Re-fetches a restated ticker's whole stored history through the window's end: a split rescales every
 * earlier bar, not only the window's. Records the split (with what was refetched) and returns the invalid
 * rows dropped.
 */
export async function rebackfill(
  run: PricesRun,
  client: FmpClient,
  ticker: string,
  hit: Restatement,
): Promise<number> {
  const record: SplitRecord = { ticker, ...hit, refetched: null };
  run.splits.push(record);
  run.ctx.logger.warn('stored bars disagree with FMP: re-backfilling the ticker (split or restatement)', {
    ticker,
    ...hit,
  });
  const { window } = run.options;
  const from = await rebackfillStart(run, ticker);
  const r = await fetchChunks(run, client, ticker, chunkWindow(from, window.to), false);
  record.refetched = { from, to: window.to, rows: r.rows };
  return r.invalid;
}

/** The ticker's earliest stored bar before the window, else the history start, else the window's start. */
async function rebackfillStart(run: PricesRun, ticker: string): Promise<string> {
  const { window } = run.options;
  const history = await readPrices(run.ctx.db, {
    tickers: [ticker],
    from: '1900-01-01',
    to: addDays(window.from, -1),
  });
  const earliest = history.reduce<string | null>(
    (min, r) => (min === null || r.date < min ? r.date : min),
    null,
  );
  return earliest ?? run.options.historyStart ?? window.from;
}

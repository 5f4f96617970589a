import { getCompletedWindows } from '@smartstock/db';
import { type Chunk, chunkWindow, isChunkComplete } from '../chunks.js';
import type { TaskContext } from '../context.js';
import { followRenames, type SymbolChangesOutcome } from './renames.js';
import type { PricesTaskOptions } from './run.js';
import { readStoredCloses, type StoredCloses } from './splits.js';

/** In-flight history calls during a backfill (see pricesConcurrency). */
export const BACKFILL_MAX_CONCURRENCY = 10;

/** What the prices task settles before its first call: how it splits the window and what it can skip. */
export interface PricesPlan {
  /** The window, in 5-year chunks for a backfill, whole otherwise. */
  chunks: Chunk[];
  /** Each ticker's recorded complete windows (backfill resume markers). */
  completed: Map<string, Chunk[]>;
  /** Stored closes on the window's days, when the split check is on. */
  stored: StoredCloses;
  /** The window's last closed session: no window is marked complete past it. */
  lastClosed: string | null;
  concurrency: number;
  /** The night's read of FMP's renames (null: no ticker, so no FMP call at all). */
  symbolChanges: SymbolChangesOutcome | null;
}

/**
 * A history call returns up to ~1,260 bars, 250 times a nightly one: with 50 of them in flight the
 * responses, not the database batches, decide the process's memory. Ten in flight still outrun every FMP
 * plan (3,000 calls a minute is 50 a second; a history call takes longer than 200 ms), so a backfill
 * caps its concurrency instead of its memory growing with the setting.
 */
export function pricesConcurrency(options: PricesTaskOptions): number {
  return options.backfill ? Math.min(options.concurrency, BACKFILL_MAX_CONCURRENCY) : options.concurrency;
}

/**
 * Reads what the plan needs from the database (stored closes, then completed windows), chunks the window, and
 * follows the night's renames (one call to FMP, never failing the task; see renames.ts).
 */
export async function planPrices(ctx: TaskContext, options: PricesTaskOptions): Promise<PricesPlan> {
  const { window } = options;
  const stored = await readStoredCloses(ctx, options);
  const completed = await readCompletedWindows(ctx, options);
  const symbolChanges = options.tickers.length > 0 ? await followRenames(ctx) : null;
  return {
    chunks: options.backfill ? chunkWindow(window.from, window.to) : [{ from: window.from, to: window.to }],
    completed,
    stored,
    lastClosed: window.closedSessions.at(-1) ?? null,
    concurrency: pricesConcurrency(options),
    symbolChanges,
  };
}

/** Each ticker's completed windows; only a backfill records and reads them. */
async function readCompletedWindows(
  ctx: TaskContext,
  options: PricesTaskOptions,
): Promise<Map<string, Chunk[]>> {
  const completed = new Map<string, Chunk[]>();
  if (!options.backfill || options.tickers.length === 0) return completed;
  for (const w of await getCompletedWindows(ctx.db, [...options.tickers])) {
    const list = completed.get(w.ticker) ?? [];
    list.push({ from: w.from, to: w.to });
    completed.set(w.ticker, list);
  }
  return completed;
}

/** The chunks a ticker still needs: those its recorded windows do not already cover. */
export function chunksToFetch(plan: PricesPlan, ticker: string): Chunk[] {
  const done = plan.completed.get(ticker) ?? [];
  return plan.chunks.filter((c) => !isChunkComplete(c, done, plan.lastClosed));
}

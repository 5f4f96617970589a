import type { PriceRow } from '@smartstock/db';
import type { DailyBar, FmpClient } from '@smartstock/fmp-client';
import type { Chunk } from '../chunks.js';
import type { CompletedMarker, PricesRun } from './run.js';

export const PRICE_SOURCE = 'fmp';

export function toPriceRow(ticker: string, bar: DailyBar): PriceRow {
  return {
    ticker,
    date: bar.date,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: bar.vwap,
    change: bar.change,
    changePercent: bar.changePercent,
    source: PRICE_SOURCE,
  };
}

/** What fetching a ticker's chunks gave: rows written, invalid rows dropped, and the rows for split checks. */
export interface FetchedChunks {
  rows: number;
  invalid: number;
  /** The rows fetched, kept only when the split check is on (a backfill's history stays out of memory). */
  fresh: PriceRow[];
}

/**
 * Fetches and writes one ticker's chunks, one history call each. With `record`, a chunk stored in full is
 * marked complete with its rows, so a rerun skips it.
 */
export async function fetchChunks(
  run: PricesRun,
  client: FmpClient,
  ticker: string,
  chunks: readonly Chunk[],
  record: boolean,
): Promise<FetchedChunks> {
  const out: FetchedChunks = { rows: 0, invalid: 0, fresh: [] };
  for (const chunk of chunks) {
    run.tally.calls++;
    const res = await client.getDailyPrices(ticker, chunk);
    // Only the chunk's own days: a bar outside them is another chunk's (and counts in its marker).
    const chunkRows = res.rows
      .filter((b) => b.date >= chunk.from && b.date <= chunk.to)
      .map((b) => toPriceRow(ticker, b));
    out.invalid += res.invalid.length;
    out.rows += chunkRows.length;
    if (run.options.splitCheck) out.fresh.push(...chunkRows);
    const markers =
      record && res.invalid.length === 0
        ? completedMarkers(ticker, chunk, chunkRows.length, run.plan.lastClosed)
        : [];
    await run.writer.add(chunkRows, markers);
  }
  return out;
}

/**
 * A window is complete only when its sessions have all closed and none of its rows was dropped (the caller
 * checks the latter): the marker ends at the last closed session, and a chunk entirely after it gets none.
 */
function completedMarkers(
  ticker: string,
  chunk: Chunk,
  rows: number,
  lastClosed: string | null,
): CompletedMarker[] {
  if (lastClosed === null) return [];
  const end = lastClosed < chunk.to ? lastClosed : chunk.to;
  return chunk.from <= end ? [{ ticker, from: chunk.from, to: end, rows }] : [];
}

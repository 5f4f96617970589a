import type { FmpClient } from '@smartstock/fmp-client';
import { runPerTicker, type TickerOutcome } from '../per-ticker.js';
import { fetchChunks } from './fetch.js';
import { chunksToFetch } from './plan.js';
import type { PricesRun } from './run.js';
import { findRestatement, rebackfill } from './splits.js';

/** The per-symbol path: one history call per ticker and chunk, through the shared per-ticker runner. */
export async function runPerSymbol(run: PricesRun, client: FmpClient): Promise<void> {
  await runPerTicker(run, run.plan.concurrency, (ticker) => fetchTicker(run, client, ticker));
}

/**
 * One ticker: its chunks not yet recorded complete, then (split check) a re-backfill when FMP restated a
 * stored close. A ticker whose chunks were all skipped is ok: its rows are already stored.
 */
async function fetchTicker(run: PricesRun, client: FmpClient, ticker: string): Promise<TickerOutcome> {
  const todo = chunksToFetch(run.plan, ticker);
  run.tally.windowsSkipped += run.plan.chunks.length - todo.length;
  const r = await fetchChunks(run, client, ticker, todo, run.options.backfill);
  let invalid = r.invalid;
  const hit = run.options.splitCheck ? findRestatement(run.plan.stored, ticker, r.fresh) : null;
  if (hit) invalid += await rebackfill(run, client, ticker, hit);
  run.tally.invalidRowsDropped += invalid;
  if (invalid > 0) return { outcome: 'invalid_rows', message: `${invalid} invalid rows dropped` };
  return { outcome: r.rows > 0 || todo.length === 0 ? 'ok' : 'no_data' };
}

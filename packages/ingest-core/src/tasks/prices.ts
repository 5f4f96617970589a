import { type PriceRow, recordCompletedWindows, writePrices } from '@smartstock/db';
import { BatchWriter } from '../batch-writer.js';
import type { TaskContext, TaskResult } from './context.js';
import { type FetchMode, openTickerRun, runTickerTask } from './per-ticker.js';
import { runBulk } from './prices/bulk.js';
import { runPerSymbol } from './prices/per-symbol.js';
import { planPrices, pricesConcurrency } from './prices/plan.js';
import { type CompletedMarker, PRICES_TASK, type PricesRun, type PricesTaskOptions } from './prices/run.js';

export type { PricesMode } from '../settings.js';
export { PRICE_SOURCE } from './prices/fetch.js';
export { BACKFILL_MAX_CONCURRENCY } from './prices/plan.js';
export { PRICES_TASK, type PricesTaskOptions } from './prices/run.js';
export { SPLIT_TOLERANCE, type SplitRecord } from './prices/splits.js';

/**
 * `ingest_market_data`: the daily bars of the window for every ticker, written in batches as they arrive.
 * The parts: the plan (chunks, resume markers, stored closes), the per-symbol path, the bulk path and the
 * split-aware re-backfill (under `prices/`), run in the frame shared with DCF (per-ticker.ts).
 */
export async function runPricesTask(ctx: TaskContext, options: PricesTaskOptions): Promise<TaskResult> {
  const run = await openPricesRun(ctx, options);
  return runTickerTask(run, {
    mode: options.mode,
    failureThreshold: options.failureThreshold,
    bulkEndpoint: 'eod-bulk',
    perSymbol: (client) => runPerSymbol(run, client),
    bulk: (client) => runBulk(run, client),
    summarize: (mode) => ({
      // A window with a closed session must yield rows, unless every window was already recorded (no call).
      expectsRows: options.window.closedSessions.length > 0 && run.tally.calls > 0,
      extraMetadata: pricesMetadata(run, mode),
    }),
  });
}

/** The task's frame (its stop exists before the plan's reads, so a halted run is seen), then its plan. */
async function openPricesRun(ctx: TaskContext, options: PricesTaskOptions): Promise<PricesRun> {
  const { window } = options;
  const frame = openTickerRun(ctx, {
    task: PRICES_TASK,
    writes: 'prices',
    tickers: options.tickers,
    writer: new BatchWriter<PriceRow, CompletedMarker>(
      (rows) => writePrices(ctx.db, rows),
      options.batchSize ?? 5000,
      (markers) => recordCompletedWindows(ctx.db, markers),
    ),
    metadata: {
      runId: ctx.runId,
      window: { from: window.from, to: window.to },
      closedSessions: window.closedSessions.length,
      requestedMode: options.mode,
      concurrency: pricesConcurrency(options),
    },
  });
  const plan = await planPrices(ctx, options);
  return {
    ...frame,
    options,
    plan,
    tally: { calls: 0, invalidRowsDropped: 0, windowsSkipped: 0 },
    splits: [],
  };
}

/** The prices task's own sync_logs metadata, read once the writer is flushed. */
function pricesMetadata(run: PricesRun, mode: FetchMode): Record<string, unknown> {
  const { backfill } = run.options;
  return {
    mode,
    batches: run.writer.batches,
    invalidRowsDropped: run.tally.invalidRowsDropped,
    splitsDetected: run.splits,
    ...(run.plan.symbolChanges ? { symbolChanges: run.plan.symbolChanges } : {}),
    ...(backfill
      ? { backfill: { chunks: run.plan.chunks.length, windowsSkipped: run.tally.windowsSkipped } }
      : {}),
  };
}

import type { FmpClient } from '@smartstock/fmp-client';
import { runPool } from '../pool.js';
import type { Outcome, TaskName } from '../summary.js';
import type { TaskContext, TaskResult } from './context.js';
import { finishTask, handleTickerError, OutcomeTracker, TaskStop } from './outcomes.js';

/** What one ticker's work came to when it did not throw (a throw is classified by handleTickerError). */
export interface TickerOutcome {
  outcome: Outcome;
  httpStatus?: number | null;
  message?: string;
}

/** What the runner needs of a task's batch writer: its failure, its last flush and its totals. */
export interface TickerWriter {
  readonly error: unknown;
  flush(): Promise<void>;
  readonly written: number;
  readonly inserted: number;
  readonly updated: number;
}

/**
 * One ticker task while it runs, the same frame for prices and DCF: its tickers, who counts their outcomes
 * (progress events and failed_ingestion.log lines included), who stops it (the run's halt signal, a fatal FMP
 * error, a failed write), its writer and the metadata its sync_logs row will carry.
 */
export interface TickerRun<W extends TickerWriter = TickerWriter> {
  readonly ctx: TaskContext;
  readonly task: TaskName;
  readonly tickers: readonly string[];
  readonly tracker: OutcomeTracker;
  readonly stop: TaskStop;
  readonly writer: W;
  readonly metadata: Record<string, unknown>;
}

/**
 * Opens a ticker task: the tracker and the stop exist from here on, so a run halted before the task starts
 * is seen before any call. `writes` names what the task writes, for "could not write …".
 */
export function openTickerRun<W extends TickerWriter>(
  ctx: TaskContext,
  parts: {
    task: TaskName;
    writes: string;
    tickers: readonly string[];
    writer: W;
    metadata: Record<string, unknown>;
  },
): TickerRun<W> {
  return {
    ctx,
    task: parts.task,
    tickers: parts.tickers,
    tracker: new OutcomeTracker(ctx, parts.task, parts.tickers.length),
    stop: new TaskStop(ctx, parts.task, parts.writes),
    writer: parts.writer,
    metadata: parts.metadata,
  };
}

/**
 * Runs `work` for every ticker of the run, at most `concurrency` at once through the pool, and counts each
 * ticker's outcome. A throw is the ticker's outcome unless it ends the task (a fatal FMP error, the writer's
 * own failure); once the task stops, no new ticker starts and the calls cancelled by the stop count for
 * nobody. Returns the outcome counts so far.
 */
export async function runPerTicker(
  run: TickerRun,
  concurrency: number,
  work: (ticker: string) => Promise<TickerOutcome>,
): Promise<Record<Outcome, number>> {
  const { ctx, tracker, stop, writer } = run;
  await runPool(run.tickers, concurrency, async (ticker, _i, pool) => {
    if (stop.stopped) return pool.stop();
    try {
      const result = await work(ticker);
      tracker.record(ticker, result.outcome, result);
    } catch (error) {
      // A throw that is the writer's own failure ends the task: the ticker's call did nothing wrong.
      if (handleTickerError(ctx, tracker, ticker, error, stop, writer.error)) pool.stop();
    }
  });
  return { ...tracker.counts };
}

/** How a ticker task fetches: one call per ticker, or the bulk endpoint (one call per day or in all). */
export type FetchMode = 'per-symbol' | 'bulk';

/** What a ticker task brings to runTickerTask. */
export interface TickerTaskSpec {
  /** `auto` tries the bulk endpoint and falls back to per-symbol calls when it answers 402. */
  mode: FetchMode | 'auto';
  failureThreshold: number;
  /** The bulk endpoint's name, for the fallback's log line and metadata (`eod-bulk`, `dcf-bulk`). */
  bulkEndpoint: string;
  perSymbol(client: FmpClient): Promise<unknown>;
  /** `fallback` when the bulk endpoint is not in the plan and `mode` is `auto`. */
  bulk(client: FmpClient): Promise<'done' | 'fallback'>;
  /** Called once the writer is flushed: whether the task must have written a row, and its own metadata. */
  summarize(mode: FetchMode): { expectsRows: boolean; extraMetadata: Record<string, unknown> };
}

/**
 * Runs a ticker task from its first call to its result: fetches in the chosen mode (falling back from bulk
 * on a 402 in auto mode), always flushes the writer, then decides the status against the failure threshold
 * and builds the result (finishTask). No ticker, no client: a run without tickers never calls FMP.
 */
export async function runTickerTask(run: TickerRun, spec: TickerTaskSpec): Promise<TaskResult> {
  let mode: FetchMode = spec.mode === 'per-symbol' ? 'per-symbol' : 'bulk';
  if (run.tickers.length > 0) mode = await fetchAndFlush(run, spec, mode);
  const { expectsRows, extraMetadata } = spec.summarize(mode);
  return finishTask(run.ctx, run.task, {
    tracker: run.tracker,
    writer: run.writer,
    tickers: run.tickers.length,
    abortReason: run.stop.reason,
    expectsRows,
    failureThreshold: spec.failureThreshold,
    fatal: run.stop.fatal,
    metadata: run.metadata,
    extraMetadata,
  });
}

/** Fetches in `mode` and returns the mode used; the writer is flushed whatever happened. */
async function fetchAndFlush(run: TickerRun, spec: TickerTaskSpec, mode: FetchMode): Promise<FetchMode> {
  try {
    const client = run.ctx.fmp();
    // Known to the stop from now on, so a fatal error or a halt cancels the client's queued calls.
    run.stop.client = client;
    if (mode === 'per-symbol') {
      await spec.perSymbol(client);
      return mode;
    }
    if ((await spec.bulk(client)) === 'done') return mode;
    const endpoint = spec.bulkEndpoint;
    run.ctx.logger.warn(`${endpoint} is not in the plan (402): falling back to per-symbol requests`, {
      task: run.task,
    });
    run.metadata.bulkFallback = `${endpoint} answered 402 (not in the plan)`;
    await spec.perSymbol(client);
    return 'per-symbol';
  } finally {
    try {
      await run.writer.flush();
    } catch (error) {
      run.stop.writeFailed(error);
    }
  }
}

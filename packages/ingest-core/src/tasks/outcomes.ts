import { type FmpClient, isFatalFmpError, isFmpError } from '@smartstock/fmp-client';
import { scrub } from '../failed-log.js';
import {
  OUTCOMES,
  type Outcome,
  SUMMARY_FAILURES_LIMIT,
  type TaskFailure,
  type TaskName,
} from '../summary.js';
import type { TaskContext, TaskResult } from './context.js';
import { decideStatus } from './status.js';

export interface ClassifiedError {
  outcome: 'skipped' | 'failed';
  httpStatus: number | null;
  message: string;
  /** Auth or bandwidth: the whole task (and the run's later FMP tasks) must stop. */
  fatal: boolean;
  aborted: boolean;
}

/** Maps an FMP call's error to a ticker outcome: 400/402/404 skip the ticker, the rest fail it. */
export function classifyError(error: unknown, secrets: readonly string[]): ClassifiedError {
  const raw = error instanceof Error ? error.message : String(error);
  const message = scrub(raw, secrets);
  if (isFmpError(error)) {
    const skipped = error.code === 'BAD_REQUEST' || error.code === 'PLAN' || error.code === 'NOT_FOUND';
    return {
      outcome: skipped ? 'skipped' : 'failed',
      httpStatus: error.status ?? null,
      message,
      fatal: isFatalFmpError(error),
      aborted: error.code === 'ABORTED',
    };
  }
  return { outcome: 'failed', httpStatus: null, message, fatal: false, aborted: false };
}

/** Per-ticker outcomes of one task: counts, the first failures, and failed_ingestion.log lines. */
export class OutcomeTracker {
  readonly counts: Record<Outcome, number> = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<
    Outcome,
    number
  >;
  readonly failures: TaskFailure[] = [];
  done = 0;
  private readonly logWrites: Promise<void>[] = [];

  constructor(
    private readonly ctx: TaskContext,
    private readonly task: TaskName,
    private readonly total: number,
  ) {}

  record(ticker: string, outcome: Outcome, detail?: { httpStatus?: number | null; message?: string }): void {
    this.counts[outcome]++;
    this.done++;
    if (outcome !== 'ok' && outcome !== 'no_data') {
      const failure: TaskFailure = {
        ticker,
        outcome,
        httpStatus: detail?.httpStatus ?? null,
        message: scrub(detail?.message ?? outcome, this.ctx.secrets),
      };
      if (this.failures.length < SUMMARY_FAILURES_LIMIT) this.failures.push(failure);
      this.logWrites.push(
        this.ctx.failedLog.write([
          { time: this.ctx.clock().toISOString(), runId: this.ctx.runId, task: this.task, ...failure },
        ]),
      );
    }
    this.ctx.onProgress?.({
      runId: this.ctx.runId,
      task: this.task,
      done: this.done,
      total: this.total,
      failed: this.counts.failed + this.counts.skipped,
      ticker,
    });
  }

  /** Waits for the failed_ingestion.log lines; a log that cannot be written is reported, not fatal. */
  async settle(): Promise<string | null> {
    const results = await Promise.allSettled(this.logWrites);
    const rejected = results.find((r) => r.status === 'rejected');
    return rejected
      ? `could not append to ${this.ctx.failedLog.path}: ${String((rejected as PromiseRejectedResult).reason)}`
      : null;
  }
}

/** What finishTask needs of a task's batch writer. */
interface WriterTotals {
  written: number;
  inserted: number;
  updated: number;
}

/**
 * Ends a ticker task the same way for prices and DCF: settles the failed-ingestion log, decides the status,
 * records the counts in the metadata and builds the result runDailySync logs.
 */
export async function finishTask(
  ctx: TaskContext,
  task: TaskName,
  parts: {
    tracker: OutcomeTracker;
    writer: WriterTotals;
    tickers: number;
    abortReason: string | null;
    expectsRows: boolean;
    failureThreshold: number;
    fatal: { message: string } | null;
    metadata: Record<string, unknown>;
    extraMetadata?: Record<string, unknown> | undefined;
  },
): Promise<TaskResult> {
  const { tracker, writer, tickers, abortReason, metadata } = parts;
  const logProblem = await tracker.settle();
  if (logProblem) ctx.logger.error(logProblem, { task });
  const decision = decideStatus({
    tickers,
    counts: tracker.counts,
    abortReason,
    expectsRows: parts.expectsRows,
    rowsWritten: writer.written,
    failureThreshold: parts.failureThreshold,
  });
  Object.assign(metadata, {
    tickers,
    counts: { ...tracker.counts },
    rowsWritten: writer.written,
    rowsInserted: writer.inserted,
    rowsChanged: writer.updated,
    ...parts.extraMetadata,
    ...(abortReason !== null ? { abortedBecause: abortReason, notProcessed: tickers - tracker.done } : {}),
    ...(logProblem ? { failedLogError: logProblem } : {}),
  });
  return {
    status: decision.status,
    rowsInserted: writer.inserted,
    rowsChanged: writer.updated,
    tickers,
    counts: { ...tracker.counts },
    errorMessage: decision.reason,
    failures: tracker.failures,
    metadata,
    fatal: parts.fatal,
  };
}

/**
 * How a ticker task stops, the same for prices and DCF: the first reason wins; a fatal FMP error (auth,
 * bandwidth) also cancels the client's queued calls at once, so a rejected key is not sent again.
 */
export class TaskStop {
  reason: string | null = null;
  fatal: { message: string } | null = null;
  /** The task's FMP client, once it has one. */
  client: FmpClient | null = null;

  constructor(
    private readonly ctx: TaskContext,
    private readonly task: TaskName,
    /** What the task writes, for "could not write …". */
    private readonly writes: string,
  ) {
    const halt = ctx.halt;
    if (halt?.aborted) this.halted(String(halt.reason));
    else halt?.addEventListener('abort', () => this.halted(String(halt.reason)), { once: true });
  }

  /**
   * The run is stopping (a signal, the lock lost): no new ticker starts and in-flight calls are cancelled.
   * Not fatal: the calls cancelled here are nobody's failure (handleTickerError skips them once stopped).
   */
  private halted(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.client?.abort(new Error(reason));
    this.ctx.logger.warn('task stopping', { task: this.task, reason });
  }

  get stopped(): boolean {
    return this.reason !== null;
  }

  abort(message: string, isFatal: boolean): void {
    if (this.reason !== null) return;
    this.reason = message;
    if (isFatal) {
      this.fatal = { message };
      this.client?.abort(new Error(message));
    }
    this.ctx.logger.error('task aborted', { task: this.task, reason: message });
  }

  writeFailed(error: unknown): void {
    this.abort(
      `could not write ${this.writes}: ${error instanceof Error ? error.message : String(error)}`,
      false,
    );
  }
}

/**
 * The catch of a per-ticker worker, shared by prices and DCF. A failed batch write (`writeError`, the
 * writer's own failure) or a fatal FMP error ends the task; a call cancelled because the task already
 * stopped is nobody's outcome; anything else is this ticker's outcome. Returns true when the worker pool
 * must stop.
 */
export function handleTickerError(
  ctx: TaskContext,
  tracker: OutcomeTracker,
  ticker: string,
  error: unknown,
  stop: TaskStop,
  writeError: unknown,
): boolean {
  if (writeError !== null && error === writeError) {
    stop.writeFailed(error);
    return true;
  }
  const c = classifyError(error, ctx.secrets);
  if (c.fatal) {
    stop.abort(c.message, true);
    return true;
  }
  if (c.aborted && stop.stopped) return false;
  tracker.record(ticker, c.outcome, { httpStatus: c.httpStatus, message: c.message });
  return false;
}

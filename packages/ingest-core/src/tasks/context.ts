import type { Database } from '@smartstock/db';
import type { FmpClient } from '@smartstock/fmp-client';
import type { FailedLogWriter } from '../failed-log.js';
import type { Logger } from '../logger.js';
import type { TaskFailure, TaskName, TaskStatus } from '../summary.js';

/**
 * Progress of the running task, for a progress bar: `done` of `total` tickers (or days in bulk mode), `failed`
 * so far.
 */
export interface ProgressEvent {
  runId: string;
  task: TaskName;
  done: number;
  total: number;
  failed: number;
  ticker?: string | undefined;
}

/** What every task receives: its dependencies, never globals. */
export interface TaskContext {
  db: Database;
  /** Creates the FMP client on first use (the universe task never needs one). */
  fmp: () => FmpClient;
  logger: Logger;
  clock: () => Date;
  runId: string;
  dataDir: string;
  failedLog: FailedLogWriter;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  secrets: readonly string[];
  /**
   * Aborted when the whole run must stop (cancelled by a signal, or the run lock lost), with the reason as a
   * string. A task stops starting tickers, cancels its in-flight calls, and counts none of them as failed.
   */
  halt?: AbortSignal | undefined;
}

/** A task's result before it is logged; runDailySync turns it into a sync_logs row and a TaskSummary. */
export interface TaskResult {
  status: TaskStatus;
  rowsInserted: number;
  rowsChanged: number;
  tickers: number;
  counts: Record<string, number>;
  errorMessage: string | null;
  failures: TaskFailure[];
  metadata: Record<string, unknown>;
  /** Set when FMP refused the key or the bandwidth: the run's remaining FMP tasks must not call FMP. */
  fatal: { message: string } | null;
}

// The one Logger type of the project lives in @smartstock/common.

export { type Logger, noopLogger } from '@smartstock/common';

/**
 * The part of `@smartstock/db`'s `Database` this package uses. Declared structurally so any object with
 * a parameterised `query` (a `Database`, or a test double over a real connection) can be passed.
 */
export interface SyncLogDatabase {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * - `running`: started, not finished yet (or the process died: see `markInterrupted`).
 * - `success`: finished, everything done.
 * - `partial`: finished; some items skipped or failed, under the failure threshold.
 * - `failed`: the task did not do its job (an error, over the threshold, or interrupted).
 */
export type SyncStatus = 'running' | 'success' | 'partial' | 'failed';

/** Every SyncStatus this package writes, for validating filters and rendering. */
export const SYNC_STATUSES: readonly SyncStatus[] = ['running', 'success', 'partial', 'failed'];

/** One sync_logs row. Timestamps are UTC instants. `status` may hold other words written by older tools. */
export interface SyncLogRecord {
  id: number;
  taskName: string;
  status: SyncStatus | string;
  rowsUpdated: number;
  errorMessage: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
  durationSeconds: number | null;
  metadata: Record<string, unknown> | null;
}

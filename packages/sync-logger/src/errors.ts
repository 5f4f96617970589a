/** The `code` of a SyncLoggerError: a bad argument, a run finished twice, its row gone, or a failed write. */
export type SyncLoggerErrorCode = 'INVALID_ARGUMENT' | 'ALREADY_FINISHED' | 'ROW_MISSING' | 'WRITE_FAILED';

/** Base class of every error this package throws. Messages never contain a secret the logger knows of. */
export class SyncLoggerError extends Error {
  readonly code: SyncLoggerErrorCode;

  constructor(code: SyncLoggerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SyncLoggerError';
    this.code = code;
  }
}

/** A caller passed something the sync_logs table cannot hold (empty task name, negative row count, ...). */
export class SyncLogArgumentError extends SyncLoggerError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'SyncLogArgumentError';
  }
}

/** `succeed`, `partial` or `fail` was called on a run that has already finished (or is finishing). */
export class SyncRunFinishedError extends SyncLoggerError {
  readonly runId: number;

  constructor(runId: number, taskName: string, finishedAs: string) {
    super(
      'ALREADY_FINISHED',
      `sync run ${runId} (${taskName}) already finished as '${finishedAs}': a run can be finished only once`,
    );
    this.name = 'SyncRunFinishedError';
    this.runId = runId;
  }
}

/** The run's row is gone (deleted by someone else) when the run tried to finish. */
export class SyncLogRowMissingError extends SyncLoggerError {
  readonly runId: number;

  constructor(runId: number, taskName: string) {
    super(
      'ROW_MISSING',
      `sync_logs row ${runId} (${taskName}) no longer exists: it was deleted while running`,
    );
    this.name = 'SyncLogRowMissingError';
    this.runId = runId;
  }
}

/** The database refused a read or write of sync_logs. `cause` is the driver's error. */
export class SyncLogWriteError extends SyncLoggerError {
  constructor(message: string, cause: unknown) {
    super('WRITE_FAILED', message, { cause });
    this.name = 'SyncLogWriteError';
  }
}

export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  MIN_SECRET_LENGTH,
  REDACTED,
  redactAndBound,
  redactSecrets,
} from '@smartstock/common';
export {
  SyncLogArgumentError,
  SyncLoggerError,
  type SyncLoggerErrorCode,
  SyncLogRowMissingError,
  SyncLogWriteError,
  SyncRunFinishedError,
} from './errors.js';
export { summarizeError } from './serialize.js';
export {
  INTERRUPTED_MESSAGE,
  type MarkInterruptedOptions,
  SyncLogger,
  type SyncLoggerOptions,
  type SyncRun,
} from './sync-logger.js';
export {
  type Logger,
  SYNC_STATUSES,
  type SyncLogDatabase,
  type SyncLogRecord,
  type SyncStatus,
} from './types.js';

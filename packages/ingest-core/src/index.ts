export {
  addDays,
  closeHour,
  dayOfWeek,
  EARLY_CLOSE_HOUR,
  easterSunday,
  explicitWindow,
  hasSessionClosed,
  holidayName,
  isEarlyClose,
  isSession,
  isValidIsoDate,
  lastNDaysWindow,
  NEW_YORK_TIME_ZONE,
  newYorkDate,
  newYorkTime,
  nyseHolidays,
  parseIsoDate,
  previousSession,
  REGULAR_CLOSE_HOUR,
  SPECIAL_CLOSURES,
  type SyncWindow,
  sessionsBetween,
} from './calendar.js';
export { IngestError, type IngestErrorCode, isIngestError } from './errors.js';
export {
  createFailedLogWriter,
  FAILED_LOG_FILE,
  type FailedIngestionEntry,
  type FailedLogWriter,
} from './failed-log.js';
export { type Logger, noopLogger } from './logger.js';
export { createRunId } from './run-id.js';
export {
  OUTCOMES,
  type Outcome,
  resolveTaskName,
  SUMMARY_FAILURES_LIMIT,
  SUMMARY_SCHEMA_VERSION,
  type SyncSummary,
  syncSummarySchema,
  TASK_ALIASES,
  TASK_NAMES,
  type TaskFailure,
  type TaskName,
  type TaskStatus,
  type TaskSummary,
  taskSummarySchema,
} from './summary.js';
export { CLASS_LOOKALIKES, CLASS_TICKER_OVERRIDES } from './universe/classes.js';
export {
  type CleanOptions,
  DEFAULT_MIN_TICKERS,
  DROP_REASONS,
  type DropReason,
  normalizeTicker,
  type ParsedUniverse,
  parseUniverse,
  TICKER_SHAPE,
  type UniverseCounts,
  type UniverseEntry,
  type UniverseFormat,
  type ValidateOptions,
  validateUniverse,
} from './universe/clean.js';
export { parseCsv } from './universe/csv.js';

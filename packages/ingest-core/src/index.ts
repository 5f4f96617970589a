export {
  createRunMonitor,
  type Delivery,
  messageFor,
  oneLineSummary,
  type RunMonitor,
  type RunMonitorOptions,
  type RunMonitorSettings,
  runMonitorSettingsSchema,
  webhookKind,
} from './alerts.js';
export { BatchWriter, DEFAULT_WRITES_IN_FLIGHT, type WriteCounts } from './batch-writer.js';
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
export {
  DEFAULTS as SYNC_DEFAULTS,
  EARLIEST_DATE,
  type RunScope,
  runDailySync,
  type SyncDeps,
  type SyncOptions,
} from './sync.js';
export {
  createSyncClient,
  DEFAULT_FMP_BASE_URL,
  DEFAULT_REQUESTS_PER_MINUTE,
  type SyncClientSettings,
  syncClientOptions,
  syncClientSettingsSchema,
} from './sync-client.js';
export { BACKFILL_CHUNK_YEARS, type Chunk, chunkWindow } from './tasks/chunks.js';
export type { ProgressEvent } from './tasks/context.js';
export { type PricesMode, SPLIT_TOLERANCE, type SplitRecord } from './tasks/prices.js';
export { decideStatus, type StatusInput } from './tasks/status.js';
export {
  CLEAN_LIST_FILE,
  DEFAULT_SOURCE_FILES,
  ISHARES_HOLDINGS_URL,
  readCleanList,
  resolveUniverseSource,
} from './tasks/universe.js';
export { CLASS_LOOKALIKES, CLASS_TICKER_OVERRIDES } from './universe/classes.js';
export {
  type CleanOptions,
  DEFAULT_MIN_TICKERS,
  DROP_REASONS,
  type DropReason,
  JUNK_LIMIT,
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

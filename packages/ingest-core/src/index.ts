export {
  createRunMonitor,
  type Delivery,
  oneLineSummary,
  type RunMonitor,
  type RunMonitorOptions,
  type RunMonitorSettings,
  runMonitorSettingsSchema,
} from './alerts.js';
export { auditPriceHistory, type PriceAudit, type PriceAuditOptions } from './audit.js';
export { BatchWriter, type WriteCounts } from './batch-writer.js';
export {
  addDays,
  holidayName,
  isEarlyClose,
  isSession,
  lastClosedSession,
  newYorkDate,
  previousSession,
  sessionsBetween,
} from './calendar.js';
export { IngestError, type IngestErrorCode, isIngestError } from './errors.js';
export { type Logger, noopLogger } from './logger.js';
export { describeRepair, type RepairCounts, repairCountsOf } from './repair-summary.js';
export {
  DEFAULTS as SYNC_DEFAULTS,
  defaultHistoryFrom,
  PRICES_MODES,
  type PricesMode,
  SYNC_SETTING,
  type SyncRunSettings,
  syncRunSettingsSchema,
} from './settings.js';
export {
  type Outcome,
  type QualitySummary,
  resolveTaskName,
  SUMMARY_SCHEMA_VERSION,
  type SyncSummary,
  syncSummarySchema,
  TASK_NAMES,
  type TaskFailure,
  type TaskName,
  type TaskStatus,
  type TaskSummary,
  taskSummarySchema,
} from './summary.js';
export {
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
export type { ProgressEvent } from './tasks/context.js';
export {
  CLEAN_LIST_FILE,
  ISHARES_HOLDINGS_URL,
  resolveUniverseSource,
} from './tasks/universe.js';
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
export { FUNDS, type Fund, fundHoldingsUrl, ISHARES_FUNDS } from './universe/funds.js';
export { URL_SETTING } from './url-settings.js';

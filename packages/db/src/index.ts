export {
  auditPriceGaps,
  CONFIRM_EMPTY_TRIES,
  type GapRange,
  getFirstPriceDate,
  type PriceGapAudit,
  type PriceGapAuditOptions,
  type RenamedFrom,
  STALE_AFTER_SESSIONS,
  type TickerAudit,
} from './audit.js';
export type { Database, DatabaseKind } from './backend.js';
export { type BackfillWindow, getCompletedWindows, readPrices, recordCompletedWindows } from './backfill.js';
export { type CreateDatabaseOptions, createDatabase } from './database.js';
export { type EmptySession, type EmptyTry, recordEmptyTries } from './empty-sessions.js';
export { DatabaseError, type DatabaseErrorCode, isDatabaseError, redactConnectionString } from './errors.js';
export type {
  ConfirmedEmptySession,
  DcfHistory,
  DcfValuation,
  PriceBackfillWindow,
  PrismaClient,
  StockPrice,
  SymbolChange,
  SyncLog,
  SyncState,
  Ticker,
  UniverseMembership,
} from './generated/prisma/client.js';
export { type HistoryStart, readHistoryStarts, recordHistoryStarts } from './history-starts.js';
export type { Logger } from './logger.js';
export {
  type MembershipChange,
  type MembershipInterval,
  membersOn,
  readMemberships,
  recordMembership,
} from './memberships.js';
export { type MigrateOptions, migrate } from './migrate.js';
export {
  checkDataQuality,
  type DataQuality,
  type DataQualityOptions,
  QUALITY_CHECKS,
  type QualityCheck,
  type QualityFinding,
} from './quality.js';
export { type RunLock, tryAcquireRunLock } from './run-lock.js';
export { type ServedDatabase, type ServeOptions, serveDatabase } from './serve.js';
export { readSymbolChanges, type StoredSymbolChange } from './symbol-changes.js';
export { readSyncState, type SyncStateEntry, writeSyncState } from './sync-state.js';
export { getActiveTickers, replaceUniverse, type UniverseChange, type UniverseEntry } from './universe.js';
export { isValidDate, isValidTicker } from './validate.js';
export {
  type DcfRow,
  type PriceRow,
  type SymbolChangeRow,
  type WriteResult,
  writeDcf,
  writePrices,
  writeSymbolChanges,
} from './writers.js';

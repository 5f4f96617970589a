export type { Database, DatabaseKind } from './backend.js';
export { type CreateDatabaseOptions, createDatabase } from './database.js';
export { DatabaseError, type DatabaseErrorCode, isDatabaseError, redactConnectionString } from './errors.js';
export type {
  DcfValuation,
  PriceBackfillWindow,
  Prisma,
  PrismaClient,
  StockPrice,
  SyncLog,
  Ticker,
} from './generated/prisma/client.js';
export type { Logger } from './logger.js';
export { type MigrateOptions, migrate } from './migrate.js';

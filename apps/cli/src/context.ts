import { createDatabase, type Database, migrate } from '@smartstock/db';
import { resolveDatabaseConfig, type StartContext } from './config.js';
import type { Io, Reporter } from './output.js';

/** What every command gets: the process's streams, where it started, and the reporter. */
export interface CliContext {
  io: Io;
  start: StartContext;
  reporter: Reporter;
  /** Called on SIGINT/SIGTERM; commands replace it to stop their work cleanly. */
  onInterrupt: (() => void) | null;
}

/**
 * Opens the configured database. The embedded one is migrated on first use (it is ours alone); a
 * PostgreSQL server is migrated too when `migrateAlways` (the sync commands, like the Action, do it).
 */
export async function openDatabase(
  cli: CliContext,
  flags: { 'data-dir'?: unknown },
  options: { migrateAlways?: boolean } = {},
): Promise<Database> {
  const config = resolveDatabaseConfig(cli.start, flags);
  const logger = cli.reporter.logger();
  const db = await createDatabase({ url: config.url, dataDir: config.dataDir, logger });
  try {
    if (db.kind === 'embedded' || options.migrateAlways) {
      const { applied } = await migrate(db, { logger });
      if (applied.length > 0)
        logger.info(`applied ${applied.length} migration(s)`, { database: db.description });
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

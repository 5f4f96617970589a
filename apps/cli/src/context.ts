import { existsSync } from 'node:fs';
import path from 'node:path';
import { displayUrl } from '@smartstock/common';
import { createDatabase, type Database, migrate } from '@smartstock/db';
import { type DatabaseConfig, resolveDatabaseConfig, type StartContext } from './config.js';
import { ConfigError, errorCode } from './errors.js';
import type { Io, Reporter } from './output.js';

/** What every command gets: the process's streams, where it started, and the reporter. */
export interface CliContext {
  io: Io;
  start: StartContext;
  reporter: Reporter;
  /** Called on SIGINT/SIGTERM (with which); commands replace it to stop their work cleanly. */
  onInterrupt: ((signal: NodeJS.Signals) => void) | null;
}

/** Where the embedded database of a data directory lives (PGlite's own layout: PG_VERSION marks one). */
export function embeddedDirectory(dataDir: string): string {
  return path.join(dataDir, 'db');
}

export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(path.join(embeddedDirectory(dataDir), 'PG_VERSION'));
}

/** The path as the user would type it: relative to where the command started when it is inside it. */
export function shownPath(cli: CliContext, target: string): string {
  const relative = path.relative(cli.start.startDir, target);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : target;
}

/**
 * Opens the configured database. The embedded one is created and migrated on first use (it is ours alone); a
 * PostgreSQL server is migrated too when `migrateAlways` (the sync commands, like the Action, do it).
 * `readOnly` commands (status) never create a database nor migrate one: with no embedded database at the
 * path they say so and how to point at the right one.
 */
export async function openDatabase(
  cli: CliContext,
  flags: { 'data-dir'?: unknown },
  options: { migrateAlways?: boolean; readOnly?: boolean; mustExist?: boolean } = {},
): Promise<Database> {
  const config = resolveDatabaseConfig(cli.start, flags);
  if (config.url === undefined && (options.readOnly || options.mustExist)) {
    assertEmbeddedExists(cli, config.dataDir);
  }
  const logger = cli.reporter.logger();
  let db: Database;
  try {
    db = await createDatabase({ url: config.url, dataDir: config.dataDir, logger });
  } catch (error) {
    throw explainConnectionFailure(error, config);
  }
  try {
    if (!options.readOnly && (db.kind === 'embedded' || options.migrateAlways)) {
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

export function assertEmbeddedExists(cli: CliContext, dataDir: string): void {
  if (embeddedDatabaseExists(dataDir)) return;
  throw new ConfigError(
    `no database at ${shownPath(cli, embeddedDirectory(dataDir))}: run this where the data directory is, ` +
      'or point at it with --data-dir DIR (or SMARTSTOCK_DATA_DIR), or set DATABASE_URL for PostgreSQL; ' +
      '`smartstock sync` creates one',
  );
}

const UNSET_HINT = 'or unset DATABASE_URL to use the embedded database';

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const code = errorCode(cause);
  if (code) return code;
  // Node reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  const inner = (cause as { errors?: unknown[] } | null)?.errors?.[0];
  return errorCode(inner);
}

/**
 * A server that refuses us is something the user must fix before a rerun (exit 2), so the message names
 * DATABASE_URL, shows it with only the password masked, and says what to change.
 */
export function explainConnectionFailure(error: unknown, config: DatabaseConfig): unknown {
  if (config.url === undefined || errorCode(error) !== 'CONNECTION_FAILED') return error;
  const url = new URL(config.url);
  const shown = displayUrl(config.url);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || url.username || 'postgres';
  const where = `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  const code = causeCode(error);
  const reason = (error as Error).message.replace(/^cannot connect to \S+: /, '');
  const head = `DATABASE_URL: cannot connect to ${shown}`;
  switch (code) {
    case '3D000':
      return new ConfigError(
        `${head}: database "${database}" does not exist on ${where}: create it (createdb "${database}", ` +
          `or CREATE DATABASE "${database}"), point DATABASE_URL at an existing database, ${UNSET_HINT}`,
        { cause: error },
      );
    case '28P01':
    case '28000':
      return new ConfigError(`${head}: ${reason}: fix the user name or password in DATABASE_URL`, {
        cause: error,
      });
    case 'ECONNREFUSED':
      return new ConfigError(
        `${head}: nothing listens on ${where} (connection refused): start PostgreSQL there or fix the host ` +
          `and port in DATABASE_URL, ${UNSET_HINT}`,
        { cause: error },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(
        `${head}: the host "${url.hostname}" is unknown: fix the host in DATABASE_URL, ${UNSET_HINT}`,
        { cause: error },
      );
    default:
      // Perhaps passing (a timeout, a restart): exit 1 as for any runtime error, still naming the setting.
      return new Error(`${head}: ${reason}; check that PostgreSQL runs there and DATABASE_URL is right`, {
        cause: error,
      });
  }
}

import { createHash, randomUUID } from 'node:crypto';
import { backendOf, type Database, type Session } from './backend.js';
import { DatabaseError, errorMessage } from './errors.js';
import { type EmbeddedMigration, embeddedMigrations } from './generated/migrations.js';
import { type Logger, noopLogger } from './logger.js';

// Prisma's own advisory lock key: our migrator and `prisma migrate deploy` wait for each other.
const MIGRATION_LOCK_KEY = 72707369;
const ADOPTION_SQLSTATE = 'SSA01';

// Prisma's DDL for its bookkeeping table (sql-schema-connector, PostgreSQL flavour), so that
// `prisma migrate status`/`deploy` read our rows as their own.
const PRISMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Options of `migrate`; a service passes at most a logger. */
export interface MigrateOptions {
  logger?: Logger | undefined;
  /** The migrations to apply (tests); default: the ones embedded at build time. */
  migrations?: readonly EmbeddedMigration[] | undefined;
}

/**
 * Applies pending migrations in order, each in its own transaction together with its `_prisma_migrations`
 * row, under an advisory lock on one dedicated connection. Idempotent. A failed migration rolls back
 * completely and leaves no row behind, so fixing the cause and rerunning is enough.
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const logger = options.logger ?? noopLogger;
  const migrations = options.migrations ?? embeddedMigrations;
  const session = await backendOf(db).openSession();
  try {
    if (db.kind === 'postgres') await session.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await applyPending(session, migrations, logger);
    } finally {
      if (db.kind === 'postgres') {
        await session.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      }
    }
  } finally {
    await session.close();
  }
}

async function applyPending(
  session: Session,
  migrations: readonly EmbeddedMigration[],
  logger: Logger,
): Promise<{ applied: string[] }> {
  // The bookkeeping table is created inside the first migration's transaction, so a database that cannot
  // be adopted is left exactly as it was.
  const [present] = await session.query<{ ok: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS ok`,
  );
  const rows = present?.ok
    ? await session.query<AppliedRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"
         WHERE rolled_back_at IS NULL ORDER BY started_at`,
      )
    : [];
  // A migration this copy does not know was applied by a newer version: its writers may expect columns or
  // constraints this copy would get wrong, so it refuses the database instead of writing into it.
  const known = new Set(migrations.map((m) => m.name));
  const unknown = rows.filter((row) => !known.has(row.migration_name)).map((row) => row.migration_name);
  if (unknown.length > 0) {
    throw new DatabaseError(
      'SCHEMA_TOO_NEW',
      `the database has migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that this version of ` +
        '@smartstock/db does not know (applied by a newer version); nothing was changed. Upgrade ' +
        '@smartstock/db (and the smartstock CLI or Action) to the version that migrated it.',
    );
  }

  const pending: EmbeddedMigration[] = [];
  for (const migration of migrations) {
    const recorded = rows.filter((row) => row.migration_name === migration.name);
    const finished = recorded.find((row) => row.finished_at !== null);
    if (finished) {
      if (!checksumMatches(migration.sql, finished.checksum)) {
        throw new DatabaseError(
          'MIGRATION_CHANGED',
          `migration ${migration.name} was applied with checksum ${finished.checksum}, but its SQL has changed ` +
            `since (now ${migration.checksum}). Applied migrations must not be edited: restore the original ` +
            'file and put the change in a new migration.',
        );
      }
      continue;
    }
    if (recorded.length > 0) {
      throw new DatabaseError(
        'MIGRATION_FAILED',
        `migration ${migration.name} is recorded as started but not finished (a failed \`prisma migrate deploy\`?). ` +
          `Check the database, then mark it with \`prisma migrate resolve --rolled-back ${migration.name}\` or ` +
          `delete its row from _prisma_migrations, and run migrate again.`,
      );
    }
    pending.push(migration);
  }

  const applied: string[] = [];
  for (const migration of pending) {
    logger.info('applying migration', { migration: migration.name });
    try {
      await session.transaction(async (tx) => {
        const id = randomUUID();
        await tx.exec(PRISMA_MIGRATIONS_DDL);
        await tx.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), 0)`,
          [id, migration.checksum, migration.name],
        );
        await tx.exec(migration.sql);
        await tx.query(
          `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
          [id],
        );
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === ADOPTION_SQLSTATE) {
        const hint = (error as { hint?: unknown }).hint;
        throw new DatabaseError(
          'ADOPTION_IMPOSSIBLE',
          `migration ${migration.name} cannot adopt the existing database, nothing was changed: ` +
            `${errorMessage(error)}${typeof hint === 'string' && hint ? ` ${hint}` : ''}`,
          { cause: error },
        );
      }
      throw new DatabaseError(
        'MIGRATION_FAILED',
        `migration ${migration.name} failed and was rolled back, nothing was changed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    applied.push(migration.name);
  }
  if (applied.length === 0) logger.debug('database schema is up to date', { migrations: migrations.length });
  return { applied };
}

/** Prisma accepts a checksum of the file as it is or with CRLF line endings normalised to LF. */
function checksumMatches(sql: string, checksum: string): boolean {
  const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  return sha(sql) === checksum || sha(sql.replace(/\r\n/g, '\n')) === checksum;
}

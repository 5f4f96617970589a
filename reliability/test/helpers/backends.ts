import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database, migrate } from '@smartstock/db';
import { seedEmbeddedDataDir } from '@smartstock/testkit';

export type BackendName = 'embedded' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['embedded', 'postgres'];

/**
 * The shared PostgreSQL server (.ci/run exports TEST_DATABASE_URL). The suite only ever creates and drops its
 * own uniquely named databases on it; it never stops, restarts or reconfigures the server.
 */
export const POSTGRES_ADMIN_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** One case's database and data directory, as the CLI sees them. */
export interface Target {
  readonly backend: BackendName;
  readonly dataDir: string;
  /** The CLI's environment for this database (DATABASE_URL on PostgreSQL, nothing for embedded). */
  readonly env: Record<string, string>;
  /** The CLI's flags for this case (`--data-dir`). */
  readonly args: string[];
  /** PostgreSQL: the database's name (to find its backends in pg_stat_activity). */
  readonly databaseName: string | null;
  /** Opens the database in the test process, runs `fn`, closes it (the embedded one admits one process). */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
}

/**
 * One database kept open by the test process for many in-process cases (the pipeline through the library,
 * where the CLI itself is not under test): opening the embedded database costs a second or more, emptying it
 * a few milliseconds.
 */
export interface SharedDatabase {
  readonly db: Database;
  /** Empties every table but the migration history and gives a new, empty data directory for the next case. */
  nextCase(tag: string): Promise<string>;
  close(): Promise<void>;
}

export interface Backend {
  readonly name: BackendName;
  /** An empty, migrated database and an empty data directory for one case. */
  fresh(label?: string): Promise<Target>;
  /** An empty, migrated database held open by this process (closed by the caller). */
  shared(): Promise<SharedDatabase>;
  /** Drops the database this file created and removes every data directory. */
  dispose(): Promise<void>;
}

async function emptyTables(db: Database): Promise<void> {
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(tablename) AS name FROM pg_tables
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'`,
  );
  if (tables.length > 0) await db.query(`TRUNCATE ${tables.map((t) => t.name).join(', ')} RESTART IDENTITY`);
}

function sharedDatabase(db: Database, caseDir: (tag: string) => Promise<string>): SharedDatabase {
  return {
    db,
    async nextCase(tag) {
      await emptyTables(db);
      return caseDir(tag);
    },
    close: () => db.close(),
  };
}

async function use<T>(open: () => Promise<Database>, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * A backend for one test file. Embedded: each case gets its own data directory, copied from a migrated
 * template (so no case pays for the first migration). PostgreSQL: one fresh database per file, emptied
 * between cases (every table but the migration history), plus a fresh data directory per case.
 */
export async function createBackend(name: BackendName, label: string): Promise<Backend> {
  const root = await mkdtemp(join(tmpdir(), `smartstock-reliability-${label}-`));
  let cases = 0;
  const caseDir = async (tag: string) => {
    const dir = join(root, `${String(++cases).padStart(2, '0')}-${tag}`);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  if (name === 'embedded') {
    // Every case's database is a copy of the run's migrated template (@smartstock/testkit).
    return {
      name,
      async fresh(tag = 'case') {
        const dataDir = await seedEmbeddedDataDir(await caseDir(tag));
        return {
          backend: name,
          dataDir,
          env: {},
          args: ['--data-dir', dataDir],
          databaseName: null,
          withDb: (fn) => use(() => createDatabase({ dataDir }), fn),
        };
      },
      async shared() {
        const dataDir = await seedEmbeddedDataDir(await caseDir('shared'));
        return sharedDatabase(await createDatabase({ dataDir }), caseDir);
      },
      dispose: () => rm(root, { recursive: true, force: true }),
    };
  }

  const databaseName = `smartstock_reliability_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await use(
    () => createDatabase({ url: POSTGRES_ADMIN_URL }),
    (admin) => admin.query(`CREATE DATABASE ${databaseName}`),
  );
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const open = () => createDatabase({ url: databaseUrl });
  await use(open, (db) => migrate(db));
  return {
    name,
    async fresh(tag = 'case') {
      const dataDir = await caseDir(tag);
      await use(open, emptyTables);
      return {
        backend: name,
        dataDir,
        env: { DATABASE_URL: databaseUrl },
        args: ['--data-dir', dataDir],
        databaseName,
        withDb: (fn) => use(open, fn),
      };
    },
    async shared() {
      return sharedDatabase(await open(), caseDir);
    },
    async dispose() {
      await use(
        () => createDatabase({ url: POSTGRES_ADMIN_URL }),
        (admin) => admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`),
      );
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A connection to the server's maintenance database (never to a test database, so it is never a victim). */
export function withAdmin<T>(fn: (admin: Database) => Promise<T>): Promise<T> {
  return use(() => createDatabase({ url: POSTGRES_ADMIN_URL }), fn);
}

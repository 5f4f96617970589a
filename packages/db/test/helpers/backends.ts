import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
// By path, not by package: @smartstock/testkit depends on this package.
import { copyDataDir } from '../../../../tooling/testkit/src/copy-data-dir.js';
import { createDatabase, type Database } from '../../src/index.js';

export interface FreshDatabase {
  db: Database;
  /** PostgreSQL: the database's URL. */
  url?: string;
  /** Embedded: the data directory (the database is `<dataDir>/db`). */
  dataDir?: string;
  /** Opens the same database again (a second pool; embedded: after closing the first). */
  reopen(): Promise<Database>;
}

export interface TestBackend {
  name: 'embedded' | 'postgres';
  /** A new, empty database, dropped when the test file ends. */
  fresh(): Promise<FreshDatabase>;
}

const cleanups: (() => Promise<void>)[] = [];
/**
 * Closes the file's databases and removes its directories. test/setup.ts calls it after each file: the files
 * share one worker and its module cache (isolate: false), so an afterAll registered here would run after the
 * first file only, and every later file's databases would stay open and their directories stay in the temp dir.
 */
export async function disposeFileResources(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export function tempDir(prefix = 'smartstock-db-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const embedded: TestBackend = {
  name: 'embedded',
  async fresh() {
    const dataDir = tempDir();
    copyDataDir(inject('pgliteTemplate'), join(dataDir, 'db'));
    const opened: Database[] = [];
    cleanups.push(async () => {
      for (const db of opened) await db.close();
    });
    const open = async () => {
      const db = await createDatabase({ dataDir });
      opened.push(db);
      return db;
    };
    return { db: await open(), dataDir, reopen: open };
  },
};

export function adminUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const postgres: TestBackend = {
  name: 'postgres',
  async fresh() {
    const name = `smartstock_db_test_${randomBytes(6).toString('hex')}`;
    await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
    const url = new URL(adminUrl()!);
    url.pathname = `/${name}`;
    const opened: Database[] = [];
    cleanups.push(async () => {
      for (const db of opened) await db.close();
      await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    });
    const open = async () => {
      const db = await createDatabase({ url: url.toString() });
      opened.push(db);
      return db;
    };
    return { db: await open(), url: url.toString(), reopen: open };
  },
};

/** The embedded backend always; PostgreSQL when TEST_DATABASE_URL is set. */
export function testBackends(): TestBackend[] {
  return adminUrl() ? [embedded, postgres] : [embedded];
}

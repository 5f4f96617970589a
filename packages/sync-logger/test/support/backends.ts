import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createDatabase, type Database, migrate } from '@smartstock/db';
import { freshEmbeddedDataDir } from '@smartstock/testkit';

/**
 * The database backends every sync-logger test runs on: the embedded PGlite always, a real PostgreSQL
 * server when TEST_DATABASE_URL is set. Each `open()` gives a fresh, migrated database of its own (a temp
 * data directory, or a uniquely named PostgreSQL database dropped again by `close()`).
 */
export interface Backend {
  readonly name: 'embedded PGlite' | 'PostgreSQL';
  /**
   * `timeZone` sets the session time zone where a test can: on the embedded database (one connection).
   * @smartstock/db pins every PostgreSQL connection to UTC (`-c TimeZone=UTC`), so there it stays UTC.
   */
  open(options?: { timeZone?: string }): Promise<TestDatabase>;
  /** The session time zone `open({ timeZone })` really gives. */
  sessionTimeZone(requested: string): string;
}

export interface TestDatabase {
  readonly db: Database;
  close(): Promise<void>;
}

const embedded: Backend = {
  name: 'embedded PGlite',
  sessionTimeZone: (requested) => requested,
  async open(options = {}) {
    const dataDir = await freshEmbeddedDataDir('sync-logger-test-');
    const db = await createDatabase({ dataDir });
    try {
      // One connection: a session setting holds for every later query.
      if (options.timeZone) await db.query(`SET TIME ZONE '${options.timeZone}'`);
    } catch (error) {
      await db.close();
      await rm(dataDir, { recursive: true, force: true });
      throw error;
    }
    return {
      db,
      async close() {
        await db.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(serverUrl: string): Backend {
  return {
    name: 'PostgreSQL',
    sessionTimeZone: () => 'UTC',
    async open() {
      // A unique name only: no date or duration is derived from it.
      const name = `sync_logger_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
      const onServer = async (sql: string) => {
        const admin = await createDatabase({ url: serverUrl });
        try {
          await admin.query(sql);
        } finally {
          await admin.close();
        }
      };
      const drop = () => onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await onServer(`CREATE DATABASE ${name}`);
      let db: Database | undefined;
      try {
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        db = await createDatabase({ url: url.toString() });
        await migrate(db);
      } catch (error) {
        await db?.close();
        await drop();
        throw error;
      }
      const opened = db;
      return {
        db: opened,
        async close() {
          await opened.close();
          await drop();
        },
      };
    },
  };
}

const serverUrl = process.env.TEST_DATABASE_URL;

export const backends: Backend[] = serverUrl ? [embedded, postgres(serverUrl)] : [embedded];

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Backend, Executor, Session } from './backend.js';
import { DatabaseError, errorMessage } from './errors.js';
import { acquireLockFile, type LockFile } from './lock-file.js';
import type { Logger } from './logger.js';

const DATE = 1082;
// Per query, not on the instance: the Prisma adapter passes parsers of its own.
const parsers = { [DATE]: (value: string) => value };

type Queryable = Pick<PGlite | Transaction, 'query' | 'exec'>;

function executor(target: Queryable): Executor {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await target.query<T>(sql, params, { parsers });
      return result.rows;
    },
    async exec(sql: string) {
      await target.exec(sql);
    },
    async copyIn(table, columns, chunks) {
      // PGlite reads COPY input from a Blob mounted at /dev/blob.
      const blob = new Blob([...chunks]);
      await target.query(`COPY ${table} (${columns.join(', ')}) FROM '/dev/blob' WITH (FORMAT binary)`, [], {
        blob,
      });
    },
  };
}

export interface EmbeddedHandle {
  backend: Backend;
  pglite: PGlite;
  directory: string;
  lock: LockFile;
}

/** Serialises whole sessions (migrations, served connections) on the one PGlite instance. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.#tail;
    this.#tail = previous.then(() => next);
    await previous;
    return release;
  }
}

export async function openEmbedded(dataDir: string, logger: Logger): Promise<EmbeddedHandle> {
  const directory = join(dataDir, 'db');
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      `cannot create the data directory ${dataDir}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const lock = acquireLockFile(`${directory}.lock`, `the embedded database ${directory}`, logger);
  let pglite: PGlite;
  try {
    // Loaded on demand: a bundle that only talks to PostgreSQL never carries PGlite's WASM.
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = await PGlite.create({ dataDir: directory });
    await pglite.exec(`SET TIME ZONE 'UTC'`);
  } catch (error) {
    lock.release();
    throw new DatabaseError(
      'CONNECTION_FAILED',
      `cannot open the embedded database ${directory}: ${errorMessage(error)}`,
      { cause: error },
    );
  }

  const sessions = new Mutex();
  const base = executor(pglite);
  const backend: Backend = {
    kind: 'embedded',
    heldRunLocks: new Set(),
    query: base.query,
    transaction: (fn) => pglite.transaction((tx) => fn(executor(tx))),
    async openSession() {
      const release = await sessions.acquire();
      let closed = false;
      const session: Session = {
        ...base,
        transaction: (fn) => pglite.transaction((tx) => fn(executor(tx))),
        async close() {
          if (closed) return;
          closed = true;
          release();
        },
        // In-process: the session cannot be cut off from under us.
        lost: new AbortController().signal,
      };
      return session;
    },
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        lock.release();
      }
    },
  };
  logger.debug('opened the embedded database', { directory });
  return { backend, pglite, directory, lock };
}

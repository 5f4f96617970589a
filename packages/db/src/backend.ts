import { DatabaseError } from './errors.js';
import type { PrismaClient } from './generated/prisma/client.js';

/** Which backend a Database runs on: a PostgreSQL server, or the embedded PGlite database in the data directory. */
export type DatabaseKind = 'postgres' | 'embedded';

/**
 * An open smartstock database from `createDatabase`: the typed Prisma client plus the raw-SQL access the writers
 * and locks use. Close it once, when done.
 */
export interface Database {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  /** Redacted: 'postgresql://user:***@host:5432/db' or 'embedded:/abs/data/db'. */
  readonly description: string;
  /** Parameterised SQL outside Prisma (writers, locks, tests). DATE columns come back as 'YYYY-MM-DD'
   *  strings, TIMESTAMP columns as Dates read as UTC, BIGINT as numbers, NUMERIC as strings. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** One connection's statements. */
export interface Executor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migration scripts). */
  exec(sql: string): Promise<void>;
  /** Loads one stream in PostgreSQL's binary COPY format (header to trailer) into `table (columns)`. */
  copyIn(table: string, columns: readonly string[], chunks: Iterable<Uint8Array>): Promise<void>;
}

/** A connection of its own (PostgreSQL: a dedicated, non-pooled client; embedded: the one instance). */
export interface Session extends Executor {
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** Aborted when the connection ends or fails before close() (a terminated backend, a network drop). */
  readonly lost: AbortSignal;
}

export interface Backend {
  readonly kind: DatabaseKind;
  query: Executor['query'];
  /** A transaction on a pooled connection. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  openSession(): Promise<Session>;
  /** In-process run locks (embedded only: the lock file already keeps other processes out). */
  readonly heldRunLocks: Set<string>;
  close(): Promise<void>;
}

/**
 * Where a Database keeps its backend: a registry symbol, so that a handle opened by one copy of this package is
 * usable by another (a service's own @smartstock/db beside the one ingest-core depends on). The protocol
 * number changes only when the Backend interface does; a copy refuses a handle of another protocol.
 */
const BACKEND_SLOT = Symbol.for('@smartstock/db/backend');
const BACKEND_PROTOCOL = 1;

interface BackendSlot {
  protocol: number;
  backend: Backend;
}

export function registerBackend(db: Database, backend: Backend): void {
  const slot: BackendSlot = { protocol: BACKEND_PROTOCOL, backend };
  Object.defineProperty(db, BACKEND_SLOT, { value: slot, enumerable: false });
}

export function backendOf(db: Database): Backend {
  const slot = (db as { [BACKEND_SLOT]?: BackendSlot })[BACKEND_SLOT];
  if (slot === undefined) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      'not a database opened by createDatabase() of @smartstock/db',
    );
  }
  if (slot.protocol !== BACKEND_PROTOCOL) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      `this database was opened by an incompatible copy of @smartstock/db (handle protocol ${slot.protocol}, ` +
        `this copy speaks ${BACKEND_PROTOCOL}): install one version of @smartstock/db for the whole service`,
    );
  }
  return slot.backend;
}

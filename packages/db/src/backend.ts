import { DatabaseError } from './errors.js';
import type { PrismaClient } from './generated/prisma/client.js';

export type DatabaseKind = 'postgres' | 'embedded';

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

const backends = new WeakMap<Database, Backend>();

export function registerBackend(db: Database, backend: Backend): void {
  backends.set(db, backend);
}

export function backendOf(db: Database): Backend {
  const backend = backends.get(db);
  if (!backend) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      'not a database opened by createDatabase() of @smartstock/db',
    );
  }
  return backend;
}

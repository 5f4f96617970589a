import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { Backend, Executor, Session } from './backend.js';
import { DatabaseError, errorMessage } from './errors.js';
import type { Logger } from './logger.js';

const DATE = 1082;
const TIMESTAMP = 1114;
const INT8 = 20;

// The same values on both backends: DATE as the 'YYYY-MM-DD' text it is (a JS Date would shift it by the
// local zone), TIMESTAMP read as UTC (the application writes UTC), BIGINT as a number.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE) return (value: string) => value;
    if (oid === TIMESTAMP) return parseUtcTimestamp;
    if (oid === INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

function parseUtcTimestamp(value: string): Date | string {
  if (value === 'infinity' || value === '-infinity') return value;
  return new Date(`${value.replace(' ', 'T')}Z`);
}

export interface PostgresConfig {
  connectionString: string;
  logger: Logger;
}

function clientConfig(connectionString: string): pg.ClientConfig {
  return {
    connectionString,
    // Every session in UTC: TIMESTAMP columns hold UTC and now() must agree with them.
    options: '-c TimeZone=UTC',
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: 'smartstock',
  };
}

function executor(client: pg.ClientBase): Executor {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await client.query({ text: sql, values: params, types });
      return result.rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async copyIn(table, columns, chunks) {
      const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT binary)`;
      const buffers = (function* () {
        for (const chunk of chunks) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      })();
      await pipeline(Readable.from(buffers), client.query(copyStreams.from(sql)));
    },
  };
}

async function inTransaction<T>(client: pg.ClientBase, fn: (tx: Executor) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(executor(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export function createPostgresBackend(config: PostgresConfig): { backend: Backend; pool: pg.Pool } {
  const { connectionString, logger } = config;
  const pool = new pg.Pool({ ...clientConfig(connectionString), max: 10, idleTimeoutMillis: 30_000 });
  // An idle client whose server connection drops emits 'error' on the pool; unhandled, it kills the process.
  pool.on('error', (error) =>
    logger.warn('a pooled PostgreSQL connection failed', { error: errorMessage(error) }),
  );

  const backend: Backend = {
    kind: 'postgres',
    heldRunLocks: new Set(),
    async query<T>(sql: string, params: unknown[] = []) {
      const result = await pool.query({ text: sql, values: params, types });
      return result.rows as T[];
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await inTransaction(client, fn);
      } catch (error) {
        // A connection that failed mid-transaction must not go back to the pool.
        if (!(error instanceof Error && 'severity' in error)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async openSession() {
      const client = new pg.Client(clientConfig(connectionString));
      const lost = new AbortController();
      let closing = false;
      const onLost = (reason: string) => {
        if (closing || lost.signal.aborted) return;
        lost.abort(
          new DatabaseError('CONNECTION_FAILED', `the dedicated PostgreSQL connection ended: ${reason}`),
        );
      };
      client.on('error', (error) => {
        logger.warn('a dedicated PostgreSQL connection failed', { error: errorMessage(error) });
        onLost(errorMessage(error));
      });
      client.on('end', () => onLost('the server closed it'));
      try {
        await client.connect();
      } catch (error) {
        throw new DatabaseError('CONNECTION_FAILED', `cannot connect to PostgreSQL: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      const session: Session = {
        ...executor(client),
        transaction: (fn) => inTransaction(client, fn),
        async close() {
          closing = true;
          await client.end().catch(() => undefined);
        },
        lost: lost.signal,
      };
      return session;
    },
    async close() {
      await pool.end();
    },
  };
  return { backend, pool };
}

import type { Database } from './backend.js';
import { embeddedHandles } from './embedded-registry.js';
import { DatabaseError, errorMessage } from './errors.js';
import { type Logger, noopLogger } from './logger.js';

/** Where and how `serveDatabase` listens (loopback only). */
export interface ServeOptions {
  /** TCP port on the loopback interface; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Loopback only: '127.0.0.1' (default), '::1' or 'localhost'. */
  host?: '127.0.0.1' | '::1' | 'localhost' | undefined;
  /** Concurrent client connections (Prisma Studio opens several). Default 8. */
  maxConnections?: number | undefined;
  logger?: Logger | undefined;
}

/** A running `serveDatabase` listener: its URL and how to stop it. */
export interface ServedDatabase {
  /** A PostgreSQL URL for psql, Prisma Studio or any driver, e.g. postgresql://postgres@127.0.0.1:54321/postgres */
  url: string;
  /** Stops listening and drops the connections; the database itself stays open (close it separately). */
  stop(): Promise<void>;
}

/**
 * Serves the embedded database over the PostgreSQL wire protocol on a loopback port, so `prisma studio` and
 * psql can open it while this process keeps the lock. Client statements run on the same single PGlite
 * session as this process's own, so serve an otherwise idle database (what `smartstock db studio` does).
 */
export async function serveDatabase(db: Database, options: ServeOptions = {}): Promise<ServedDatabase> {
  const handle = embeddedHandles.get(db);
  if (!handle) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      `serveDatabase serves the embedded database only; ${db.description} is reachable at its own URL`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new DatabaseError('INVALID_URL', `serveDatabase listens on loopback only, not on ${String(host)}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new DatabaseError('INVALID_URL', `serveDatabase: port must be an integer 0-65535 (got ${port})`);
  }
  const logger = options.logger ?? noopLogger;
  const { PGLiteSocketServer } = await loadSocketServer();
  const server = new PGLiteSocketServer({
    db: handle.pglite,
    host,
    port,
    maxConnections: options.maxConnections ?? 8,
  });
  try {
    await server.start();
  } catch (error) {
    throw new DatabaseError('CONNECTION_FAILED', `cannot listen on ${host}:${port}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const conn = server.getServerConn();
  const actualPort = Number(conn.slice(conn.lastIndexOf(':') + 1));
  const urlHost = host === '::1' ? '[::1]' : host;
  const url = `postgresql://postgres@${urlHost}:${actualPort}/postgres?sslmode=disable`;
  logger.info('serving the embedded database', { url, directory: handle.directory });
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= server.stop();
      return stopped;
    },
  };
}

/** PGlite's socket server is an optional peer: only serving the database needs it, so most installs skip it. */
async function loadSocketServer(): Promise<typeof import('@electric-sql/pglite-socket')> {
  try {
    return await import('@electric-sql/pglite-socket');
  } catch (error) {
    throw new DatabaseError(
      'CONNECTION_FAILED',
      'serveDatabase needs @electric-sql/pglite-socket, an optional peer dependency of @smartstock/db: ' +
        'install it beside @smartstock/db (npm install @electric-sql/pglite-socket@^0.2.17)',
      { cause: error },
    );
  }
}

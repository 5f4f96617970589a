import { resolve } from 'node:path';
import { type Backend, type Database, registerBackend } from './backend.js';
import { embeddedHandles } from './embedded-registry.js';
import { DatabaseError, errorMessage, redactConnectionString } from './errors.js';
import { PrismaClient } from './generated/prisma/client.js';
import { type Logger, noopLogger } from './logger.js';

/** Which database `createDatabase` opens: PostgreSQL when `url` is given, else the embedded one under `dataDir`. */
export interface CreateDatabaseOptions {
  /** postgres:// or postgresql:// URL. Absent: the embedded PGlite database under `dataDir`. */
  url?: string | undefined;
  /** Where the embedded database lives (`<dataDir>/db`, locked by `<dataDir>/db.lock`). Default './data'. */
  dataDir?: string | undefined;
  logger?: Logger | undefined;
}

/** Opens the database: PostgreSQL through a connection pool, or the embedded PGlite database. */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  const logger = options.logger ?? noopLogger;
  if (options.url === undefined) return openEmbeddedDatabase(resolve(options.dataDir ?? 'data'), logger);
  return openPostgresDatabase(parsePostgresUrl(options.url), logger);
}

function parsePostgresUrl(url: string): { url: string; description: string } {
  const shown = redactConnectionString(url);
  if (url.trim() === '') throw new DatabaseError('INVALID_URL', 'the database URL is empty');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    // Not echoed: a string that does not parse may be a password pasted in the wrong place.
    throw new DatabaseError(
      'INVALID_URL',
      'the database URL is not a valid URL (not shown, it may hold a password); expected ' +
        'postgresql://user:password@host:5432/database',
      { cause: error },
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseError(
      'INVALID_URL',
      `the database URL must start with postgres:// or postgresql:// (got ${parsed.protocol}//): ${shown}`,
    );
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) {
    throw new DatabaseError('INVALID_URL', `the database URL names no host: ${shown}`);
  }
  const user = parsed.username ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  const description = `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
  return { url, description };
}

async function openPostgresDatabase(target: { url: string; description: string }, logger: Logger) {
  const { createPostgresBackend } = await import('./postgres.js');
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const { backend, pool } = createPostgresBackend({ connectionString: target.url, logger });
  try {
    await backend.query('SELECT 1');
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw new DatabaseError(
      'CONNECTION_FAILED',
      `cannot connect to ${target.description}: ${errorMessage(error) || String(error)}`,
      { cause: error },
    );
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  logger.debug('connected to PostgreSQL', { database: target.description });
  return assemble(backend, prisma, target.description);
}

async function openEmbeddedDatabase(dataDir: string, logger: Logger) {
  const { openEmbedded } = await import('./embedded.js');
  const handle = await openEmbedded(dataDir, logger);
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(handle.pglite) });
  const db = assemble(handle.backend, prisma, `embedded:${handle.directory}`);
  embeddedHandles.set(db, handle);
  return db;
}

function assemble(backend: Backend, prisma: PrismaClient, description: string): Database {
  let closing: Promise<void> | undefined;
  const db: Database = {
    kind: backend.kind,
    prisma,
    description,
    query: (sql, params) => backend.query(sql, params),
    close() {
      closing ??= (async () => {
        await prisma.$disconnect().catch(() => undefined);
        await backend.close();
      })();
      return closing;
    },
  };
  registerBackend(db, backend);
  return db;
}

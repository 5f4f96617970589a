/** Fresh, dedicated databases for each scenario: created before it, dropped (or deleted) after it. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DatabaseTarget } from './protocol.js';

/** The PostgreSQL server to use: DATABASE_URL, else TEST_DATABASE_URL; null when neither is set. */
export function postgresServerUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  return env.DATABASE_URL || env.TEST_DATABASE_URL || null;
}

export const NO_POSTGRES_REASON = 'no PostgreSQL server: set DATABASE_URL or TEST_DATABASE_URL';

/** 'postgresql://user:secret@host/db' -> 'postgresql://user:***@host/db', for anything we print. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^/:@\s]*):[^@/\s]*@/g, '$1:***@');
}

export interface ScratchDatabase {
  target: DatabaseTarget;
  /** What the report may show: never a password. */
  description: string;
  dispose(): Promise<void>;
}

function scratchName(label: string): string {
  const slug = label.replace(/[^a-z0-9]+/gi, '_').toLowerCase();
  return `smartstock_bench_${slug}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(serverUrl)}: ${redactUrl(reason)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE on the server of `serverUrl`; `dispose` drops it (WITH FORCE: a crashed child may linger). */
export async function freshPostgres(serverUrl: string, label: string): Promise<ScratchDatabase> {
  const name = scratchName(label);
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'postgres', url: url.toString() },
    description: redactUrl(url.toString()),
    dispose: async () => {
      await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A new temporary data directory for the embedded database; `dispose` deletes it. */
export async function freshEmbedded(label: string): Promise<ScratchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), `${scratchName(label)}-`));
  const dataDir = join(dir, 'db');
  return {
    target: { kind: 'embedded', dataDir },
    description: `embedded:${dataDir}`,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** PostgreSQL when a server is configured (the production backend), else the embedded database. */
export async function freshPreferred(label: string): Promise<ScratchDatabase> {
  const server = postgresServerUrl();
  return server ? freshPostgres(server, label) : freshEmbedded(label);
}

export async function tempDir(label: string): Promise<{ path: string; dispose(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${scratchName(label)}-work-`));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

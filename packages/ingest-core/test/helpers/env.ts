import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database, migrate } from '@smartstock/db';
import { createFmpClient, type FmpClient } from '@smartstock/fmp-client';
import { type Sandbox, type SandboxOptions, startSandbox } from '@smartstock/fmp-sandbox';
import { freshEmbeddedDataDir } from '@smartstock/testkit';

export type BackendKind = 'embedded' | 'postgres';

/**
 * The shared PostgreSQL server the suite creates its own databases on (never dropping anyone else's). The
 * `*.postgres.test.ts` files run only when it is set (vitest.config.ts), as in every package.
 */
function postgresAdminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error('the PostgreSQL cases need TEST_DATABASE_URL (a server they may create databases on)');
  return url;
}

/** A fixed sandbox clock: Friday 2026-05-08 18:00 New York, after the close (window May 3..8: 5 sessions). */
export const FIXED_NOW = new Date('2026-05-08T22:00:00Z');

export interface TestDatabase {
  db: Database;
  dataDir: string;
  /** Opens a second handle on the same database (PostgreSQL only; the embedded one is single-process). */
  reopen(): Promise<Database>;
  dispose(): Promise<void>;
}

export async function tempDir(prefix = 'ingest-core-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database on the given backend, with its own data directory. */
export async function openTestDatabase(kind: BackendKind): Promise<TestDatabase> {
  if (kind === 'embedded') {
    const dataDir = await freshEmbeddedDataDir('ingest-core-');
    const db = await createDatabase({ dataDir });
    return {
      db,
      dataDir,
      reopen: () => Promise.reject(new Error('the embedded database has one handle per process')),
      async dispose() {
        await db.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }
  const dataDir = await tempDir();
  // A unique name only: no date or duration is derived from it.
  const name = `ingest_core_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const adminUrl = postgresAdminUrl();
  const admin = await createDatabase({ url: adminUrl });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl, name);
  const db = await createDatabase({ url });
  await migrate(db);
  const extra: Database[] = [];
  return {
    db,
    dataDir,
    async reopen() {
      const d = await createDatabase({ url });
      extra.push(d);
      return d;
    },
    async dispose() {
      for (const d of extra) await d.close().catch(() => undefined);
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ seed: 7, now: () => FIXED_NOW, ...options });
}

/**
 * A client tuned for loopback tests: no pacing, millisecond backoff and 429 pauses. Its deadline is long: on a
 * busy machine (and with PGlite writing in this thread) a healthy answer can take seconds, and a run that must
 * succeed may not fail on a clock. Only cases that inject hanging requests pass a short `timeoutMs`.
 */
export function sandboxClient(
  sandbox: Sandbox,
  overrides: { apiKey?: string; maxConcurrent?: number; timeoutMs?: number } = {},
): FmpClient {
  return createFmpClient({
    apiKey: overrides.apiKey ?? sandbox.apiKey,
    baseUrl: sandbox.url,
    rateLimit: null,
    maxConcurrent: overrides.maxConcurrent ?? 50,
    retry: { attempts: 4, baseMs: 1, capMs: 5, rateLimitPauseMs: 2, rateLimitAttempts: 5 },
    timeoutMs: overrides.timeoutMs ?? 30_000,
  });
}

export interface PriceSnapshotRow {
  ticker: string;
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: string;
  vwap: number | null;
  updated_at: string;
}

/** The stock_prices table as comparable plain rows, sorted. */
export async function priceTable(db: Database): Promise<PriceSnapshotRow[]> {
  return db.query<PriceSnapshotRow>(
    `SELECT ticker, to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close, volume::text AS volume, vwap,
            to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS updated_at
       FROM stock_prices ORDER BY ticker, date`,
  );
}

export async function dcfTable(db: Database): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT ticker, to_char(valuation_date, 'YYYY-MM-DD') AS date, dcf, stock_price,
            to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS updated_at
       FROM dcf_valuations ORDER BY ticker`,
  );
}

export async function syncLogs(db: Database): Promise<
  {
    id: number;
    task_name: string;
    status: string;
    rows_updated: number;
    error_message: string | null;
    metadata: Record<string, unknown>;
  }[]
> {
  const rows = await db.query<{
    id: number;
    task_name: string;
    status: string;
    rows_updated: number;
    error_message: string | null;
    metadata: unknown;
  }>('SELECT id, task_name, status, rows_updated, error_message, metadata FROM sync_logs ORDER BY id');
  return rows.map((r) => ({
    ...r,
    metadata: (typeof r.metadata === 'string' ? JSON.parse(r.metadata) : r.metadata) as Record<
      string,
      unknown
    >,
  }));
}

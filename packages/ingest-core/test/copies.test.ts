import { rm } from 'node:fs/promises';
import type * as DbPackage from '@smartstock/db';
import type * as ClientPackage from '@smartstock/fmp-client';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { freshEmbeddedDataDir } from '@smartstock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDailySync } from '../src/sync.js';
import { FIXED_NOW, startTestSandbox } from './helpers/env.js';

// ingest-core here runs on the sources of @smartstock/db and @smartstock/fmp-client; their built packages
// (turbo builds them first) are second copies: the layout a service gets when its own versions of the two sit
// beside the ones ingest-core depends on. The service opens the database and builds the client with its copies.
const otherDb = (await import(new URL('../../db/dist/index.js', import.meta.url).href)) as typeof DbPackage;
const otherClient = (await import(
  new URL('../../fmp-client/dist/index.js', import.meta.url).href
)) as typeof ClientPackage;

describe('a sync given a database and a client from other copies of their packages', () => {
  let sandbox: Sandbox;
  let dataDir: string;
  let db: DbPackage.Database;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ tickers: 40 });
    dataDir = await freshEmbeddedDataDir('ingest-core-copies-');
    db = await otherDb.createDatabase({ dataDir });
  });
  afterAll(async () => {
    await db?.close();
    await sandbox?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = (apiKey: string) =>
    otherClient.createFmpClient({
      apiKey,
      baseUrl: sandbox.url,
      rateLimit: null,
      retry: { baseMs: 1, capMs: 5, rateLimitPauseMs: 2 },
      timeoutMs: 1_000,
    });

  it('writes every row, as with one copy', async () => {
    const tickers = sandbox.market.fmpSymbols();
    const summary = await runDailySync(
      { db, fmp: () => client(sandbox.apiKey), dataDir, clock: () => FIXED_NOW },
      { tickers, tasks: ['prices', 'dcf'] },
    );
    expect(summary.tasks.map((t) => [t.taskName, t.status])).toEqual([
      ['ingest_market_data', 'success'],
      ['ingest_all_dcf', 'success'],
    ]);
    const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stock_prices');
    expect(row!.n).toBe(summary.tasks[0]!.rowsInserted);
    expect(row!.n).toBeGreaterThan(0);
  });

  it("stops at once on a refused key: the other copy's auth error is fatal here too", async () => {
    sandbox.resetCounters();
    const summary = await runDailySync(
      { db, fmp: () => client('not-the-key'), dataDir, clock: () => FIXED_NOW },
      { tickers: sandbox.market.fmpSymbols(), tasks: ['prices', 'dcf'], concurrency: 5 },
    );
    expect(summary.tasks.map((t) => t.status)).toEqual(['failed', 'failed']);
    expect(summary.tasks[0]!.errorMessage).toMatch(/key|401/i);
    // Fatal: prices stopped within its concurrency, and DCF never called FMP.
    expect(sandbox.counters().requests).toBeLessThanOrEqual(5);
    expect(sandbox.counters().byEndpoint['discounted-cash-flow']?.total ?? 0).toBe(0);
  });
});

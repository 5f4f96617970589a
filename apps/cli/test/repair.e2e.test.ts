import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BACKENDS, type Backend, createBackend, runCli } from './helpers.js';

// The CLI runs on the real clock, and so does this sandbox: the stored history is whatever the last 10 days
// held, and every date the case uses is read back from it (none is derived from today here).
describe.each(BACKENDS)('smartstock repair on the %s database', (name) => {
  let sandbox: Sandbox;
  let dir: string;
  let dataDir: string;
  let backend: Backend;
  let env: Record<string, string>;
  const client = ['--rpm', '0', '--retry-base-ms', '1', '--rate-limit-pause-ms', '1', '--timeout-ms', '5000'];
  const run = (args: string[]) => runCli([...args, '--data-dir', dataDir], { cwd: dir, env });

  beforeAll(async () => {
    assertBuilt();
    sandbox = await startSandbox({ tickers: 30, seed: 5 });
    dir = mkdtempSync(path.join(tmpdir(), `smartstock-cli-repair-${name}-`));
    dataDir = path.join(dir, 'data');
    // The repair of stored gaps, not a first run: the embedded database starts migrated.
    backend = await createBackend(name, dataDir, 'repair', { start: 'migrated' });
    env = { ...backend.env, FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url };
  });
  afterAll(async () => {
    await sandbox?.stop();
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('smartstock repair --json fetches the sessions punched out of the stored prices, smartstock audit then exits 0, and a failed repair fails status --check', async () => {
    const synced = await run([
      'sync',
      '--tickers-source',
      sandbox.holdingsUrl,
      '--min-tickers',
      '10',
      '--days',
      '10',
      '--tasks',
      'tickers,prices',
      ...client,
    ]);
    expect(synced.code, synced.stderr).toBe(0);
    const db = await backend.open();
    let holes: { ticker: string; date: string }[];
    try {
      // The second stored session of two tickers: inside their history, so the audit expects it.
      holes = await db.query<{ ticker: string; date: string }>(
        `WITH ranked AS (
           SELECT ticker, date, row_number() OVER (PARTITION BY ticker ORDER BY date) AS n FROM stock_prices
         )
         SELECT ticker::text AS ticker, to_char(date, 'YYYY-MM-DD') AS date FROM ranked
         WHERE n = 2 ORDER BY ticker LIMIT 2`,
      );
      expect(holes).toHaveLength(2);
      for (const h of holes)
        await db.query('DELETE FROM stock_prices WHERE ticker = $1 AND date = $2::date', [h.ticker, h.date]);
    } finally {
      await db.close();
    }
    const before = await run(['audit']);
    expect(before.code, before.stdout).toBe(1);

    sandbox.resetCounters();
    const repaired = await run(['repair', '--json', '--repair-max-requests', '5', ...client]);
    expect(repaired.code, repaired.stderr).toBe(0);
    const summary = syncSummarySchema.parse(JSON.parse(repaired.stdout));
    expect(summary.tasks.map((t) => [t.taskName, t.status])).toEqual([['repair_price_gaps', 'success']]);
    expect(summary.tasks[0]!.metadata).toMatchObject({
      tickersWithGaps: 2,
      requests: 2,
      sessionsRequested: 2,
      barsWritten: 2,
      maxRequests: 5,
      leftForNextNight: { tickers: 0, sessions: 0 },
      scope: { universe: 'full', trigger: 'cli' },
    });
    expect(sandbox.counters().byEndpoint['historical-price-eod/full']?.total).toBe(2);

    const after = await run(['audit']);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toContain('no unexplained gap');
    const healthy = await run(['status', '--check', '--task', 'repair']);
    expect(healthy.code, healthy.stdout).toBe(0);

    // A repair whose requests all fail is a failed task, and status --check judges it like any other.
    const db2 = await backend.open();
    try {
      await db2.query('DELETE FROM stock_prices WHERE ticker = $1 AND date = $2::date', [
        holes[0]!.ticker,
        holes[0]!.date,
      ]);
    } finally {
      await db2.close();
    }
    sandbox.update({ faults: '5xx=1' });
    try {
      const failed = await run(['repair', ...client]);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toMatch(/FAILED repair_price_gaps: 1 of 1 tickers failed/);
    } finally {
      sandbox.update({ faults: '' });
    }
    const check = await run(['status', '--check', '--json']);
    expect(check.code, check.stdout).toBe(1);
    const report = JSON.parse(check.stdout) as { tasks: { taskName: string; state: string }[] };
    expect(report.tasks.find((t) => t.taskName === 'repair_price_gaps')!.state).toBe('failed');
  });
});

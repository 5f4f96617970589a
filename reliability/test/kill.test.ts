import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend, createBackend, type Target } from './helpers/backends.js';
import { assertCliBuilt, lastProgress, runCli, startCli } from './helpers/cli.js';
import { referenceRun } from './helpers/reference.js';
import { compareTable, type DataTables, readDataTables, readSyncLogs } from './helpers/tables.js';
import { fmpEnv, pastWindow, startWorld, syncArgs, type Window } from './helpers/world.js';

// ~80 sessions × 150 tickers: the prices task writes several 5,000-row batches, so the kill lands after some
// batches are committed and while others are in flight.
const WINDOW_DAYS = 120;
const SLOW = ['--concurrency', '2'];

for (const backendName of BACKENDS) {
  describe(`the CLI killed with SIGKILL in the middle of the prices task (${backendName})`, () => {
    let backend: Backend;
    let sandbox: Sandbox;
    let window: Window;
    let reference: DataTables;

    beforeAll(async () => {
      assertCliBuilt();
      // Latency keeps the prices task running for seconds, so "the middle" is a wide target.
      sandbox = await startWorld({ latencyMs: 60 });
      backend = await createBackend(backendName, 'kill');
      window = pastWindow(WINDOW_DAYS);
      reference = (await referenceRun(backend, sandbox, window, ['--concurrency', '50'])).tables;
      expect(reference.prices.size).toBeGreaterThan(10_000);
    });

    afterAll(async () => {
      await sandbox?.stop();
      await backend?.dispose();
    });

    /** Waits until some batches are committed (row count on PostgreSQL, progress lines on embedded). */
    async function waitForMidRun(target: Target, proc: ReturnType<typeof startCli>): Promise<void> {
      if (backendName === 'embedded') {
        // The running CLI holds the embedded database: only its progress lines can be watched.
        await proc.waitForStderr((s) => {
          const p = lastProgress(s);
          return p !== null && p.done >= p.total * 0.6 && p.done < p.total;
        });
        return;
      }
      await proc.waitForStderr((s) => lastProgress(s) !== null);
      for (;;) {
        const [row] = await target.withDb((db) =>
          db.query<{ n: number }>('SELECT count(*)::int AS n FROM stock_prices'),
        );
        if ((row?.n ?? 0) >= 5_000) return;
        if (proc.child.exitCode !== null)
          throw new Error(`the CLI finished before the kill:\n${proc.stderr()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it('loses no saved row, duplicates none, and a rerun completes and marks the killed run interrupted', async () => {
      const target = await backend.fresh('killed');
      const args = syncArgs(sandbox, target, window, SLOW);
      const env = fmpEnv(sandbox, target);
      const proc = startCli(args, { env, cwd: target.dataDir });
      await waitForMidRun(target, proc);
      proc.child.kill('SIGKILL');
      const killed = await proc.done;
      expect(killed.signal).toBe('SIGKILL');
      expect(lastProgress(killed.stderr)!.done).toBeLessThan(lastProgress(killed.stderr)!.total);

      const lockFile = join(target.dataDir, 'db.lock');
      if (backendName === 'embedded')
        expect(existsSync(lockFile), 'the killed process left its lock').toBe(true);

      // The database opens cleanly (the embedded one clears the dead process's lock and recovers its WAL):
      // what it holds is part of the reference, with the running rows of the dead run.
      const afterKill = await target.withDb(async (db) => ({
        tables: await readDataTables(db),
        logs: await readSyncLogs(db),
      }));
      if (backendName === 'embedded') expect(existsSync(lockFile), 'the stale lock is cleared').toBe(false);
      const partial = compareTable(reference.prices, afterKill.tables.prices);
      expect(partial.wrong).toEqual([]);
      expect(afterKill.tables.prices.size, 'some batches were committed before the kill').toBeGreaterThan(0);
      expect(afterKill.tables.prices.size).toBeLessThan(reference.prices.size);
      const killedPrices = afterKill.logs.find((l) => l.task_name === 'ingest_market_data');
      expect(killedPrices?.status).toBe('running');

      const rerun = await runCli(syncArgs(sandbox, target, window, ['--concurrency', '50']), {
        env,
        cwd: target.dataDir,
      });
      expect(rerun.code, rerun.stderr).toBe(0);
      const summary = syncSummarySchema.parse(JSON.parse(rerun.stdout));
      expect(summary.tasks.map((t) => t.status)).toEqual(['success', 'success', 'success', 'success']);
      const prices = summary.tasks.find((t) => t.taskName === 'ingest_market_data')!;
      // The rerun inserted exactly what the killed run had not committed, and rewrote nothing.
      expect(prices.rowsInserted).toBe(reference.prices.size - afterKill.tables.prices.size);
      expect(prices.rowsChanged).toBe(0);

      const final = await target.withDb(async (db) => ({
        tables: await readDataTables(db),
        logs: await readSyncLogs(db),
      }));
      expect(final.tables.duplicates).toBe(0);
      expect(final.tables.prices).toEqual(reference.prices);
      expect(final.tables.dcf).toEqual(reference.dcf);
      const interrupted = final.logs.find((l) => l.id === killedPrices!.id)!;
      expect(interrupted.status).toBe('failed');
      expect(interrupted.error_message).toMatch(/interrupted/i);
      expect(final.logs.filter((l) => l.status === 'running')).toEqual([]);
      expect(
        final.logs.filter((l) => l.metadata?.runId === summary.runId).map((l) => [l.task_name, l.status]),
      ).toEqual([
        ['get_russell_2000_list', 'success'],
        ['ingest_market_data', 'success'],
        ['ingest_all_dcf', 'success'],
        ['check_data_quality', 'success'],
      ]);
    });
  });
}

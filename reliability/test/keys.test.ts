import type { Sandbox } from '@smartstock/fmp-sandbox';
import { type SyncSummary, syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend, createBackend, type Target } from './helpers/backends.js';
import { assertCliBuilt, type CliResult, runCli } from './helpers/cli.js';
import { referenceRun } from './helpers/reference.js';
import {
  compareTable,
  type DataTables,
  readDataTables,
  readFailedLog,
  readSyncLogs,
} from './helpers/tables.js';
import {
  distinctiveKey,
  filesContaining,
  fmpEnv,
  pastWindow,
  startWorld,
  syncArgs,
  type Window,
} from './helpers/world.js';

const CONCURRENCY = 10;

for (const backendName of BACKENDS) {
  describe(`a wrong or revoked FMP key (${backendName})`, () => {
    let backend: Backend;
    let sandbox: Sandbox;
    let window: Window;
    let reference: DataTables;

    beforeAll(async () => {
      assertCliBuilt();
      sandbox = await startWorld();
      backend = await createBackend(backendName, 'keys');
      window = pastWindow();
      reference = (await referenceRun(backend, sandbox, window)).tables;
    });

    afterAll(async () => {
      await sandbox?.stop();
      await backend?.dispose();
    });

    /** The key in no output line, no sync_logs row, no failed_ingestion.log line, no file of the data dir. */
    async function expectKeyNowhere(target: Target, result: CliResult, key: string): Promise<void> {
      expect(result.stdout).not.toContain(key);
      expect(result.stderr).not.toContain(key);
      const logs = await target.withDb(readSyncLogs);
      expect(logs.length).toBeGreaterThan(0);
      for (const row of logs) expect(row.raw).not.toContain(key);
      for (const line of await readFailedLog(target.dataDir)) expect(JSON.stringify(line)).not.toContain(key);
      // The embedded database's own files (tables, WAL) are in the data directory too.
      expect(await filesContaining(target.dataDir, key)).toEqual([]);
    }

    /** Prices aborted within `concurrency` requests of the refusal, DCF never called, both rows say why. */
    async function expectAbortedFast(target: Target, result: CliResult, allowedPriceRequests: number) {
      expect(result.code, result.stderr).toBe(1);
      const counters = sandbox.counters();
      expect(counters.byEndpoint['historical-price-eod/full']?.total ?? 0).toBeLessThanOrEqual(
        allowedPriceRequests,
      );
      expect(counters.byEndpoint['discounted-cash-flow']?.total ?? 0).toBe(0);
      const logs = await target.withDb(readSyncLogs);
      const byTask = new Map(logs.map((l) => [l.task_name, l]));
      expect(byTask.get('get_russell_2000_list')?.status).toBe('success');
      for (const task of ['ingest_market_data', 'ingest_all_dcf']) {
        expect(byTask.get(task)?.status).toBe('failed');
        expect(byTask.get(task)?.error_message).toMatch(/api key|invalid key|401|unauthori[sz]ed/i);
      }
      expect(result.stderr).toMatch(/FAILED ingest_market_data/);
    }

    for (const json of [true, false]) {
      it(`aborts at once on a wrong key and never shows it (${json ? '--json' : 'human output'})`, async () => {
        const target = await backend.fresh(`wrong-key-${json}`);
        const wrongKey = distinctiveKey('wrong-key');
        sandbox.resetCounters();
        const args = syncArgs(sandbox, target, window, ['--concurrency', String(CONCURRENCY)]).filter(
          (a) => json || a !== '--json',
        );
        const result = await runCli(args, { env: fmpEnv(sandbox, target, wrongKey), cwd: target.dataDir });
        await expectAbortedFast(target, result, CONCURRENCY);
        if (json) {
          const summary: SyncSummary = syncSummarySchema.parse(JSON.parse(result.stdout));
          expect(summary.tasks.map((t) => t.status)).toEqual(['success', 'failed', 'failed', 'success']);
        }
        // Nothing was written by the FMP tasks.
        const tables = await target.withDb(readDataTables);
        expect(tables.prices.size + tables.dcf.size).toBe(0);
        await expectKeyNowhere(target, result, wrongKey);
      });
    }

    it('aborts within `concurrency` requests of a key revoked mid-run, keeps what it stored, and never shows the key', async () => {
      const target = await backend.fresh('revoked');
      sandbox.resetCounters();
      sandbox.update({ revokeKeyAfter: 40 });
      let result: CliResult;
      try {
        result = await runCli(syncArgs(sandbox, target, window, ['--concurrency', String(CONCURRENCY)]), {
          env: fmpEnv(sandbox, target),
          cwd: target.dataDir,
        });
      } finally {
        sandbox.update({ revokeKeyAfter: null });
      }
      await expectAbortedFast(target, result, 40 + CONCURRENCY);
      const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
      expect(summary.tasks.map((t) => t.status)).toEqual(['success', 'failed', 'failed', 'success']);
      // What was stored before the revocation is right; the rest is simply not there.
      const tables = await target.withDb(readDataTables);
      const prices = compareTable(reference.prices, tables.prices);
      expect(prices.wrong).toEqual([]);
      expect(tables.prices.size).toBeLessThan(reference.prices.size);
      await expectKeyNowhere(target, result, sandbox.apiKey);
    });
  });
}

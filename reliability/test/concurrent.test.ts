import type { Sandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend, createBackend } from './helpers/backends.js';
import { assertCliBuilt, startCli } from './helpers/cli.js';
import { referenceRun } from './helpers/reference.js';
import { type DataTables, readDataTables, readSyncLogs } from './helpers/tables.js';
import { fmpEnv, pastWindow, startWorld, syncArgs, type Window } from './helpers/world.js';

for (const backendName of BACKENDS) {
  describe(`two CLI runs started at once (${backendName})`, () => {
    let backend: Backend;
    let sandbox: Sandbox;
    let window: Window;
    let reference: DataTables;

    beforeAll(async () => {
      assertCliBuilt();
      // 80 ms per answer and two tickers at a time: the run that wins lasts seconds, far longer than the
      // other needs to start and meet the lock.
      sandbox = await startWorld({ latencyMs: 80 });
      backend = await createBackend(backendName, 'concurrent');
      window = pastWindow();
      reference = (await referenceRun(backend, sandbox, window, ['--concurrency', '50'])).tables;
    });

    afterAll(async () => {
      await sandbox?.stop();
      await backend?.dispose();
    });

    it('runs one and refuses the other with exit 3 because the lock is held, recording nothing for it', async () => {
      const target = await backend.fresh('pair');
      const env = fmpEnv(sandbox, target);
      const args = syncArgs(sandbox, target, window, ['--concurrency', '2']);
      const [a, b] = await Promise.all([
        startCli(args, { env, cwd: target.dataDir }).done,
        startCli(args, { env, cwd: target.dataDir }).done,
      ]);
      const results = [a!, b!];
      const winner = results.find((r) => r.code !== 3);
      const loser = results.find((r) => r.code === 3);
      expect(results.map((r) => r.code).sort(), results.map((r) => r.stderr).join('\n----\n')).toEqual([
        0, 3,
      ]);
      // On PostgreSQL the run lock refuses it; on the embedded database the second process cannot even
      // take the data directory's lock file, and says so in the same words, naming the holder.
      expect(loser!.stderr.trim().split('\n').at(-1)).toMatch(
        backendName === 'postgres'
          ? /another sync is running/
          : /another sync is running \(.*in use by process \d+/,
      );
      expect(loser!.stdout.trim()).toBe('');

      const summary = syncSummarySchema.parse(JSON.parse(winner!.stdout));
      expect(summary.status).toBe('success');
      const final = await target.withDb(async (db) => ({
        tables: await readDataTables(db),
        logs: await readSyncLogs(db),
      }));
      // The database is intact and complete, and every sync_logs row is the winner's.
      expect(final.tables.prices).toEqual(reference.prices);
      expect(final.tables.dcf).toEqual(reference.dcf);
      expect(final.logs.map((l) => [l.task_name, l.status, l.metadata?.runId])).toEqual([
        ['get_russell_2000_list', 'success', summary.runId],
        ['ingest_market_data', 'success', summary.runId],
        ['ingest_all_dcf', 'success', summary.runId],
        ['check_data_quality', 'success', summary.runId],
      ]);
    });
  });
}

import type { Sandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, createBackend, withAdmin } from './helpers/backends.js';
import { assertCliBuilt, lastProgress, runCli, startCli } from './helpers/cli.js';
import { referenceRun } from './helpers/reference.js';
import { type DataTables, readDataTables, readSyncLogs } from './helpers/tables.js';
import { fmpEnv, pastWindow, startWorld, syncArgs, type Window } from './helpers/world.js';

describe('PostgreSQL connections dropped in the middle of a run (pg_terminate_backend)', () => {
  let backend: Backend;
  let sandbox: Sandbox;
  let window: Window;
  let reference: DataTables;

  beforeAll(async () => {
    assertCliBuilt();
    sandbox = await startWorld({ latencyMs: 60 });
    backend = await createBackend('postgres', 'connections');
    window = pastWindow(120);
    reference = (await referenceRun(backend, sandbox, window, ['--concurrency', '50'])).tables;
  });

  afterAll(async () => {
    await sandbox?.stop();
    await backend?.dispose();
  });

  it('fails the run with a message naming the lost connection, and the next run recovers', async () => {
    const target = await backend.fresh('terminated');
    const env = fmpEnv(sandbox, target);
    const proc = startCli(syncArgs(sandbox, target, window, ['--concurrency', '2']), {
      env,
      cwd: target.dataDir,
    });
    await proc.waitForStderr((s) => {
      const p = lastProgress(s);
      return p !== null && p.done >= p.total * 0.3 && p.done < p.total;
    });
    // Only this run's backends: the test holds no connection to its database now, and the admin connection
    // sits on the maintenance database. The shared server itself is never touched.
    // The pids are read first and terminated one by one: a single `WHERE datname = ... AND
    // pg_terminate_backend(pid)` lets the planner call the function before the filter, on every backend.
    const terminated = await withAdmin(async (admin) => {
      const victims = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [target.databaseName],
      );
      let n = 0;
      for (const { pid } of victims) {
        const [row] = await admin.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE pid = $1 AND datname = $2`,
          [pid, target.databaseName],
        );
        if (row?.ok) n++;
      }
      return n;
    });
    expect(terminated).toBeGreaterThan(0);
    const result = await proc.done;

    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/terminat|connection/i);
    expect(result.stderr).not.toMatch(/^\s+at .*\(.*\.js:\d+:\d+\)$/m);

    const rerun = await runCli(syncArgs(sandbox, target, window, ['--concurrency', '50']), {
      env,
      cwd: target.dataDir,
    });
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = syncSummarySchema.parse(JSON.parse(rerun.stdout));
    expect(summary.tasks.map((t) => t.status)).toEqual(['success', 'success', 'success', 'success']);
    const final = await target.withDb(async (db) => ({
      tables: await readDataTables(db),
      logs: await readSyncLogs(db),
    }));
    expect(final.tables.duplicates).toBe(0);
    expect(final.tables.prices).toEqual(reference.prices);
    expect(final.tables.dcf).toEqual(reference.dcf);
    expect(final.logs.filter((l) => l.status === 'running')).toEqual([]);
    const dropped = final.logs.filter(
      (l) => l.task_name === 'ingest_market_data' && l.metadata?.runId !== summary.runId,
    );
    expect(dropped).toHaveLength(1);
    expect(dropped[0]!.status).toBe('failed');
    expect(dropped[0]!.error_message).toMatch(/terminat|connection|interrupted/i);
  });
});

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '@smartstock/db';
import type { FaultRates, Sandbox } from '@smartstock/fmp-sandbox';
import { addDays, syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type Backend, createBackend, type Target } from './helpers/backends.js';
import { assertCliBuilt, type CliResult, runCli } from './helpers/cli.js';
import { dumpAllTables, readFailedLog, readSyncLogs } from './helpers/tables.js';
import { FAST_CLIENT, fmpEnv, pastWindow, startWorld, syncArgs, type Window } from './helpers/world.js';

const CLEAN_LIST = 'russell_2000_tickers_clean.txt';

/** Arguments the CLI must refuse before touching anything: exit 2 and a message naming the problem. */
function usageCases(window: Window): { name: string; args: string[]; message: RegExp }[] {
  const later = window.to;
  const earlier = addDays(later, -30);
  return [
    {
      name: 'a ticker that is an SQL injection',
      args: ['prices', '--tickers', "'; DROP TABLE stock_prices;--"],
      message: /--tickers.*DROP TABLE/i,
    },
    {
      name: 'a ticker that is a path',
      args: ['prices', '--tickers', '../../etc/passwd'],
      message: /--tickers.*etc\/passwd/i,
    },
    {
      name: 'a path hidden among good tickers',
      args: ['dcf', '--tickers', 'MOG-A,../../etc/passwd,ZETA'],
      message: /--tickers.*etc\/passwd/i,
    },
    {
      name: 'an SQL ticker for the DCF task',
      args: ['dcf', '--tickers', 'ZETA,x; DELETE FROM dcf_valuations'],
      message: /--tickers.*DELETE FROM/i,
    },
    { name: 'a window starting in 1800', args: ['prices', '--from', '1800-01-01'], message: /1800-01-01/ },
    {
      name: 'a window ending in 2999',
      args: ['prices', '--from', window.from, '--to', '2999-01-01'],
      message: /2999-01-01/,
    },
    { name: '--to without --from', args: ['prices', '--to', '2999-01-01'], message: /--to.*--from/ },
    {
      name: '--from after --to',
      args: ['prices', '--from', later, '--to', earlier],
      message: new RegExp(`${later}.*after.*${earlier}|--from.*after.*--to`),
    },
    { name: 'an impossible date', args: ['prices', '--from', '2025-02-30'], message: /2025-02-30|--from/ },
    { name: '--days 0', args: ['prices', '--days', '0'], message: /days/i },
    { name: '--days 100000', args: ['prices', '--days', '100000'], message: /days.*100000|100000.*days/i },
    { name: '--days that is not a number', args: ['prices', '--days', 'five'], message: /--days/ },
    {
      name: 'both --days and --from',
      args: ['prices', '--days', '5', '--from', window.from],
      message: /--days/,
    },
  ];
}

/** Universe sources that must be refused, the previous universe staying in place. */
function brokenHoldings(sandbox: Sandbox): { name: string; content: string | Buffer; message: RegExp }[] {
  const csv = sandbox.market.holdingsCsv();
  const sedols = Array.from({ length: 120 }, (_, i) => `B${String(1_000_000 + i * 7919).slice(0, 6)}`);
  const words = ['HOLDINGS', 'INCORPORATED', 'TECHNOLOGIES', 'PHARMACEUTICALS', 'BANCORP', 'INDUSTRIES'];
  return [
    {
      name: 'a holdings file cut off after a few rows',
      content: csv.split('\n').slice(0, 14).join('\n'),
      message: /at least 50|too few/i,
    },
    {
      name: 'an HTML error page instead of the CSV',
      content: '<!DOCTYPE html>\n<html><body><h1>503 Service Unavailable</h1></body></html>\n',
      message: /universe refused|no ticker|header/i,
    },
    {
      name: 'SEDOL codes instead of tickers',
      content: ['Ticker', ...sedols].join('\n'),
      message: /SEDOL/i,
    },
    {
      name: 'words from company names instead of tickers',
      content: [
        'Ticker',
        ...Array.from({ length: 120 }, (_, i) => `${words[i % words.length]}${'S'.repeat(i % 3)}`),
      ].join('\n'),
      message: /company names|invalid shape/i,
    },
    { name: 'an empty file', content: '', message: /universe refused|no ticker|empty/i },
    { name: 'binary garbage', content: randomBytes(4096), message: /universe refused|no ticker|invalid/i },
  ];
}

/** Tables the bad input must leave exactly as they were (timestamps included). */
function dataOnly(dump: Record<string, string[]>): Record<string, string[]> {
  const { sync_logs: _logs, ...rest } = dump;
  return rest;
}

for (const backendName of BACKENDS) {
  describe(`bad inputs leave the stored data untouched (${backendName})`, () => {
    let backend: Backend;
    let sandbox: Sandbox;
    let window: Window;
    let target: Target;
    let before: Record<string, string[]>;
    let cleanList: string;

    beforeAll(async () => {
      assertCliBuilt();
      sandbox = await startWorld();
      backend = await createBackend(backendName, 'bad_inputs');
      window = pastWindow();
      target = await backend.fresh('seeded');
      const result = await runCli(syncArgs(sandbox, target, window), {
        env: fmpEnv(sandbox, target),
        cwd: target.dataDir,
      });
      expect(result.code, result.stderr).toBe(0);
      before = await target.withDb(dumpAllTables);
      expect(before.stock_prices!.length).toBeGreaterThan(0);
      cleanList = await readFile(join(target.dataDir, CLEAN_LIST), 'utf8');
    });

    afterAll(async () => {
      await sandbox?.stop();
      await backend?.dispose();
    });

    const run = (args: string[]): Promise<CliResult> =>
      runCli([...args, ...target.args], { env: fmpEnv(sandbox, target), cwd: target.dataDir });
    const dump = (): Promise<Record<string, string[]>> => target.withDb((db: Database) => dumpAllTables(db));

    // The arguments are refused before a database is opened, so one backend proves it: the last one (PostgreSQL
    // when it runs, whose dump is quick). Thirteen CLI starts are not paid twice.
    if (backendName === BACKENDS.at(-1)) {
      it('refuses each bad argument with exit 2 and a message naming it, storing nothing and logging no run', async () => {
        for (const c of usageCases(window)) {
          const result = await run([...c.args, ...FAST_CLIENT]);
          expect(result.code, `${c.name}: ${result.stderr}`).toBe(2);
          const lastLine = result.stderr.trim().split('\n').at(-1) ?? '';
          expect(lastLine, c.name).toMatch(c.message);
          expect(result.stdout.trim(), c.name).toBe('');
        }
        expect(await dump()).toEqual(before);
        expect(await readFile(join(target.dataDir, CLEAN_LIST), 'utf8')).toBe(cleanList);
      });
    }

    it('refuses each broken universe source, keeping the previous list and table', async () => {
      // The sync_logs rows are read once at the end (each read opens the database: a second or more on the
      // embedded one): one failed universe row per broken source, in order, and none for the missing file.
      const logsBefore = (await target.withDb(readSyncLogs)).length;
      const refused: RegExp[] = [];
      for (const c of brokenHoldings(sandbox)) {
        const source = join(target.dataDir, `broken-${c.name.replace(/\W+/g, '-')}.csv`);
        await writeFile(source, c.content);
        const result = await run(['tickers', source, '--min-tickers', '50']);
        expect(result.code, `${c.name}: ${result.stderr}`).toBe(1);
        expect(result.stderr, c.name).toMatch(c.message);
        expect(await readFile(join(target.dataDir, CLEAN_LIST), 'utf8'), c.name).toBe(cleanList);
        refused.push(c.message);
      }
      // A path with no file: a mistake the user fixes before a rerun, so a usage error (exit 2) that starts no
      // run and records nothing.
      const missing = join(target.dataDir, 'no-such-holdings.csv');
      const absent = await run(['tickers', missing, '--min-tickers', '50']);
      expect(absent.code, absent.stderr).toBe(2);
      expect(absent.stderr.trim().split('\n').at(-1)).toMatch(
        /cannot read the universe source .*no-such-holdings\.csv.*no such file/i,
      );
      // A URL the server refuses.
      const result = await run(['tickers', `${sandbox.url}/ishares/no-such-fund.csv`, '--min-tickers', '50']);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/cannot read the universe source .*no-such-fund\.csv: HTTP \d{3}/);
      refused.push(/no-such-fund\.csv: HTTP \d{3}/);

      const { logs, after } = await target.withDb(async (db) => ({
        logs: await readSyncLogs(db),
        after: await dumpAllTables(db),
      }));
      const added = logs.slice(logsBefore);
      expect(added.map((l) => [l.task_name, l.status])).toEqual(
        refused.map(() => ['get_russell_2000_list', 'failed']),
      );
      for (const [i, l] of added.entries()) expect(l.error_message, `row ${i + 1}`).toMatch(refused[i]!);
      expect(dataOnly(after)).toEqual(dataOnly(before));
      expect(await readFile(join(target.dataDir, CLEAN_LIST), 'utf8')).toBe(cleanList);
    });

    it('reruns the stored, completed window without a single price request and changes nothing', async () => {
      sandbox.resetCounters();
      const result = await run([
        'prices',
        '--from',
        window.from,
        '--to',
        window.to,
        ...FAST_CLIENT,
        '--json',
      ]);
      expect(result.code, result.stderr).toBe(0);
      const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
      expect(summary.tasks.map((t) => [t.taskName, t.status, t.rowsUpdated])).toEqual([
        ['ingest_market_data', 'success', 0],
      ]);
      expect(sandbox.counters().requests).toBe(0);
      expect(dataOnly(await dump())).toEqual(dataOnly(before));
    });

    const bodies: { name: string; faults: FaultRates; reason: RegExp }[] = [
      { name: 'every body truncated or an HTML page', faults: { malformed: 1 }, reason: /./ },
      { name: 'every body an FMP error message on a 200', faults: { error200: 1 }, reason: /limit|error/i },
      { name: 'one invalid row in every body', faults: { badrows: 1 }, reason: /invalid/i },
    ];
    // The stored window is recorded complete, and a rerun of it rightly makes no request (above). For the bad
    // bodies to reach every ticker, the stored rows must be of a window not yet complete, as when they came from
    // nightly runs (which record no completed window): the same rows, without their completion records.
    let incomplete: Record<string, string[]>;
    // One database open for the reset and the reads around it (each open costs a second or more embedded).
    const forgetCompletedWindows = () =>
      target.withDb(async (db) => {
        await db.query('DELETE FROM price_backfill_windows');
        incomplete = await dumpAllTables(db);
        expect(incomplete.price_backfill_windows).toEqual([]);
        expect(incomplete.stock_prices).toEqual(before.stock_prices);
        return readSyncLogs(db);
      });

    for (const b of bodies) {
      it(`reports every ticker and damages nothing stored with ${b.name}`, async () => {
        const logsBefore = await forgetCompletedWindows();
        sandbox.update({ faults: b.faults });
        let result: CliResult;
        try {
          result = await run([
            'sync',
            '--tasks',
            'prices,dcf',
            '--from',
            window.from,
            '--to',
            window.to,
            ...FAST_CLIENT,
            '--json',
          ]);
        } finally {
          sandbox.update({ faults: '' });
        }
        const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
        expect(result.code, result.stderr).toBe(summary.status === 'failed' ? 1 : 0);
        const lines = (await readFailedLog(target.dataDir)).filter((l) => l.runId === summary.runId);
        for (const task of summary.tasks) {
          const c = task.counts;
          // Every ticker that had data to lose is reported, with its reason.
          const reported = lines.filter((l) => l.task === task.taskName);
          expect(reported.length).toBe((c.failed ?? 0) + (c.skipped ?? 0) + (c.invalid_rows ?? 0));
          expect(reported.length, task.taskName).toBeGreaterThan(0);
          for (const l of reported) expect(l.message).toMatch(b.reason);
          expect(task.status).not.toBe('success');
          expect(task.rowsChanged, `${task.taskName} rewrote stored rows`).toBe(0);
          expect(task.rowsInserted).toBe(0);
        }
        // Only the two new sync_logs rows differ; no window was recorded complete.
        const { after, logs } = await target.withDb(async (db) => ({
          after: await dumpAllTables(db),
          logs: await readSyncLogs(db),
        }));
        expect(dataOnly(after)).toEqual(dataOnly(incomplete));
        expect(logs.slice(0, logsBefore.length).map((l) => l.raw)).toEqual(logsBefore.map((l) => l.raw));
        expect(logs.slice(logsBefore.length).map((l) => l.task_name)).toEqual([
          'ingest_market_data',
          'ingest_all_dcf',
        ]);
      });
    }
  });
}

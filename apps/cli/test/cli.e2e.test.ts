import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tryAcquireRunLock } from '@smartstock/db';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BACKENDS, type Backend, createBackend, runCli } from './helpers.js';

// A closed, holiday-free week: the expected rows do not depend on today's date.
const FROM = '2024-03-04';
const TO = '2024-03-08';
const ESC = '\u001b[';

describe.each(BACKENDS)('the built CLI on the %s database, against the loopback sandbox', (name) => {
  let sandbox: Sandbox;
  let dir: string;
  let dataDir: string;
  let backend: Backend;
  let env: Record<string, string>;
  let expectedPrices: number;
  let expectedDcf: number;
  let universe: string[];

  const client = ['--rpm', '0', '--retry-base-ms', '1', '--rate-limit-pause-ms', '1', '--timeout-ms', '5000'];
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    runCli([...args, '--data-dir', dataDir], { cwd: dir, env: { ...env, ...extraEnv } });
  const sync = (...more: string[]) =>
    run([
      'sync',
      '--tickers-source',
      sandbox.holdingsUrl,
      '--min-tickers',
      '10',
      '--from',
      FROM,
      '--to',
      TO,
      ...client,
      ...more,
    ]);
  const withDb = async <T>(fn: (db: Awaited<ReturnType<Backend['open']>>) => Promise<T>): Promise<T> => {
    const db = await backend.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    assertBuilt();
    sandbox = await startSandbox({ tickers: 40, seed: 11 });
    dir = mkdtempSync(path.join(tmpdir(), `smartstock-cli-${name}-`));
    dataDir = path.join(dir, 'data');
    backend = await createBackend(name, dataDir, 'e2e');
    env = { ...backend.env, FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url };
    universe = sandbox.market.fmpSymbols();
    expectedPrices = universe.reduce((n, s) => n + sandbox.market.bars(s, FROM, TO).length, 0);
    expectedDcf = sandbox.market.dcfSymbols().length;
  });

  afterAll(async () => {
    await sandbox?.stop();
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the universe, prices and DCF; --json is one document matching the summary schema', async () => {
    const result = await sync('--json');
    expect(result.stderr).not.toContain(ESC);
    expect(result.code, result.stderr).toBe(0);
    const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
    expect(summary.status).toBe('success');
    expect(summary.tasks.map((t) => [t.taskName, t.status])).toEqual([
      ['get_russell_2000_list', 'success'],
      ['ingest_market_data', 'success'],
      ['ingest_all_dcf', 'success'],
    ]);
    // Every log line (stderr) is a plain timestamped line carrying this run's id.
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR)/);
      expect(line).toContain(`runId=${summary.runId}`);
    }
  });

  it('status --json then shows three successes with the expected row counts', async () => {
    const result = await run(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as { taskName: string; status: string; rowsUpdated: number }[];
    const byTask = Object.fromEntries(rows.map((r) => [r.taskName, r]));
    expect(Object.keys(byTask).sort()).toEqual([
      'get_russell_2000_list',
      'ingest_all_dcf',
      'ingest_market_data',
    ]);
    expect(rows.every((r) => r.status === 'success')).toBe(true);
    expect(byTask.ingest_market_data!.rowsUpdated).toBe(expectedPrices);
    expect(byTask.ingest_all_dcf!.rowsUpdated).toBe(expectedDcf);
    expect(byTask.get_russell_2000_list!.rowsUpdated).toBeGreaterThan(0);
    expect(Object.keys(rows[0]!).sort()).toEqual(
      [
        'completedAt',
        'durationSeconds',
        'errorMessage',
        'metadata',
        'rowsUpdated',
        'startedAt',
        'status',
        'taskName',
      ].sort(),
    );
    const counts = await withDb(async (db) => ({
      prices: Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM stock_prices'))[0]!.n),
      dcf: Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM dcf_valuations'))[0]!.n),
      tickers: (
        await db.query<{ ticker: string }>('SELECT ticker FROM tickers WHERE active ORDER BY ticker')
      ).map((r) => r.ticker),
    }));
    expect(counts).toEqual({ prices: expectedPrices, dcf: expectedDcf, tickers: [...universe].sort() });
  });

  it('status prints a table, and status --check passes on fresh data', async () => {
    const table = await run(['status']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/task\s+status\s+rows\s+error\s+completed\s+duration/);
    expect(table.stdout).toContain('ingest_market_data');
    const check = await run(['status', '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('healthy');
  });

  it('--tickers prices an explicit list for this run only and leaves the universe untouched', async () => {
    const listFile = path.join(dataDir, 'russell_2000_tickers_clean.txt');
    const listBefore = readFileSync(listFile, 'utf8');
    const before = await withDb((db) => db.query('SELECT * FROM tickers ORDER BY ticker'));
    const chosen = universe.slice(0, 2);
    const result = await run([
      'prices',
      '--tickers',
      chosen.join(','),
      '--from',
      '2024-04-01',
      '--to',
      '2024-04-05',
      ...client,
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
    expect(summary.tasks.map((t) => t.taskName)).toEqual(['ingest_market_data']);
    expect(summary.tasks[0]!.tickers).toBe(2);
    const expected = chosen.reduce(
      (n, s) => n + sandbox.market.bars(s, '2024-04-01', '2024-04-05').length,
      0,
    );
    expect(summary.tasks[0]!.rowsUpdated).toBe(expected);
    expect(await withDb((db) => db.query('SELECT * FROM tickers ORDER BY ticker'))).toEqual(before);
    expect(readFileSync(listFile, 'utf8')).toBe(listBefore);
  });

  it('a partial run exits 0 and says so loudly; under --strict it exits 1', async () => {
    sandbox.update({ faults: 'badrows=0.5' });
    try {
      // Fresh windows each time: a window recorded complete is skipped on a rerun (backfill bookkeeping).
      const prices = (from: string, to: string, ...more: string[]) =>
        run(['prices', '--from', from, '--to', to, '--failure-threshold', '1', ...client, ...more]);
      const lenient = await prices('2024-05-06', '2024-05-10');
      expect(lenient.code, lenient.stderr).toBe(0);
      expect(lenient.stderr).toMatch(/WARN {2}PARTIAL ingest_market_data: /);
      const strict = await prices('2024-05-13', '2024-05-17', '--strict');
      expect(strict.code).toBe(1);
      expect(strict.stderr).toMatch(/PARTIAL ingest_market_data/);
    } finally {
      sandbox.update({ faults: '' });
    }
  });

  it('exits 3 while another run holds the lock, and records nothing', async () => {
    const rowsBefore = await withDb((db) => db.query('SELECT id FROM sync_logs'));
    const holder = await backend.open();
    const lock = await tryAcquireRunLock(holder);
    expect(lock).not.toBeNull();
    try {
      const result = await sync();
      expect(result.code, result.stderr).toBe(3);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/another sync is running/);
    } finally {
      await lock!.release();
      await holder.close();
    }
    expect(await withDb((db) => db.query('SELECT id FROM sync_logs'))).toEqual(rowsBefore);
  });

  it('a wrong key fails the FMP tasks with exit 1, says why, and never prints the key', async () => {
    const wrongKey = 'wrong-key-5f3c9a1e77d2';
    const result = await run(
      ['sync', '--tasks', 'prices,dcf', '--from', '2024-06-03', '--to', '2024-06-07', ...client],
      {
        FMP_API_KEY: wrongKey,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
    expect(result.stderr).toMatch(/FAILED ingest_market_data/);
    const status = await run(['status', '--json']);
    const rows = JSON.parse(status.stdout) as {
      taskName: string;
      status: string;
      errorMessage: string | null;
    }[];
    for (const task of ['ingest_market_data', 'ingest_all_dcf']) {
      const row = rows.find((r) => r.taskName === task)!;
      expect(row.status).toBe('failed');
      expect(row.errorMessage).toMatch(/401|key|auth/i);
      expect(row.errorMessage).not.toContain(wrongKey);
    }
  });

  it('status --check exits 1 when a latest run failed', async () => {
    const check = await run(['status', '--check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/ingest_market_data\s+FAILED/);
    expect(check.stdout).toMatch(/UNHEALTHY: ingest_market_data, ingest_all_dcf/);
  });

  it('status --check exits 1 on stale data and 0 with a longer --max-age', async () => {
    const again = await sync();
    expect(again.code, again.stderr).toBe(0);
    expect((await run(['status', '--check'])).code).toBe(0);
    await withDb((db) =>
      db.query(
        "UPDATE sync_logs SET started_at = started_at - interval '3 days', completed_at = completed_at - interval '3 days'",
      ),
    );
    const stale = await run(['status', '--check', '--json']);
    expect(stale.code).toBe(1);
    const report = JSON.parse(stale.stdout) as { healthy: boolean; tasks: { state: string }[] };
    expect(report.healthy).toBe(false);
    expect(report.tasks.map((t) => t.state)).toEqual(['stale', 'stale', 'stale']);
    expect((await run(['status', '--check', '--max-age', '4d'])).code).toBe(0);
    expect((await run(['status', '--check', '--max-age', '4d', '--task', 'prices'])).code).toBe(0);
  });
});

describe('usage and configuration errors (the built CLI)', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-usage-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
  const oneLine = (text: string) => text.trim().split('\n');

  it('refuses an unknown flag with exit 2 and one line', async () => {
    const result = await run(['sync', '--day', '5']);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toEqual([
      'smartstock: unknown option --day for "smartstock sync" (did you mean --days?); run "smartstock sync --help" for the options',
    ]);
    expect(result.stdout).toBe('');
  });

  it('says how to set a missing FMP key, exit 2, before touching any database', async () => {
    const result = await run(['prices', '--json']);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(/FMP_API_KEY is not set: export FMP_API_KEY=/);
    expect(result.stdout).toBe('');
  });

  it('refuses a malformed DATABASE_URL with exit 2 without printing its password', async () => {
    const result = await run(['status'], { DATABASE_URL: 'mysql://root:hunter22@db:3306/x' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^smartstock: DATABASE_URL must be a postgresql:\/\//);
    expect(result.stderr).not.toContain('hunter22');
  });

  it('refuses an unknown command and a bad value with exit 2', async () => {
    expect((await run(['synk'])).code).toBe(2);
    const bad = await run(['sync', '--days', 'many'], { FMP_API_KEY: 'k' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--days must be a positive whole number');
  });

  it('prints help with the commands and exit codes', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['sync', 'tickers', 'prices', 'dcf', 'status', 'db', 'sandbox']) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain('Exit codes');
    const sync = await run(['sync', '--help']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('--tickers-source');
  });
});

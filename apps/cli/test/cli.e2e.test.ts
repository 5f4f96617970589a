import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tryAcquireRunLock } from '@smartstock/db';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { syncSummarySchema } from '@smartstock/ingest-core';
import { applyTestEmbeddedSettings } from '@smartstock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  BACKENDS,
  type Backend,
  createBackend,
  runCli,
  runInTerminal,
  screenWidth,
} from './helpers.js';

// A closed, holiday-free week: the expected rows do not depend on today's date.
const FROM = '2024-03-04';
const TO = '2024-03-08';
const ESC = '\u001b[';
const TASK_ORDER = ['get_russell_2000_list', 'ingest_market_data', 'ingest_all_dcf', 'check_data_quality'];
const COLOUR = /\u001b\[[0-9;]*m/;
const plain = (line: string) => line.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
const EVENT_LINE = /^\d\d:\d\d:\d\d (DEBUG|INFO |WARN |ERROR) /;

// Cases about the CLI's own output and exit codes rather than the database run on one backend (PostgreSQL
// when there is one): an embedded CLI process spends 1.4-4 s opening its database, and these cases start many.
const ONE_BACKEND = BACKENDS.at(-1);

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
    // Empty on purpose: the first case is a newcomer's first `sync`, which creates and migrates the embedded
    // database, and it checks every log line of that run (the migrations' line too). The other files start
    // from the migrated template.
    backend = await createBackend(name, dataDir, 'e2e', { start: 'empty' });
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

  it('syncs the universe, prices and DCF, then runs the data checks; --json is one document matching the summary schema', async () => {
    const result = await sync('--json');
    expect(result.stderr).not.toContain(ESC);
    expect(result.code, result.stderr).toBe(0);
    const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
    expect(summary.status).toBe('success');
    expect(summary.tasks.map((t) => [t.taskName, t.status])).toEqual([
      ['get_russell_2000_list', 'success'],
      ['ingest_market_data', 'success'],
      ['ingest_all_dcf', 'success'],
      ['check_data_quality', 'success'],
    ]);
    // The window is a week of 2024: tonight's checks read it, and every ticker has had no bar since.
    const quality = summary.tasks[3]!.quality!;
    expect(quality.since).toBe(FROM);
    expect(quality.findings.find((f) => f.check === 'stale')!.count).toBe(universe.length);
    // Every log line (stderr) is a plain timestamped line carrying this run's id.
    const lines = result.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR)/);
      expect(line).toContain(`runId=${summary.runId}`);
    }
    // The later cases open this database in some 25 CLI processes: from here on it has the template's test
    // settings (the newcomer's run above created it with PGlite's defaults, as a user's first run does).
    if (name === 'embedded') await withDb(applyTestEmbeddedSettings);
  });

  it("status --json then shows four successes with the expected row counts, and the data checks' findings", async () => {
    const result = await run(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as {
      taskName: string;
      status: string;
      rowsUpdated: number;
      metadata: { scope?: unknown };
      quality?: { total: number; findings: { check: string; count: number }[] };
    }[];
    // In run order (universe, prices, DCF, data checks), not alphabetical.
    expect(rows.map((r) => r.taskName)).toEqual(TASK_ORDER);
    const byTask = Object.fromEntries(rows.map((r) => [r.taskName, r]));
    // Each row says what the run covered and who started it.
    expect(byTask.get_russell_2000_list!.metadata.scope).toEqual({ universe: 'full', trigger: 'cli' });
    expect(byTask.ingest_market_data!.metadata.scope).toEqual({
      universe: 'full',
      window: { from: FROM, to: TO, backfill: true },
      trigger: 'cli',
    });
    expect(Object.keys(byTask).sort()).toEqual([
      'check_data_quality',
      'get_russell_2000_list',
      'ingest_all_dcf',
      'ingest_market_data',
    ]);
    expect(byTask.check_data_quality!.metadata.scope).toEqual({ universe: 'full', trigger: 'cli' });
    expect(byTask.check_data_quality!.quality).toEqual(
      (byTask.check_data_quality!.metadata as { quality?: unknown }).quality,
    );
    expect(byTask.check_data_quality!.quality!.findings.find((f) => f.check === 'stale')!.count).toBe(
      universe.length,
    );
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

  it("status prints a titled table in run order with each run's scope, and status --check passes on fresh data", async () => {
    const table = await run(['status']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toBe('Latest run of each task, in run order:');
    expect(lines[2]).toMatch(/^task\s+status\s+rows\s+completed\s+duration\s+scope\s+error$/);
    expect(lines.slice(4).map((l) => l.split(/\s+/)[0])).toEqual(TASK_ORDER);
    expect(lines[5]).toContain(`full, ${FROM}..${TO}, cli`);
    const check = await run(['status', '--check']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('healthy');
  });

  it('status --check stays healthy with data-check findings alone; --strict-quality makes them unhealthy, exit 1', async () => {
    const lenient = await run(['status', '--check', '--json']);
    expect(lenient.code, lenient.stdout + lenient.stderr).toBe(0);
    const report = JSON.parse(lenient.stdout) as {
      healthy: boolean;
      strictQuality: boolean;
      tasks: { taskName: string; healthy: boolean; state: string; reason: string; quality?: unknown }[];
    };
    expect(report).toMatchObject({ healthy: true, strictQuality: false });
    const quality = report.tasks.find((t) => t.taskName === 'check_data_quality')!;
    expect(quality).toMatchObject({
      healthy: true,
      state: 'findings',
      reason: expect.stringMatching(/found .*stale \d+.*\(healthy without --strict-quality\)$/),
      quality: { total: expect.any(Number) },
    });
    const strict = await run(['status', '--check', '--strict-quality']);
    expect(strict.code, strict.stdout + strict.stderr).toBe(1);
    expect(strict.stdout).toMatch(/check_data_quality\s+FINDINGS\s/);
    expect(strict.stdout).toMatch(/^UNHEALTHY: check_data_quality$/m);
    // The other tasks are judged as before: only the findings make the night unhealthy.
    const others = await run(['status', '--check', '--strict-quality', '--task', 'prices']);
    expect(others.code, others.stdout).toBe(0);
    const usage = await run(['status', '--strict-quality']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--strict-quality only applies to --check');
  });

  if (name === ONE_BACKEND) {
    it('on a terminal of 80 or 160 columns every event is one short line that never wraps; a rerun says it is up to date', async () => {
      const terminal = (columns: number, commands: string[][], extraEnv: Record<string, string> = {}) =>
        runInTerminal(
          commands.map((c) => [...c, '--data-dir', dataDir]),
          { cwd: dir, columns, env: { ...env, ...extraEnv } },
        );
      // A rerun of a stored, complete window changes nothing; the DCF task draws a progress bar; then status.
      const narrow = await terminal(80, [
        ['prices', '--from', FROM, '--to', TO, ...client],
        ['dcf', ...client],
        ['status'],
      ]);
      const wide = await terminal(160, [['dcf', ...client]], { NO_COLOR: '1' });
      for (const [columns, shown] of [
        [80, narrow],
        [160, wide],
      ] as const) {
        expect(shown.code, shown.text).toBe(0);
        const overflowing = shown.lines.filter((l) => screenWidth(l) >= columns);
        expect(overflowing, `lines as wide as ${columns} columns wrap`).toEqual([]);
        const events = shown.lines.map(plain).filter((l) => EVENT_LINE.test(l));
        expect(events.length).toBeGreaterThan(3);
        for (const line of events) {
          // A short run tag, key=value fields, no JSON blob, no full runId.
          expect(line).toMatch(/^\d\d:\d\d:\d\d \S+ +[0-9a-f]{8} /);
          expect(line).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
          expect(line).not.toContain('{"');
        }
        expect(events.filter((l) => l.includes('sync started'))).toHaveLength(shown === narrow ? 2 : 1);
        expect(shown.text).not.toContain('sync starting');
      }
      expect(narrow.text).toMatch(COLOUR);
      expect(wide.text).not.toMatch(COLOUR);
      expect(narrow.text).toContain('sync success: up to date: 0 rows changed');
      // At 160 columns the fields of "task finished" fit on its line.
      const finished = wide.lines.map(plain).find((l) => l.includes('task finished'));
      expect(finished).toMatch(/task=ingest_all_dcf status=success rowsUpdated=\d+ counts\.ok=\d+/);
      // The closing sentences: what ran, where the data is, what to try next.
      const closing = plain(narrow.text).replace(/\n {2}/g, ' ');
      expect(closing).toContain('Ran the prices task: it succeeded.');
      expect(closing).toContain(
        `The data is in ${name === 'embedded' ? 'the embedded database in data/db' : 'postgresql://'}`,
      );
      expect(closing).toContain(
        'Next: `smartstock status --data-dir data` shows the latest run of each task',
      );
      expect(closing).toContain('Latest run of each task, in run order:');
    }, 180_000);
  }

  it('status and status --check answer while a sync runs, instead of waiting or exiting 3', async () => {
    // The sync's universe download is held open until the status checks are done: they run mid-sync, always.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived!: () => void;
    const requested = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const gate = createServer((_req, res) => {
      arrived();
      void released.then(() => res.end(sandbox.market.holdingsCsv()));
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    const holdings = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/holdings.csv`;
    const running = run([
      'sync',
      '--tickers-source',
      holdings,
      '--min-tickers',
      '10',
      '--from',
      FROM,
      '--to',
      TO,
      ...client,
    ]);
    try {
      await Promise.race([
        requested,
        running.then((r) => {
          throw new Error(`the sync ended before it fetched the universe: ${r.stderr}`);
        }),
      ]);
      const recent = await run(['status', '--limit', '3', '--json']);
      expect(recent.code, recent.stderr).toBe(0);
      const rows = JSON.parse(recent.stdout) as {
        taskName: string;
        status: string;
        metadata: { scope: unknown };
      }[];
      expect(rows[0]).toMatchObject({ taskName: 'get_russell_2000_list', status: 'running' });
      expect(rows[0]!.metadata.scope).toEqual({ universe: 'full', trigger: 'cli' });
      const check = await run(['status', '--check']);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(check.stdout).toMatch(/healthy$/m);
      for (const answer of [recent, check]) {
        if (name === 'embedded') {
          // PGlite is one process's database: the running sync answers for it.
          expect(answer.stderr).toMatch(
            /a sync is running \(process \d+, run [0-9a-f]{8}\) and holds the embedded database: it answers this status/,
          );
        } else {
          expect(answer.stderr).toBe('');
        }
      }
    } finally {
      release();
    }
    const done = await running;
    gate.close();
    expect(done.code, done.stderr).toBe(0);
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

  if (name === ONE_BACKEND) {
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
  }

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

  it('a wrong key fails the FMP tasks with exit 1, says why, and never prints the key, in JSON log lines too', async () => {
    const wrongKey = 'wrong-key-5f3c9a1e77d2';
    const result = await run(
      [
        'sync',
        '--tasks',
        'prices,dcf',
        '--from',
        '2024-06-03',
        '--to',
        '2024-06-07',
        ...client,
        '--log-format',
        'json',
      ],
      {
        FMP_API_KEY: wrongKey,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
    // --log-format json: every stderr line is one object with the run's full detail.
    const entries = result.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const entry of entries) {
      expect(Object.keys(entry)).toEqual(['time', 'level', 'message', 'runId', 'task', 'fields']);
      expect(entry.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
    const finished = entries.find((e) => e.message === 'task finished' && e.task === 'ingest_market_data');
    expect(finished?.fields).toMatchObject({ status: 'failed', counts: expect.any(Object) });
    expect(
      entries.some((e) => e.level === 'error' && /^FAILED ingest_market_data: /.test(String(e.message))),
    ).toBe(true);
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

  if (name === ONE_BACKEND) {
    it('says the universe comes from iShares, not FMP, when its download fails, and how to give a file', async () => {
      // A download that fails at once: the universe URL setting pointed at a closed loopback port.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const result = await run(['tickers'], {
        SMARTSTOCK_UNIVERSE_URL: `http://127.0.0.1:${port}/IWM_holdings.csv`,
      });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(
        /ERROR FAILED get_russell_2000_list: cannot read the universe source http:\/\/127\.0\.0\.1:\d+\/IWM_holdings\.csv: /,
      );
      expect(result.stderr).toContain(
        "WARN  the universe (the Russell 2000 members) comes from iShares' holdings download, not from FMP " +
          '(FMP_BASE_URL does not apply to it): give a file instead with --tickers-source FILE (an IWM holdings CSV ' +
          'or one ticker a line), or save it as data/russell_2000_list.csv',
      );
    });
  }

  it('status --check exits 1 on stale data and 0 with a longer --max-age', async () => {
    const again = await sync();
    expect(again.code, again.stderr).toBe(0);
    // The summary has one line per data check with findings: every ticker's last bar is in 2024 (the tests
    // before stored a few later weeks of some tickers).
    expect(again.stdout).toContain(
      'The data checks found rows to look at (they never fail the run), check by check:',
    );
    expect(again.stdout).toMatch(
      new RegExp(
        `^  ${universe.length} stale tickers \\(no new bar for 3 sessions or more\\): \\S+: last bar 2024-\\d\\d-\\d\\d; `,
        'm',
      ),
    );
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
    // The repair never ran (a backfill leaves it out): no fault, whatever the age of the others.
    expect(report.tasks.map((t) => t.state)).toEqual(['stale', 'stale', 'never', 'stale', 'stale']);
    expect((await run(['status', '--check', '--max-age', '4d'])).code).toBe(0);
    expect((await run(['status', '--check', '--max-age', '4d', '--task', 'prices'])).code).toBe(0);
  });

  if (name === ONE_BACKEND) {
    it('a run of a few --tickers neither passes nor fails status --check unless --include-adhoc, and status shows its scope', async () => {
      // Every recorded run is 3 days old now (previous test): the full-universe prices run is stale.
      const few = universe.slice(0, 2);
      const prices = (tickers: string[], from: string, to: string, extraEnv: Record<string, string> = {}) =>
        run(['prices', '--tickers', tickers.join(','), '--from', from, '--to', to, ...client], extraEnv);
      const fresh = await prices(few, '2024-07-01', '2024-07-05');
      expect(fresh.code, fresh.stderr).toBe(0);
      const notFooled = await run(['status', '--check', '--task', 'prices', '--json']);
      expect(notFooled.code, notFooled.stdout).toBe(1);
      const judged = (JSON.parse(notFooled.stdout) as { tasks: { state: string; scope: unknown }[] })
        .tasks[0];
      expect(judged).toMatchObject({ state: 'stale', scope: { universe: 'full' } });
      const counted = await run(['status', '--check', '--task', 'prices', '--include-adhoc']);
      expect(counted.code, counted.stdout).toBe(0);
      expect(counted.stdout).toContain('Judged: every run, ad hoc ones included.');

      const failing = await prices([few[0]!], '2024-07-08', '2024-07-12', {
        FMP_API_KEY: 'wrong-key-0c1d2e3f',
      });
      expect(failing.code).toBe(1);
      const stillHealthy = await run(['status', '--check', '--task', 'prices', '--max-age', '4d']);
      expect(stillHealthy.code, stillHealthy.stdout).toBe(0);
      expect(stillHealthy.stdout).toContain(
        'Judged: full-universe runs only (--include-adhoc also counts runs of a few --tickers).',
      );
      const table = await run(['status', '--task', 'prices', '--limit', '2']);
      expect(table.stdout).toMatch(
        /ingest_market_data\s+failed\s+0\s.*\s1 ticker, 2024-07-08\.\.2024-07-12, cli\s/,
      );
      expect(table.stdout).toMatch(
        /ingest_market_data\s+success\s+\d+\s.*\s2 tickers, 2024-07-01\.\.2024-07-05, cli/,
      );
    });
  }
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
    expect(oneLine(result.stderr)).toEqual([
      'smartstock: DATABASE_URL must be a PostgreSQL URL such as postgresql://app@db.example.com:5432/prod (with :password after the user if it needs one); unset it to use the embedded database',
    ]);
    expect(result.stderr).not.toContain('hunter22');
  });

  it('refuses an unknown command and a bad value with exit 2', async () => {
    expect((await run(['synk'])).code).toBe(2);
    const bad = await run(['sync', '--days', 'many'], { FMP_API_KEY: 'k' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--days must be a whole number of calendar days');
  });

  it('prints help with the commands and exit codes', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['sync', 'tickers', 'prices', 'dcf', 'status', 'audit', 'db', 'sandbox']) {
      expect(result.stdout).toContain(command);
    }
    expect(result.stdout).toContain('Exit codes');
    const sync = await run(['sync', '--help']);
    expect(sync.code).toBe(0);
    expect(sync.stdout).toContain('--tickers-source');
  });
});

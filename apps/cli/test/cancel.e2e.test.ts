import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@smartstock/db';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { seedEmbeddedDataDir } from '@smartstock/testkit';
import { TEST_NODE_FLAGS } from '@smartstock/testkit/node-flags';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers.js';

// A signal in the middle of a sync, sent the moment the prices task reports progress (never after a sleep):
// the run stops cleanly, says so, and leaves a database the next run uses as if nothing happened.

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const WRAPPER = fileURLToPath(new URL('../../../scripts/smartstock.mjs', import.meta.url));

interface Interrupted {
  code: number | null;
  stderr: string;
  stdout: string;
}

/** Starts `command`, sends `signal` once stderr shows the prices task's first progress line, waits for the exit. */
function interruptDuringPrices(
  command: string[],
  options: { cwd: string; env: Record<string, string>; signal: NodeJS.Signals },
): Promise<Interrupted> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TEST_NODE_FLAGS, ...command], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (!sent && /prices progress \d+\/\d+/.test(stderr)) {
        sent = true;
        child.kill(options.signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('a signal in the middle of a sync (the built CLI, embedded database)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let env: Record<string, string>;
  const client = ['--rpm', '0', '--retry-base-ms', '1', '--timeout-ms', '10000', '--concurrency', '2'];

  beforeAll(async () => {
    assertBuilt();
    // Slow answers and two calls in flight: the prices task is still running when the signal lands.
    sandbox = await startSandbox({ tickers: 120, seed: 5, latencyMs: 40 });
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-cancel-'));
    env = { FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url };
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const syncArgs = (dataDir: string, from: string, to: string) => [
    'sync',
    '--data-dir',
    dataDir,
    '--tickers-source',
    sandbox.holdingsUrl,
    '--min-tickers',
    '10',
    '--from',
    from,
    '--to',
    to,
    ...client,
  ];

  /**
   * A data directory of its own per case, holding a migrated embedded database (testkit's template): the signal
   * lands in the prices task, long after a first run would have created the database, so creating one each
   * time (about 3.5 CPU-seconds) tested nothing here.
   */
  const migratedDataDir = (name: string) => seedEmbeddedDataDir(path.join(dir, name));

  async function rows(dataDir: string) {
    const db = await createDatabase({ dataDir });
    try {
      return await db.query<{
        task_name: string;
        status: string;
        error_message: string | null;
        done: boolean;
      }>(
        `SELECT task_name, status, error_message, completed_at IS NOT NULL AS done FROM sync_logs ORDER BY id`,
      );
    } finally {
      await db.close();
    }
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s stops the run cleanly: exit %i, the prices row failed with the reason, DCF not run, no failed ticker, and the next sync runs',
    async (signal, exitCode) => {
      const dataDir = await migratedDataDir(signal);
      const stopped = await interruptDuringPrices([CLI, ...syncArgs(dataDir, '2024-03-04', '2024-03-08')], {
        cwd: dir,
        env,
        signal,
      });
      expect(stopped.code, stopped.stderr).toBe(exitCode);
      expect(stopped.stderr).toContain(
        `the run was cancelled by ${signal}; not run: ingest_all_dcf, check_data_quality;`,
      );
      expect(stopped.stderr).not.toMatch(/prices progress 120\/120/);
      expect(await rows(dataDir)).toEqual([
        { task_name: 'get_russell_2000_list', status: 'success', error_message: null, done: true },
        {
          task_name: 'ingest_market_data',
          status: 'failed',
          error_message: `cancelled by ${signal}`,
          done: true,
        },
      ]);
      // Nothing was a ticker's failure: failed_ingestion.log has no line for the cancel.
      const failedLog = (() => {
        try {
          return readFileSync(path.join(dataDir, 'failed_ingestion.log'), 'utf8');
        } catch {
          return '';
        }
      })();
      expect(failedLog).toBe('');

      const next = await runCli(syncArgs(dataDir, '2024-03-04', '2024-03-08'), { cwd: dir, env });
      expect(next.code, next.stderr).toBe(0);
      expect((await rows(dataDir)).slice(2).map((r) => [r.task_name, r.status])).toEqual([
        ['get_russell_2000_list', 'success'],
        ['ingest_market_data', 'success'],
        ['ingest_all_dcf', 'success'],
        ['check_data_quality', 'success'],
      ]);
    },
  );

  it('through `pnpm smartstock`, a Ctrl-C to the whole process group exits 130 with the CLI and leaves no process behind', async () => {
    const dataDir = await migratedDataDir('pnpm');
    const repo = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn('pnpm', ['smartstock', ...syncArgs(dataDir, '2024-05-06', '2024-05-10')], {
      cwd: repo,
      // Its own process group, as a terminal gives a command line: the Ctrl-C goes to every process in it.
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        NO_COLOR: '1',
        INIT_CWD: dir,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    let cliGroups: number[] = [];
    child.stdout!.resume();
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (!sent && /prices progress \d+\/\d+/.test(stderr)) {
        sent = true;
        cliGroups = spawnSync('ps', ['-eo', 'pgid=,args='], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter((line) => line.includes('cli/dist/cli.js') && line.includes(dataDir))
          .map((line) => Number(line.trim().split(/\s+/)[0]));
        process.kill(-child.pid!, 'SIGINT');
      }
    });
    // pnpm passes the CLI's end on by re-raising SIGINT on itself: a shell shows 128 + 2 = 130 either way.
    const code = await new Promise<number | null>((resolve) =>
      child.on('close', (c, signal) => resolve(c ?? (signal === 'SIGINT' ? 130 : null))),
    );
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('the run was cancelled by SIGINT');
    // The CLI ran in a process group of its own, so the Ctrl-C reached it once, forwarded by the wrapper: in the
    // terminal's group it came twice, and on a busy machine the late copy counted as a second Ctrl-C.
    expect(cliGroups).toHaveLength(1);
    expect(cliGroups[0]).not.toBe(child.pid);
    const left = spawnSync('ps', ['-o', 'pid=', '-g', String(child.pid)], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
    // The CLI itself runs in a group of its own (see scripts/smartstock.mjs): no process still names its data dir.
    const cliLeft = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((line) => line.includes(dataDir));
    expect(cliLeft).toEqual([]);
    expect((await rows(dataDir)).every((r) => r.done)).toBe(true);
  });

  it("through the repository's smartstock command, a SIGTERM to the wrapper alone reaches the CLI and its exit code comes back", async () => {
    const dataDir = await migratedDataDir('wrapper');
    const stopped = await interruptDuringPrices([WRAPPER, ...syncArgs(dataDir, '2024-04-01', '2024-04-05')], {
      cwd: dir,
      env,
      signal: 'SIGTERM',
    });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toContain('the run was cancelled by SIGTERM');
    expect((await rows(dataDir)).every((r) => r.done && r.status !== 'running')).toBe(true);
  });
});

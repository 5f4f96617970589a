import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { seedEmbeddedDataDir } from '@smartstock/testkit';
import { TEST_NODE_FLAGS } from '@smartstock/testkit/node-flags';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli } from './helpers.js';

// Prisma Studio on the embedded default, as a user opens it: `smartstock db studio`, then the page in a real
// browser (Debian's chromium, headless). Studio's pool of connections on the one served PGlite session failed
// one load in two ("Could not load schema metadata"); three loads in a row must all list the tables and show
// the sync_logs rows.

const run = promisify(execFile);

/** Debian's chromium: installed here when missing (`.ci/run` installs it too), never skipped. */
function chromium(): string {
  if (spawnSync('chromium', ['--version'], { stdio: 'ignore' }).status === 0) return 'chromium';
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const install = spawnSync(
    sudo[0] ?? 'apt-get',
    [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', 'chromium'],
    { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
  );
  if (install.status !== 0) throw new Error('chromium is needed for this test: apt-get install chromium');
  return 'chromium';
}

async function dumpDom(browser: string, url: string): Promise<string> {
  const { stdout } = await run(
    browser,
    ['--headless=new', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=15000', '--dump-dom', url],
    { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
  );
  return stdout;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('Prisma Studio on the embedded database (the built CLI, headless chromium)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let browser: string;

  beforeAll(async () => {
    assertBuilt();
    browser = chromium();
    sandbox = await startSandbox({ tickers: 20, seed: 9 });
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-studio-'));
    // Studio on a database with rows, not a first run: the embedded database starts migrated (testkit's template).
    await seedEmbeddedDataDir(path.join(dir, 'data'));
    const synced = await runCli(
      [
        'sync',
        '--data-dir',
        path.join(dir, 'data'),
        '--tickers-source',
        sandbox.holdingsUrl,
        '--min-tickers',
        '10',
        '--from',
        '2024-03-04',
        '--to',
        '2024-03-08',
        '--rpm',
        '0',
      ],
      { cwd: dir, env: { FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url } },
    );
    expect(synced.code, synced.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints its URL and the ssh tunnel, loads the tables and the sync_logs rows three times in three, and leaves nothing running', async () => {
    const studio: ChildProcess = spawn(
      process.execPath,
      [...TEST_NODE_FLAGS, CLI, 'db', 'studio', '--data-dir', path.join(dir, 'data')],
      {
        cwd: dir,
        // No DISPLAY and no xdg-open: a headless machine, where Studio's own browser start used to crash.
        env: { PATH: '/usr/bin:/bin', HOME: dir, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    studio.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    studio.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => studio.on('close', (code) => resolve(code)));
    try {
      // Studio answers once its port is open; the CLI printed the URL before starting it.
      let port = 0;
      for (let i = 0; i < 600 && port === 0; i++) {
        const match = /Prisma Studio: http:\/\/localhost:(\d+)/.exec(stdout);
        if (match && (await portOpen(Number(match[1])))) port = Number(match[1]);
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(port, stdout + stderr).toBeGreaterThan(0);
      expect(stdout).toMatch(
        new RegExp(`ssh -N -L ${port}:127\\.0\\.0\\.1:${port} \\S+@\\S+, then open http://localhost:${port}`),
      );

      // Each load is a new browser on the sync_logs table's page: its sidebar lists every table (Studio
      // loaded the schema) and its grid shows the rows (Studio ran a query), so one page checks both.
      for (let load = 1; load <= 3; load++) {
        const page = await dumpDom(
          browser,
          `http://localhost:${port}/#table=sync_logs&schema=public&view=table`,
        );
        expect(page, `load ${load}`).not.toContain('Could not load');
        for (const table of ['dcf_valuations', 'stock_prices', 'sync_logs', 'tickers']) {
          expect(page, `load ${load}: ${table}`).toContain(`#table=${table}&amp;schema=public`);
        }
        for (const task of ['get_russell_2000_list', 'ingest_market_data', 'ingest_all_dcf']) {
          expect(page, `load ${load}: the ${task} row`).toContain(task);
        }
      }
      expect(stderr).not.toContain('xdg-open');
    } finally {
      studio.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const port = Number(/localhost:(\d+)/.exec(stdout)![1]);
    expect(await portOpen(port)).toBe(false);
  });
});

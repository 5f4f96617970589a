import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, type CliResult, runCli } from './helpers.js';

// What a newcomer meets before any database exists: every case here stops before opening one (exit 2), so
// the file needs no database and stays cheap. Each message names the setting and the fix on one line.

/** `scripts/smartstock.mjs`, the `smartstock` command of the repository (README). */
const BIN = fileURLToPath(new URL('../../../scripts/smartstock.mjs', import.meta.url));
const ESCAPE = /\u001b\[/;

/** A loopback port nothing listens on: taken, then freed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('what a newcomer meets first (the built CLI, no database)', () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-newcomer-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env });
  const lines = (result: CliResult) => result.stderr.trim().split('\n');

  it('names the setting, not "Invalid URL", when DATABASE_URL or FMP_BASE_URL does not parse, exit 2', async () => {
    const database = await run(['status'], { DATABASE_URL: 'not-a-url' });
    expect(database.code).toBe(2);
    expect(lines(database)).toHaveLength(1);
    expect(database.stderr).toMatch(
      /^smartstock: DATABASE_URL must be a PostgreSQL URL such as postgresql:\/\//,
    );
    const fmp = await run(['prices'], { FMP_API_KEY: 'k3y-6d5e4f', FMP_BASE_URL: 'not-a-url' });
    expect(fmp.code).toBe(2);
    expect(lines(fmp)).toEqual([
      'smartstock: FMP_BASE_URL must be an origin such as https://financialmodelingprep.com (no path) (got "not-a-url")',
    ]);
    expect(database.stderr + fmp.stderr).not.toMatch(/Invalid URL/);
  });

  it('shows a database that refuses the connection with only its password masked, and how to fix it, exit 2', async () => {
    const port = await closedPort();
    const password = 'pw-7a8b9c0d';
    const result = await run(['status'], {
      DATABASE_URL: `postgresql://app:${password}@127.0.0.1:${port}/prod`,
    });
    expect(result.code).toBe(2);
    expect(lines(result)).toEqual([
      `smartstock: DATABASE_URL: cannot connect to postgresql://app:***@127.0.0.1:${port}/prod: nothing listens on ` +
        `127.0.0.1:${port} (connection refused): start PostgreSQL there or fix the host and port in DATABASE_URL, ` +
        'or unset DATABASE_URL to use the embedded database',
    ]);
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  // A server that lacks the database: TEST_DATABASE_URL names a server (the CI's); locally without one the
  // refused port above is the case that runs.
  const server = process.env.TEST_DATABASE_URL;
  if (server) {
    it('says to create a database that does not exist, or to unset DATABASE_URL, exit 2', async () => {
      const url = new URL(server);
      url.password = 'pw-1e2f3a4b';
      url.pathname = '/does_not_exist_smartstock';
      const result = await run(['status', '--check'], { DATABASE_URL: url.toString() });
      expect(result.code).toBe(2);
      expect(lines(result)).toHaveLength(1);
      expect(result.stderr).toContain(
        `cannot connect to postgresql://${url.username}:***@${url.host}/does_not_exist_smartstock`,
      );
      expect(result.stderr).toContain(
        'database "does_not_exist_smartstock" does not exist on ' +
          `${url.hostname}:${url.port || '5432'}: create it (createdb "does_not_exist_smartstock"`,
      );
      expect(result.stderr).toContain('or unset DATABASE_URL to use the embedded database');
      expect(result.stderr).not.toContain('pw-1e2f3a4b');
    });
  }

  it('status where there is no database says so and how to point at one, exit 2, and creates nothing', async () => {
    for (const args of [['status'], ['status', '--check', '--json']]) {
      const result = await run(args);
      expect(result.code, result.stderr).toBe(2);
      expect(lines(result)).toEqual([
        'smartstock: no database at data/db: run this where the data directory is, or point at it with ' +
          '--data-dir DIR (or SMARTSTOCK_DATA_DIR), or set DATABASE_URL for PostgreSQL; `smartstock sync` creates one',
      ]);
      expect(result.stdout).toBe('');
    }
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('a universe file that is not there is refused with its path, exit 2, before anything is created', async () => {
    const missing = await run(['tickers', 'holdings-typo.csv']);
    expect(missing.code).toBe(2);
    expect(lines(missing)).toEqual([
      `smartstock: the SOURCE argument: cannot read the universe source ${path.join(dir, 'holdings-typo.csv')}: ` +
        'no such file; give the path of an iShares holdings CSV or of a list (one ticker a line), or leave it ' +
        "out to use data/russell_2000_list.csv or iShares' download",
    ]);
    const flag = await run(['sync', '--sandbox', '--tickers-source', 'nowhere/list.txt']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(
      /^smartstock: --tickers-source: cannot read the universe source .*nowhere\/list\.txt: no such file;/,
    );
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('a fund that is not an iShares fund it knows is refused, naming the ones it does, exit 2', async () => {
    const result = await run(['tickers', '--sandbox', '--fund', 'spy']);
    expect(result.code).toBe(2);
    expect(lines(result).at(-1)).toMatch(/--fund must be one of IWM, IWB, IWV, IJR, IJH \(got "spy"\)/);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
  });

  it('help has no colour codes when piped, even without NO_COLOR, and the sandbox help looks like the others', async () => {
    const help = await run(['--help'], { NO_COLOR: '' });
    expect(help.code).toBe(0);
    expect(help.stdout).not.toMatch(ESCAPE);
    expect(help.stdout).toMatch(/^USAGE smartstock /m);
    const sandbox = await run(['sandbox', '--help'], { NO_COLOR: '' });
    expect(sandbox.code).toBe(0);
    expect(sandbox.stdout).not.toMatch(ESCAPE);
    expect(sandbox.stdout).toMatch(/^USAGE smartstock sandbox \[OPTIONS\]/m);
    expect(sandbox.stdout).toMatch(/--latency-ms=<ms>/);
    expect(sandbox.stdout).not.toContain('fmp-sandbox');
    const bad = await run(['sandbox', '--plan', 'gold']);
    expect(bad.code).toBe(2);
    expect(lines(bad)).toEqual([
      'smartstock: --plan must be starter, premium or ultimate, got "gold"; run "smartstock sandbox --help" for the options',
    ]);
  });

  it('--log-format json writes even the last error as one JSON line; an unknown format is a usage error', async () => {
    const json = await run(['status', '--log-format', 'json']);
    expect(json.code).toBe(2);
    const entries = lines(json).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      level: 'error',
      message: expect.stringMatching(/^smartstock: no database at data\/db: /),
      runId: null,
      task: null,
      fields: { exitCode: 2 },
    });
    const bad = await run(['status', '--log-format=yaml']);
    expect(bad.code).toBe(2);
    expect(lines(bad)).toEqual(['smartstock: --log-format must be text or json (got "yaml")']);
  });

  it("the repository's smartstock command adds no line of its own and passes the exit code through", async () => {
    const result = await new Promise<CliResult>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'synk'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'smartstock: unknown command "synk"; commands: sync, tickers, prices, repair, dcf, status, audit, db, sandbox\n',
    );
  });
});

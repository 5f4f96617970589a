import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDatabase, type Database } from '@smartstock/db';
import { seedEmbeddedDataDir } from '@smartstock/testkit';
import { TEST_NODE_FLAGS } from '@smartstock/testkit/node-flags';

/** The BUILT CLI: tests run what users run (turbo builds it before `test`). */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`pnpm --filter @smartstock/cli build\` first`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `node dist/cli.js ...args` with ONLY the given environment (plus PATH), so the developer's own
 * DATABASE_URL, FMP_API_KEY or INIT_CWD (pnpm sets it for the test run itself) cannot leak in.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TEST_NODE_FLAGS, CLI, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Backend {
  name: 'embedded' | 'postgres';
  /** Env for the CLI: DATABASE_URL for PostgreSQL, nothing for embedded (it uses --data-dir). */
  env: Record<string, string>;
  /** Opens the same database from the test process (embedded: only while no CLI holds it). */
  open(): Promise<Database>;
  dispose(): Promise<void>;
}

const adminUrl = process.env.TEST_DATABASE_URL;

/** Which backends run: always embedded; PostgreSQL when TEST_DATABASE_URL is set (said plainly in the log). */
export const BACKENDS: Backend['name'][] = adminUrl ? ['embedded', 'postgres'] : ['embedded'];
if (!adminUrl)
  console.info('[cli tests] TEST_DATABASE_URL not set: PostgreSQL backend not run, embedded only');

/**
 * How an embedded data directory starts. `migrated`: a copy of the run's migrated template in `<dataDir>/db`
 * (@smartstock/testkit), so the CLI opens it as it opens a database an earlier night created; creating one
 * (PGlite's initdb and every migration) costs a CLI process about 3.5 CPU-seconds, which most cases spent on
 * nothing they check. `empty`: nothing there, for the cases whose behaviour is that first run.
 */
export type EmbeddedStart = 'migrated' | 'empty';

/** A fresh database per test file: a new PostgreSQL database, or a new data directory. */
export async function createBackend(
  name: Backend['name'],
  dataDir: string,
  label: string,
  embedded: { start: EmbeddedStart },
): Promise<Backend> {
  if (name === 'embedded') {
    if (embedded.start === 'migrated') await seedEmbeddedDataDir(dataDir);
    return {
      name,
      env: {},
      open: () => createDatabase({ dataDir }),
      dispose: async () => undefined,
    };
  }
  // A unique name only: no date or duration is derived from it.
  const dbName = `smartstock_cli_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = await createDatabase({ url: adminUrl! });
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.close();
  const url = new URL(adminUrl!);
  url.pathname = `/${dbName}`;
  return {
    name,
    env: { DATABASE_URL: url.toString() },
    open: () => createDatabase({ url: url.toString() }),
    dispose: async () => {
      const a = await createDatabase({ url: adminUrl! });
      await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await a.close();
    },
  };
}

/** What a terminal showed: each physical line, escape codes kept, the progress bar's redraws collapsed. */
export interface TerminalResult {
  code: number | null;
  /** Everything written to the terminal (stdout and stderr share it), with `\r\n` turned into `\n`. */
  text: string;
  /** The lines as they stay on screen: for a line redrawn with `\r`, what follows the last `\r`. */
  lines: string[];
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI on a pseudo-terminal of `columns` columns (util-linux `script`), so that it sees a TTY
 * with that width exactly as a user's terminal. Several command lines run one after the other in the same
 * terminal; the result's code is the last one's.
 */
export function runInTerminal(
  commands: string[][],
  options: { env?: Record<string, string>; cwd: string; columns: number },
): Promise<TerminalResult> {
  const script = [
    `stty cols ${options.columns} rows 50`,
    ...commands.map((args) => [process.execPath, ...TEST_NODE_FLAGS, CLI, ...args].map(quote).join(' ')),
  ].join('; ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', script, '/dev/null'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', TERM: 'xterm-256color', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = out.replace(/\r\n/g, '\n');
      const lines = text.split('\n').map((l) => l.slice(l.lastIndexOf('\r') + 1));
      resolve({ code, text, lines });
    });
  });
}

const ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Columns a line takes on screen (escape codes take none). */
export function screenWidth(line: string): number {
  return [...line.replace(ESCAPES, '')].length;
}

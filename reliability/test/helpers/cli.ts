import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TEST_NODE_FLAGS } from '@smartstock/testkit/node-flags';

/**
 * The BUILT CLI, found through the workspace (turbo builds it before `test:reliability`): the suite runs what
 * users run. RELIABILITY_CLI / RELIABILITY_NODE_OPTIONS point it elsewhere while developing (for example at
 * apps/cli/src/cli.ts with a TypeScript loader and `--conditions=@smartstock/source`).
 */
export const CLI_PATH =
  process.env.RELIABILITY_CLI ??
  join(dirname(createRequire(import.meta.url).resolve('@smartstock/cli/package.json')), 'dist', 'cli.js');
const NODE_OPTIONS = [
  ...TEST_NODE_FLAGS,
  ...(process.env.RELIABILITY_NODE_OPTIONS ?? '').split(' ').filter(Boolean),
];

export function assertCliBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: run \`pnpm turbo run build --filter=@smartstock/cli...\` first`);
  }
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once the stderr text so far satisfies `test`; rejects if the process ends first or on timeout. */
  waitForStderr(test: (stderr: string) => boolean, timeoutMs?: number): Promise<void>;
  readonly done: Promise<CliResult>;
}

/**
 * Spawns `node dist/cli.js ...args` with ONLY the given environment (plus PATH): the developer's own
 * DATABASE_URL, FMP_API_KEY or INIT_CWD cannot leak in. The cwd is a scratch folder, so no `.env` is read.
 */
export function startCli(args: string[], options: { env?: Record<string, string>; cwd: string }): CliProcess {
  const child = spawn(process.execPath, [...NODE_OPTIONS, CLI_PATH, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', TZ: 'UTC', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    for (const w of waiters) w();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal, stdout, stderr });
    });
  });
  let exited = false;
  void done.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => stdout,
    stderr: () => stderr,
    done,
    waitForStderr(test, timeoutMs = 120_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for the CLI's output; stderr so far:\n${stderr}`));
        }, timeoutMs);
        const check = () => {
          if (test(stderr)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (exited || child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`the CLI ended before the awaited output; stderr:\n${stderr}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd: string },
): Promise<CliResult> {
  return startCli(args, options).done;
}

/** The last `prices progress N/M` line the CLI printed (plain, non-TTY output), or null. */
export function lastProgress(stderr: string, task = 'prices'): { done: number; total: number } | null {
  const matches = [...stderr.matchAll(new RegExp(`${task} progress (\\d+)/(\\d+)`, 'g'))];
  const last = matches.at(-1);
  return last ? { done: Number(last[1]), total: Number(last[2]) } : null;
}

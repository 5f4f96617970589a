import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
// By path, not by package: @smartstock/testkit depends on this package.
import { TEST_NODE_FLAGS } from '../../../../tooling/testkit/src/node-flags.js';

const children = new Set<ChildProcessWithoutNullStreams>();
/** Kills the file's children still running (test/setup.ts, after each file; see disposeFileResources). */
export function killChildren(): void {
  for (const child of children.values()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.delete(child);
  }
}

export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `predicate`. */
  line(predicate: (line: string) => boolean): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

export function runNode(script: string, args: string[]): Child {
  const child = spawn(process.execPath, [...TEST_NODE_FLAGS, script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters: { predicate: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const line of chunk.split('\n')) {
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    process: child,
    exit,
    line: (predicate) =>
      new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        exit.then(({ code, stdout: out, stderr: err }) =>
          reject(
            new Error(`child exited (${code}) before the expected line.\nstdout: ${out}\nstderr: ${err}`),
          ),
        );
      }),
  };
}

/** Parent side of the child processes: the sandbox server and one pipeline run. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  IntruderChildMessage,
  IntruderConfig,
  PipelineChildMessage,
  PipelineRunConfig,
  PipelineRunResult,
  RequestLog,
  SandboxChildMessage,
  SandboxOwnCounters,
  SandboxProcessOptions,
} from './protocol.js';

function childEntry(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * Forks a child with this process's own Node flags (`--import tsx` for the child's own entry file). Its
 * stdout goes to our stderr: stdout is reserved for the report. The pipeline child drops the
 * `@smartstock/source` condition: it runs the BUILT packages (dist/), as the CLI and the Action do, so its
 * CPU and memory are not those of an in-process TypeScript transpiler compiling the generated Prisma client.
 */
function forkChild(name: string, options: { built?: boolean } = {}): ChildProcess {
  const execArgv = options.built
    ? process.execArgv.filter((arg) => !arg.startsWith('--conditions'))
    : process.execArgv;
  return fork(childEntry(name), [], { stdio: ['ignore', 2, 2, 'ipc'], execArgv });
}

function nextMessage<T extends { type: string }>(child: ChildProcess, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      cleanup();
      const m = message as T & { message?: string };
      if (m.type === 'error') reject(new Error(`${what} failed: ${m.message}`));
      else resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what} exited before answering (code ${code}, signal ${signal})`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export interface SandboxProcess {
  url: string;
  apiKey: string;
  /** The sandbox's universe as FMP spells it. */
  symbols: string[];
  requestLog(): Promise<RequestLog>;
  /** The sandbox's own counters; `windowMs` asks for its max-requests-in-window as well. */
  counters(windowMs?: number): Promise<SandboxOwnCounters | null>;
  stop(): Promise<void>;
}

export async function startSandboxProcess(options: SandboxProcessOptions): Promise<SandboxProcess> {
  const child = forkChild('sandbox-process.ts');
  const ready = nextMessage<Extract<SandboxChildMessage, { type: 'ready' }>>(child, 'the sandbox process');
  child.send({ type: 'start', options });
  let r: Extract<SandboxChildMessage, { type: 'ready' }>;
  try {
    r = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const ask = (windowMs?: number) => {
    const answer = nextMessage<Extract<SandboxChildMessage, { type: 'log' }>>(child, 'the sandbox process');
    child.send(windowMs === undefined ? { type: 'log' } : { type: 'log', windowMs });
    return answer;
  };
  return {
    url: r.url,
    apiKey: r.apiKey,
    symbols: r.symbols,
    async requestLog() {
      return (await ask()).log;
    },
    async counters(windowMs?: number) {
      return (await ask(windowMs)).counters;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs the pipeline once in a fresh child process and returns what it measured. */
export async function runPipelineProcess(config: PipelineRunConfig): Promise<PipelineRunResult> {
  const child = forkChild('pipeline-process.ts', { built: true });
  const answer = nextMessage<PipelineChildMessage>(child, 'the pipeline process');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send({ type: 'run', config });
  try {
    const message = await answer;
    if (message.type !== 'done') throw new Error(`the pipeline process failed: ${message.message}`);
    return message.result;
  } finally {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** API requests only (the holdings file and anything else the sandbox serves are not FMP calls). */
export function apiRequests(log: RequestLog, from = 0): { starts: number[]; statuses: number[] } {
  const starts: number[] = [];
  const statuses: number[] = [];
  for (let i = from; i < log.starts.length; i++) {
    if (!log.paths[i]!.startsWith('/stable/')) continue;
    starts.push(log.starts[i]!);
    statuses.push(log.statuses[i]!);
  }
  return { starts, statuses };
}

export interface IntruderProcess {
  /** Stops it and returns what it sent. */
  stop(): Promise<{ requests: number; rateLimited: number; failed: number }>;
}

/** Starts another user of the key (see intruder-process.ts), running the built packages as the pipeline does. */
export async function startIntruderProcess(config: IntruderConfig): Promise<IntruderProcess> {
  const child = forkChild('intruder-process.ts', { built: true });
  const started = nextMessage<IntruderChildMessage>(child, 'the intruder process');
  child.send({ type: 'run', config });
  const first = await started;
  if (first.type !== 'started') throw new Error('the intruder process did not start');
  return {
    async stop() {
      const done = nextMessage<IntruderChildMessage>(child, 'the intruder process');
      child.send({ type: 'stop' });
      const message = await done;
      if (message.type !== 'done') throw new Error('the intruder process failed');
      return { requests: message.requests, rateLimited: message.rateLimited, failed: message.failed };
    },
  };
}

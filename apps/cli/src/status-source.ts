import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import type { SyncLogger, SyncLogRecord } from '@smartstock/sync-logger';
import { type QualityFindings, qualityOf } from './output.js';
import { TASK_NAMES } from './tasks.js';

/** The row shape `status --json` prints (issue 2 §6). */
export interface StatusRow {
  taskName: string;
  status: string;
  rowsUpdated: number;
  errorMessage: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationSeconds: number | null;
  metadata: Record<string, unknown> | null;
  /** check_data_quality rows: the checks' counts and first examples (also in `metadata.quality`). */
  quality?: QualityFindings | undefined;
}

export function toStatusRow(record: SyncLogRecord): StatusRow {
  const quality = qualityOf(record.metadata);
  return {
    taskName: record.taskName,
    status: record.status,
    rowsUpdated: record.rowsUpdated,
    errorMessage: record.errorMessage,
    startedAt: record.startedAt ? record.startedAt.toISOString() : null,
    completedAt: record.completedAt ? record.completedAt.toISOString() : null,
    durationSeconds: record.durationSeconds,
    metadata: record.metadata,
    ...(quality !== null ? { quality } : {}),
  };
}

/** Tasks in run order (universe, prices, DCF, data checks); rows other tools wrote under other names come last. */
export function inRunOrder<T extends { taskName: string }>(rows: readonly T[]): T[] {
  const rank = (name: string) => {
    const i = (TASK_NAMES as readonly string[]).indexOf(name);
    return i === -1 ? TASK_NAMES.length : i;
  };
  return [...rows].sort(
    (a, b) => rank(a.taskName) - rank(b.taskName) || a.taskName.localeCompare(b.taskName),
  );
}

/** What the health check needs of one task. */
export interface TaskHealthInput {
  /** The latest run the check judges (the latest finished one; a running one if none finished). */
  latest: StatusRow | null;
  /** The latest `success`/`partial` run the check judges. */
  lastGood: StatusRow | null;
}

/** Everything `status` reads: from the database, or from the running sync that holds the embedded one. */
export interface StatusSource {
  latestPerTask(): Promise<StatusRow[]>;
  recent(limit: number, taskName?: string): Promise<StatusRow[]>;
  health(taskName: string, includeAdhoc: boolean): Promise<TaskHealthInput>;
}

export function databaseStatusSource(logs: SyncLogger): StatusSource {
  return {
    async latestPerTask() {
      return inRunOrder((await logs.getLatestStatuses()).map(toStatusRow));
    },
    async recent(limit, taskName) {
      return (await logs.getRecent(limit, taskName ?? undefined)).map(toStatusRow);
    },
    async health(taskName, includeAdhoc) {
      const { latest, lastGood } = await logs.getHealthRows(taskName, { includeSubsetRuns: includeAdhoc });
      return {
        latest: latest ? toStatusRow(latest) : null,
        lastGood: lastGood ? toStatusRow(lastGood) : null,
      };
    },
  };
}

/**
 * The embedded database is one process's: while a sync runs, `status` cannot open it. The running sync
 * answers for it instead, over a loopback socket whose port and token it writes to this file (readable by
 * the owner only) for as long as it runs.
 */
export const RUNNING_SYNC_FILE = 'running-sync.json';

export interface RunningSync {
  pid: number;
  hostname: string;
  port: number;
  token: string;
  runId: string;
  startedAt: string;
}

type Method = keyof StatusSource;
const METHODS: readonly Method[] = ['latestPerTask', 'recent', 'health'];

/** Serves `source` to `status` processes; returns a stop function (also run when the process exits). */
export async function serveStatus(
  source: StatusSource,
  dataDir: string,
  runId: string,
): Promise<() => Promise<void>> {
  const token = randomBytes(16).toString('hex');
  const expected = Buffer.from(token);
  const server: Server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const end = buffer.indexOf('\n');
      if (end === -1) {
        if (buffer.length > 10_000) socket.destroy();
        return;
      }
      void answer(buffer.slice(0, end)).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
  });
  const answer = async (line: string): Promise<{ ok: boolean; result?: unknown; error?: string }> => {
    try {
      const request = JSON.parse(line) as { token?: unknown; method?: unknown; args?: unknown };
      const given = Buffer.from(String(request.token ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { ok: false, error: 'wrong token' };
      const method = METHODS.find((m) => m === request.method);
      if (!method) return { ok: false, error: 'unknown method' };
      const args = Array.isArray(request.args) ? request.args : [];
      const fn = source[method] as (...a: unknown[]) => Promise<unknown>;
      return { ok: true, result: await fn(...args) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // The server must not keep a finished run's process alive.
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const file = path.join(dataDir, RUNNING_SYNC_FILE);
  const info: RunningSync = {
    pid: process.pid,
    hostname: hostname(),
    port,
    token,
    runId,
    startedAt: new Date().toISOString(),
  };
  try {
    writeFileSync(file, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  } catch (error) {
    server.close();
    throw error;
  }
  const removeFile = () => {
    try {
      const current = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunningSync>;
      if (current.token === token) rmSync(file, { force: true });
    } catch {
      // Already gone or replaced by another run's: nothing of ours to remove.
    }
  };
  process.once('exit', removeFile);
  return async () => {
    process.off('exit', removeFile);
    removeFile();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** The running sync's answering address, or null when no live sync on this host wrote one. */
export function findRunningSync(dataDir: string): RunningSync | null {
  let info: Partial<RunningSync>;
  try {
    info = JSON.parse(readFileSync(path.join(dataDir, RUNNING_SYNC_FILE), 'utf8')) as Partial<RunningSync>;
  } catch {
    return null;
  }
  if (typeof info.port !== 'number' || typeof info.token !== 'string' || typeof info.pid !== 'number')
    return null;
  if (info.hostname !== hostname()) return null;
  return info as RunningSync;
}

/** A StatusSource that asks the running sync; each call is one request on a fresh loopback connection. */
export function runningSyncSource(running: RunningSync, timeoutMs = 30_000): StatusSource {
  const call = (method: Method, args: unknown[]) =>
    new Promise<unknown>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: running.port });
      let buffer = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(`the running sync (process ${running.pid}) did not answer within ${timeoutMs / 1000} s`),
        );
      }, timeoutMs);
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(`${JSON.stringify({ token: running.token, method, args })}\n`));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        try {
          const reply = JSON.parse(buffer) as { ok: boolean; result?: unknown; error?: string };
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`the running sync (process ${running.pid}) refused: ${reply.error}`));
        } catch {
          reject(
            new Error(`the running sync (process ${running.pid}) closed the connection without an answer`),
          );
        }
      });
    });
  return {
    latestPerTask: () => call('latestPerTask', []) as Promise<StatusRow[]>,
    recent: (limit, taskName) => call('recent', [limit, taskName]) as Promise<StatusRow[]>,
    health: (taskName, includeAdhoc) => call('health', [taskName, includeAdhoc]) as Promise<TaskHealthInput>,
  };
}

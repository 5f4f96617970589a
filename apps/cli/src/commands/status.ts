import type { Database } from '@smartstock/db';
import { SyncLogger, type SyncLogRecord } from '@smartstock/sync-logger';
import { resolveDatabaseConfig, secretsOf } from '../config.js';
import { type CliContext, openDatabase } from '../context.js';
import { formatAge, formatSeconds, parseDuration } from '../duration.js';
import { ConfigError, ExitCode } from '../errors.js';
import { renderTable } from '../output.js';
import { resolveTaskName, TASK_NAMES, type TaskName } from '../tasks.js';

export interface StatusFlags {
  'data-dir'?: unknown;
  json?: unknown;
  task?: unknown;
  limit?: unknown;
  check?: unknown;
  'max-age'?: unknown;
}

export const DEFAULT_MAX_AGE = '26h';

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
}

export function toStatusRow(record: SyncLogRecord): StatusRow {
  return {
    taskName: record.taskName,
    status: record.status,
    rowsUpdated: record.rowsUpdated,
    errorMessage: record.errorMessage,
    startedAt: record.startedAt ? record.startedAt.toISOString() : null,
    completedAt: record.completedAt ? record.completedAt.toISOString() : null,
    durationSeconds: record.durationSeconds,
    metadata: record.metadata,
  };
}

export async function statusCommand(cli: CliContext, flags: StatusFlags): Promise<number> {
  const task = typeof flags.task === 'string' ? parseTask(flags.task) : undefined;
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!/^\d+$/.test(String(flags.limit)) || limit < 1 || limit > 10_000) {
      throw new ConfigError(`--limit must be a whole number from 1 to 10000 (got "${flags.limit}")`);
    }
  }
  if (flags['max-age'] !== undefined && flags.check !== true) {
    throw new ConfigError('--max-age only applies to --check (e.g. status --check --max-age 26h)');
  }
  const maxAgeMs = parseDuration(typeof flags['max-age'] === 'string' ? flags['max-age'] : DEFAULT_MAX_AGE);
  const dbConfig = resolveDatabaseConfig(cli.start, flags);
  const secrets = secretsOf({ databaseUrl: dbConfig.url });
  cli.reporter.addSecrets(secrets);
  const db = await openDatabase(cli, flags);
  try {
    const logs = new SyncLogger(db, { logger: cli.reporter.logger(), secrets });
    if (flags.check === true)
      return await healthCheck(cli, db, logs, { task, maxAgeMs, json: flags.json === true });
    let records: SyncLogRecord[];
    if (limit !== undefined) {
      records = await logs.getRecent(limit, task);
    } else if (task) {
      const latest = await logs.getLatestSyncStatus(task);
      records = latest ? [latest] : [];
    } else {
      records = await logs.getLatestStatuses();
    }
    const rows = records.map(toStatusRow);
    if (flags.json === true) {
      cli.reporter.out(JSON.stringify(rows, null, 2));
    } else if (rows.length === 0) {
      cli.reporter.out(
        'No runs recorded yet: run `smartstock sync` (or `smartstock sync --sandbox` to try it offline).',
      );
    } else {
      cli.reporter.out(renderStatusTable(rows));
    }
    return ExitCode.Ok;
  } finally {
    await db.close();
  }
}

function parseTask(value: string): TaskName {
  const task = resolveTaskName(value);
  if (!task)
    throw new ConfigError(
      `--task: unknown task "${value}"; use tickers, prices, dcf or ${TASK_NAMES.join(', ')}`,
    );
  return task;
}

export function renderStatusTable(rows: StatusRow[]): string {
  return renderTable(
    ['task', 'status', 'rows', 'error', 'completed', 'duration'],
    rows.map((r) => [
      r.taskName,
      r.status,
      String(r.rowsUpdated),
      truncate(r.errorMessage ?? '', 60),
      r.completedAt ? r.completedAt.replace('T', ' ').slice(0, 19) : '-',
      formatSeconds(r.durationSeconds),
    ]),
    [2],
  );
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface TaskHealth {
  taskName: TaskName;
  healthy: boolean;
  state: 'ok' | 'failed' | 'stale' | 'never';
  reason: string;
  latestStatus: string | null;
  lastSuccessAt: string | null;
}

const SUCCEEDED = ['success', 'partial'];

/**
 * The monitor's question: did each task's latest run end well, and is its last good run recent? A job that
 * stopped running (a scheduled workflow GitHub disabled) shows up as stale, which is why this exists.
 */
async function healthCheck(
  cli: CliContext,
  db: Database,
  logs: SyncLogger,
  options: { task?: TaskName; maxAgeMs: number; json: boolean },
): Promise<number> {
  const now = Date.now();
  const tasks = options.task ? [options.task] : [...TASK_NAMES];
  const results: TaskHealth[] = [];
  for (const taskName of tasks) {
    const latest = await logs.getLatestSyncStatus(taskName);
    const lastGood = await db.prisma.syncLog.findFirst({
      where: { taskName, status: { in: SUCCEEDED }, completedAt: { not: null } },
      orderBy: { completedAt: 'desc' },
    });
    const lastSuccessAt = lastGood?.completedAt ?? null;
    const base = {
      taskName,
      latestStatus: latest?.status ?? null,
      lastSuccessAt: lastSuccessAt?.toISOString() ?? null,
    };
    if (!latest) {
      results.push({ ...base, healthy: false, state: 'never', reason: 'no run recorded' });
    } else if (latest.status !== 'running' && !SUCCEEDED.includes(latest.status)) {
      const why = latest.errorMessage ? `: ${truncate(latest.errorMessage, 120)}` : '';
      results.push({ ...base, healthy: false, state: 'failed', reason: `latest run ${latest.status}${why}` });
    } else if (!lastSuccessAt) {
      results.push({ ...base, healthy: false, state: 'never', reason: 'no successful run recorded' });
    } else if (now - lastSuccessAt.getTime() > options.maxAgeMs) {
      const reason = `last success ${formatAge(now - lastSuccessAt.getTime())} ago, older than ${formatAge(options.maxAgeMs)}`;
      results.push({ ...base, healthy: false, state: 'stale', reason });
    } else {
      const reason = `last success ${formatAge(now - lastSuccessAt.getTime())} ago`;
      results.push({ ...base, healthy: true, state: 'ok', reason });
    }
  }
  const healthy = results.every((r) => r.healthy);
  if (options.json) {
    cli.reporter.out(
      JSON.stringify({ healthy, maxAgeSeconds: options.maxAgeMs / 1000, tasks: results }, null, 2),
    );
  } else {
    cli.reporter.out(
      renderTable(
        ['task', 'health', 'latest', 'last success', 'reason'],
        results.map((r) => [
          r.taskName,
          r.state.toUpperCase(),
          r.latestStatus ?? '-',
          r.lastSuccessAt ? r.lastSuccessAt.replace('T', ' ').slice(0, 19) : '-',
          r.reason,
        ]),
      ),
    );
    const bad = results.filter((r) => !r.healthy).map((r) => r.taskName);
    cli.reporter.out(healthy ? 'healthy' : `UNHEALTHY: ${bad.join(', ')}`);
  }
  return healthy ? ExitCode.Ok : ExitCode.Failed;
}

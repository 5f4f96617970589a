import type { Database } from '@smartstock/db';
import { SyncLogger } from '@smartstock/sync-logger';
import { resolveDatabaseConfig, secretsOf } from '../config.js';
import { type CliContext, openDatabase } from '../context.js';
import { formatAge, formatSeconds, parseDuration } from '../duration.js';
import { ConfigError, ExitCode, errorCode } from '../errors.js';
import { describeFindings, type QualityFindings, qualityOf, renderTable } from '../output.js';
import {
  databaseStatusSource,
  findRunningSync,
  runningSyncSource,
  type StatusRow,
  type StatusSource,
} from '../status-source.js';
import { resolveTaskName, TASK_NAMES, type TaskName } from '../tasks.js';

export { type StatusRow, toStatusRow } from '../status-source.js';

export interface StatusFlags {
  'data-dir'?: unknown;
  json?: unknown;
  task?: unknown;
  limit?: unknown;
  check?: unknown;
  'max-age'?: unknown;
  'include-adhoc'?: unknown;
  'strict-quality'?: unknown;
}

export const DEFAULT_MAX_AGE = '26h';

/**
 * `status` only reads: it never creates nor migrates a database. While a sync holds the embedded database,
 * the answer comes from that sync's process (it serves the same queries); on PostgreSQL status reads directly.
 */
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
  if (flags['include-adhoc'] === true && flags.check !== true) {
    throw new ConfigError('--include-adhoc only applies to --check (e.g. status --check --include-adhoc)');
  }
  if (flags['strict-quality'] === true && flags.check !== true) {
    throw new ConfigError('--strict-quality only applies to --check (e.g. status --check --strict-quality)');
  }
  const maxAgeMs = parseDuration(typeof flags['max-age'] === 'string' ? flags['max-age'] : DEFAULT_MAX_AGE);
  const { source, close } = await openStatusSource(cli, flags);
  try {
    if (flags.check === true) {
      return await healthCheck(cli, source, {
        task,
        maxAgeMs,
        json: flags.json === true,
        includeAdhoc: flags['include-adhoc'] === true,
        strictQuality: flags['strict-quality'] === true,
      });
    }
    let rows: StatusRow[];
    let title: string;
    if (limit !== undefined) {
      rows = await source.recent(limit, task);
      title = `The ${rows.length} most recent run(s)${task ? ` of ${task}` : ''}, newest first:`;
    } else if (task) {
      rows = (await source.latestPerTask()).filter((r) => r.taskName === task);
      title = `Latest run of ${task}:`;
    } else {
      rows = await source.latestPerTask();
      title = 'Latest run of each task, in run order:';
    }
    if (flags.json === true) {
      cli.reporter.out(JSON.stringify(rows, null, 2));
    } else if (rows.length === 0) {
      cli.reporter.prose(
        'No runs recorded yet: run `smartstock sync` (or `smartstock sync --sandbox` to try it offline).',
      );
    } else {
      cli.reporter.out(title);
      cli.reporter.out('');
      cli.reporter.table(renderStatusTable(rows));
    }
    return ExitCode.Ok;
  } catch (error) {
    throw explainMissingTable(error);
  } finally {
    await close();
  }
}

/** The database, or the running sync that holds the embedded one. */
async function openStatusSource(
  cli: CliContext,
  flags: StatusFlags,
): Promise<{ source: StatusSource; close: () => Promise<void> }> {
  const dbConfig = resolveDatabaseConfig(cli.start, flags);
  const secrets = secretsOf({ databaseUrl: dbConfig.url });
  cli.reporter.addSecrets(secrets);
  let db: Database;
  try {
    db = await openDatabase(cli, flags, { readOnly: true });
  } catch (error) {
    const running = dbConfig.url === undefined && errorCode(error) === 'DATABASE_LOCKED';
    const holder = running ? findRunningSync(dbConfig.dataDir) : null;
    if (!holder) throw error;
    cli.reporter.log(
      'info',
      `a sync is running (process ${holder.pid}, run ${holder.runId.slice(0, 8)}) and holds the embedded database: it answers this status`,
    );
    return { source: runningSyncSource(holder), close: async () => undefined };
  }
  const logs = new SyncLogger(db, { logger: cli.reporter.logger(), secrets });
  return { source: databaseStatusSource(logs), close: () => db.close() };
}

/** A database that was never synced has no sync_logs: say so rather than print PostgreSQL's words. */
function explainMissingTable(error: unknown): unknown {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const text = `${error instanceof Error ? error.message : String(error)}`;
  if (
    errorCode(error) === '42P01' ||
    errorCode(cause) === '42P01' ||
    /"sync_logs" does not exist/.test(text)
  ) {
    return new ConfigError(
      'this database has no sync_logs table: nothing was ever synced into it; check DATABASE_URL ' +
        '(or --data-dir), or run `smartstock sync` (which creates the tables) first',
      { cause: error },
    );
  }
  return error;
}

function parseTask(value: string): TaskName {
  const task = resolveTaskName(value);
  if (!task)
    throw new ConfigError(
      `--task: unknown task "${value}"; use tickers, prices, repair, dcf, quality or ${TASK_NAMES.join(', ')}`,
    );
  return task;
}

/** `full, cli`, `2 tickers, 2024-04-01..2024-04-05, cli`: what a run covered, from sync_logs.metadata.scope. */
export function describeScope(metadata: Record<string, unknown> | null): string {
  const scope = metadata?.scope;
  if (!scope || typeof scope !== 'object' || Array.isArray(scope)) return '-';
  const s = scope as Record<string, unknown>;
  const parts: string[] = [];
  if (s.universe === 'subset') {
    parts.push(
      typeof s.tickers === 'number' ? `${s.tickers} ticker${s.tickers === 1 ? '' : 's'}` : 'some tickers',
    );
  } else {
    parts.push('full');
  }
  const window = s.window as { from?: unknown; to?: unknown } | undefined;
  if (window && typeof window.from === 'string' && typeof window.to === 'string') {
    parts.push(`${window.from}..${window.to}`);
  }
  if (typeof s.trigger === 'string') parts.push(s.trigger);
  return parts.join(', ');
}

/** The status table, most telling columns first: on a narrow terminal the scope and the error are cut. */
export function renderStatusTable(rows: StatusRow[]): string {
  return renderTable(
    ['task', 'status', 'rows', 'completed', 'duration', 'scope', 'error'],
    rows.map((r) => [
      r.taskName,
      r.status,
      String(r.rowsUpdated),
      r.completedAt ? r.completedAt.replace('T', ' ').slice(0, 19) : '-',
      formatSeconds(r.durationSeconds),
      describeScope(r.metadata),
      truncate(r.errorMessage ?? '', 100),
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
  /** `findings`: the data checks found rows, unhealthy only under --strict-quality. */
  state: 'ok' | 'failed' | 'stale' | 'never' | 'findings';
  reason: string;
  latestStatus: string | null;
  lastSuccessAt: string | null;
  /** The scope of the run judged (its sync_logs.metadata.scope), null for rows written without one. */
  scope: unknown;
  /** check_data_quality only: what its latest run found (counts and first examples per check). */
  quality?: QualityFindings | undefined;
}

/** The data checks' task: findings never make it unhealthy unless --strict-quality; never run is no fault. */
const QUALITY_TASK: TaskName = 'check_data_quality';

/**
 * The repair's task: a failed run is unhealthy like any task's, but never run is no fault (a database synced
 * before the repair existed, or nightly runs with --no-repair).
 */
const REPAIR_TASK: TaskName = 'repair_price_gaps';

const SUCCEEDED = ['success', 'partial'];

/**
 * The monitor's question: did each task's latest run end well, and is its last good run recent? A job that
 * stopped running (a scheduled workflow GitHub disabled) shows up as stale, which is why this exists. Only
 * full-universe runs are judged unless --include-adhoc: a one-ticker run by hand says nothing about the night,
 * and its failure (a mistyped symbol) does not make the nightly job unhealthy.
 */
async function healthCheck(
  cli: CliContext,
  source: StatusSource,
  options: {
    task?: TaskName | undefined;
    maxAgeMs: number;
    json: boolean;
    includeAdhoc: boolean;
    strictQuality: boolean;
  },
): Promise<number> {
  const now = Date.now();
  const tasks = options.task ? [options.task] : [...TASK_NAMES];
  const results: TaskHealth[] = [];
  for (const taskName of tasks) {
    const { latest, lastGood } = await source.health(taskName, options.includeAdhoc);
    const lastSuccessAt = lastGood?.completedAt ? new Date(lastGood.completedAt) : null;
    const base = {
      taskName,
      latestStatus: latest?.status ?? null,
      lastSuccessAt: lastSuccessAt?.toISOString() ?? null,
      scope: (latest?.metadata?.scope as unknown) ?? null,
    };
    const quality = taskName === QUALITY_TASK ? qualityOf(latest?.metadata) : null;
    if (!latest && taskName === QUALITY_TASK && !options.strictQuality) {
      // Databases synced before the data checks existed have no such row: advisory, so not a fault.
      results.push({
        ...base,
        healthy: true,
        state: 'never',
        reason: 'no run recorded (the data checks are advisory)',
      });
    } else if (!latest && taskName === REPAIR_TASK) {
      results.push({
        ...base,
        healthy: true,
        state: 'never',
        reason: 'no run recorded (the repair is off with --no-repair)',
      });
    } else if (!latest) {
      results.push({ ...base, healthy: false, state: 'never', reason: 'no run recorded' });
    } else if (latest.status !== 'running' && !SUCCEEDED.includes(latest.status)) {
      const why = latest.errorMessage ? `: ${truncate(latest.errorMessage, 120)}` : '';
      results.push({ ...base, healthy: false, state: 'failed', reason: `latest run ${latest.status}${why}` });
    } else if (!lastSuccessAt) {
      results.push({ ...base, healthy: false, state: 'never', reason: 'no successful run recorded' });
    } else if (now - lastSuccessAt.getTime() > options.maxAgeMs) {
      const reason = `last success ${formatAge(now - lastSuccessAt.getTime())} ago, older than ${formatAge(options.maxAgeMs)}`;
      results.push({ ...base, healthy: false, state: 'stale', reason });
    } else if (quality !== null && quality.total > 0) {
      const reason =
        `last success ${formatAge(now - lastSuccessAt.getTime())} ago; found ${describeFindings(quality)}` +
        (options.strictQuality ? '' : ' (healthy without --strict-quality)');
      results.push({ ...base, healthy: !options.strictQuality, state: 'findings', reason, quality });
    } else {
      const reason = `last success ${formatAge(now - lastSuccessAt.getTime())} ago`;
      results.push({ ...base, healthy: true, state: 'ok', reason, ...(quality ? { quality } : {}) });
    }
  }
  const healthy = results.every((r) => r.healthy);
  if (options.json) {
    cli.reporter.out(
      JSON.stringify(
        {
          healthy,
          maxAgeSeconds: options.maxAgeMs / 1000,
          includeAdhoc: options.includeAdhoc,
          strictQuality: options.strictQuality,
          tasks: results,
        },
        null,
        2,
      ),
    );
  } else {
    cli.reporter.table(
      renderTable(
        ['task', 'health', 'reason', 'latest', 'last success'],
        results.map((r) => [
          r.taskName,
          r.state.toUpperCase(),
          r.reason,
          r.latestStatus ?? '-',
          r.lastSuccessAt ? r.lastSuccessAt.replace('T', ' ').slice(0, 19) : '-',
        ]),
      ),
    );
    cli.reporter.prose(
      options.includeAdhoc
        ? 'Judged: every run, ad hoc ones included.'
        : 'Judged: full-universe runs only (--include-adhoc also counts runs of a few --tickers).',
    );
    const bad = results.filter((r) => !r.healthy).map((r) => r.taskName);
    cli.reporter.out(healthy ? 'healthy' : `UNHEALTHY: ${bad.join(', ')}`);
  }
  return healthy ? ExitCode.Ok : ExitCode.Failed;
}

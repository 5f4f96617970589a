import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '@smartstock/db';
import { checkSharedBudget, type FmpClient } from '@smartstock/fmp-client';
import {
  createRunMonitor,
  createSyncClient,
  describeRepair,
  fundHoldingsUrl,
  repairCountsOf,
  resolveUniverseSource,
  runDailySync,
  type SyncSummary,
  type TaskSummary,
} from '@smartstock/ingest-core';
import { SyncLogger } from '@smartstock/sync-logger';
import {
  clientSettingsOf,
  type FmpConfig,
  type FmpFlags,
  lookupSetting,
  type MonitorFlags,
  type RunFlags,
  type RunSettings,
  resolveClientTuning,
  resolveDatabaseConfig,
  resolveFmpConfig,
  resolveMonitorSettings,
  resolveRequestsPerMinute,
  resolveRunSettings,
  resolveSharedBudget,
  resolveUniverseUrl,
  secretsOf,
} from '../config.js';
import { type CliContext, openDatabase, shownPath } from '../context.js';
import { formatSeconds } from '../duration.js';
import { ConfigError, exitCodeForTasks } from '../errors.js';
import { qualityLines, qualityOf, renderTable } from '../output.js';
import { startBuiltInSandbox } from '../sandbox.js';
import { databaseStatusSource, inRunOrder, serveStatus } from '../status-source.js';
import type { TaskName } from '../tasks.js';

export interface RunCommandFlags extends RunFlags, FmpFlags, MonitorFlags {
  'data-dir'?: unknown;
  sandbox?: unknown;
  strict?: unknown;
  json?: unknown;
  out?: unknown;
  source?: unknown;
}

/** The clean list the universe task writes into the data directory (ingest-core's file name). */
export const CLEAN_LIST_FILE = 'russell_2000_tickers_clean.txt';

const FMP_TASKS: readonly TaskName[] = ['ingest_market_data', 'repair_price_gaps', 'ingest_all_dcf'];

const TASK_WORDS: Record<string, string> = {
  get_russell_2000_list: 'universe',
  ingest_market_data: 'prices',
  repair_price_gaps: 'repair',
  ingest_all_dcf: 'DCF',
  check_data_quality: 'data checks',
};

/**
 * `sync`, `tickers`, `prices`, `repair` and `dcf`: one code path, so the one-task commands take the same lock, write the
 * same logs and print the same summary as the nightly sync.
 */
export async function runTasks(
  cli: CliContext,
  flags: RunCommandFlags,
  defaultTasks: TaskName[],
): Promise<number> {
  const { start, reporter } = cli;
  const positional = typeof flags.source === 'string' && flags.source !== '';
  const settings = resolveRunSettings(
    start,
    { ...flags, 'tickers-source': positional ? flags.source : flags['tickers-source'] },
    defaultTasks,
  );
  if (positional) settings.tickersSourceOrigin = 'the SOURCE argument';
  const strict = flags.strict === true;
  const needsFmp = settings.tasks.some((t) => FMP_TASKS.includes(t));
  // Every setting is checked before anything starts, so a bad one costs nothing.
  const dbConfig = resolveDatabaseConfig(start, flags);
  const universeUrl = resolveUniverseUrl(start);
  const monitorSettings = resolveMonitorSettings(start, flags);
  const runsUniverse = settings.tasks.includes('get_russell_2000_list');
  if (runsUniverse && settings.tickersSource) assertReadableSource(cli, settings, dbConfig.dataDir);
  let fmpConfig: FmpConfig | null = null;
  if (flags.sandbox !== true && needsFmp) fmpConfig = resolveFmpConfig(start, flags);
  let sandbox: Awaited<ReturnType<typeof startBuiltInSandbox>> | null = null;
  if (flags.sandbox === true) {
    const rpm = resolveRequestsPerMinute(start, flags);
    sandbox = await startBuiltInSandbox({ rpm });
    fmpConfig = {
      apiKey: sandbox.apiKey,
      baseUrl: sandbox.url,
      requestsPerMinute: sandbox.requestsPerMinute,
      ...resolveClientTuning(flags),
      ...resolveSharedBudget(start, flags),
    };
    if (!settings.tickersSource && !settings.tickers)
      settings.tickersSource = settings.fund ? sandbox.fundHoldingsUrl(settings.fund) : sandbox.holdingsUrl;
  }
  // No source given and no file in the data directory: iShares' download, or the copy the user names.
  const defaultUniverse = runsUniverse && !settings.tickersSource;
  if (defaultUniverse && universeUrl) {
    const resolved = await resolveUniverseSource(dbConfig.dataDir, undefined, settings.fund);
    if (resolved === fundHoldingsUrl(settings.fund ?? 'IWM')) settings.tickersSource = universeUrl;
  }
  const secrets = secretsOf({
    apiKey: fmpConfig?.apiKey,
    databaseUrl: dbConfig.url,
    budgetRedisUrl: fmpConfig?.budgetRedisUrl,
  });
  reporter.addSecrets(secrets);
  const runId = randomUUID();
  reporter.runId = runId;
  const logger = reporter.logger();
  if (sandbox) logger.info(`FMP sandbox listening on ${sandbox.url}`, { budget: sandbox.requestsPerMinute });

  let fmp: FmpClient | null = null;
  const makeClient = (): FmpClient => {
    if (fmp) return fmp;
    fmp = createSyncClient(clientSettingsOf(fmpConfig ?? resolveFmpConfig(start, flags), settings), {
      logger,
    });
    return fmp;
  };

  // A signal cancels the run through runDailySync's signal: no new request, what was fetched is written, the
  // running task's row ends `failed` with "cancelled by SIGINT", later tasks are not run.
  const cancel = new AbortController();
  let interrupted: NodeJS.Signals | null = null;
  cli.onInterrupt = (signal) => {
    interrupted = signal;
    reporter.cancelProgress();
    logger.warn(`${signal}: stopping the run (press Ctrl-C again to quit at once)`);
    cancel.abort(`cancelled by ${signal}`);
  };

  // Alerts and the dead-man's switch: never change the run's outcome; what they could not deliver is logged
  // and recorded in the run's sync_logs metadata. A night that cannot start still pings /fail.
  const monitor = createRunMonitor(monitorSettings, { logger, secrets, runUrl: githubRunUrl(cli) });
  await monitor.started();
  try {
    // An unreachable shared budget fails the night at start, as an unreachable database does.
    const budgetRedisUrl = fmpConfig?.budgetRedisUrl;
    if (budgetRedisUrl !== undefined) {
      await checkSharedBudget({ redisUrl: budgetRedisUrl }).catch(async (error: unknown) => {
        await monitor.couldNotRun(error instanceof Error ? error.message : String(error));
        throw error;
      });
    }
    const db = await openDatabase(cli, flags, { migrateAlways: true }).catch(async (error: unknown) => {
      await monitor.couldNotRun(error instanceof Error ? error.message : String(error));
      throw error;
    });
    // The embedded database is this process's alone while it runs: `status` from another process asks it.
    const stopServing =
      db.kind === 'embedded'
        ? await serveStatus(
            databaseStatusSource(new SyncLogger(db, { secrets })),
            dbConfig.dataDir,
            runId,
          ).catch((error: unknown) => {
            logger.debug('status cannot be served to other processes during this run', {
              error: error instanceof Error ? error.message : String(error),
            });
            return null;
          })
        : null;
    try {
      const { tickersSourceOrigin: _origin, ...options } = settings;
      const summary = await runDailySync(
        {
          db,
          fmp: makeClient,
          logger,
          dataDir: dbConfig.dataDir,
          onProgress: (event) => reporter.progress(event),
          signal: cancel.signal,
        },
        { ...options, runId, secrets, trigger: 'cli' },
      ).catch(async (error: unknown) => {
        await monitor.couldNotRun(error instanceof Error ? error.message : String(error));
        throw error;
      });
      reporter.endProgress();
      const deliveries = await monitor.finished(summary);
      if (deliveries.length > 0) {
        const ids = summary.tasks.map((t) => t.syncLogId).filter((id): id is number => id !== null);
        await new SyncLogger(db, { secrets })
          .addMetadata(ids, { alerts: deliveries })
          .catch((error: unknown) => {
            logger.warn('could not record the alerts in sync_logs', { error: String(error) });
          });
      }
      if (typeof flags.out === 'string' && flags.out !== '') {
        await writeOutList(cli, summary, dbConfig.dataDir, flags.out);
      }
      report(cli, summary, {
        json: flags.json === true,
        strict,
        interrupted: interrupted !== null,
        db,
        dataDir: dbConfig.dataDir,
        flags,
        sandbox: sandbox !== null,
        defaultUniverse,
      });
      if (summary.cancelled && interrupted) return interrupted === 'SIGINT' ? 130 : 143;
      return exitCodeForTasks(summary.tasks, strict);
    } finally {
      reporter.endProgress();
      await stopServing?.();
      await db.close();
    }
  } finally {
    cli.onInterrupt = null;
    await sandbox?.stop();
  }
}

/** The GitHub Actions run page, when the CLI runs in a workflow. */
function githubRunUrl(cli: CliContext): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = cli.io.env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}

/**
 * A universe file that is not there is the user's to fix before a rerun: exit 2 with the path, and no
 * sync_logs row (a mistyped path must not make the nightly universe task look failed).
 */
function assertReadableSource(cli: CliContext, settings: RunSettings, dataDir: string): void {
  const source = settings.tickersSource!;
  if (/^https?:\/\//i.test(source)) return;
  let problem: string | null = null;
  try {
    if (statSync(source).isDirectory()) problem = 'it is a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problem = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(error);
  }
  if (problem === null) return;
  throw new ConfigError(
    `${settings.tickersSourceOrigin ?? '--tickers-source'}: cannot read the universe source ${source}: ${problem}; ` +
      'give the path of an iShares holdings CSV or of a list (one ticker a line), or leave it out to use ' +
      `${shownPath(cli, path.join(dataDir, 'russell_2000_list.csv'))} or iShares' download`,
  );
}

async function writeOutList(
  cli: CliContext,
  summary: SyncSummary,
  dataDir: string,
  out: string,
): Promise<void> {
  const task = summary.tasks.find((t) => t.taskName === 'get_russell_2000_list');
  const target = path.resolve(cli.start.startDir, out);
  if (!task || task.status === 'failed') {
    cli.reporter.log('warn', `not writing ${target}: the universe task did not succeed`);
    return;
  }
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(path.join(dataDir, CLEAN_LIST_FILE), target);
  cli.reporter.log('info', `wrote the clean ticker list to ${target}`);
}

/** `sync success: 7348 rows updated (7348 new, 0 changed) in 3.1s`, or `up to date: 0 rows changed`. */
export function verdictOf(
  summary: Pick<SyncSummary, 'status' | 'rowsUpdated' | 'durationSeconds' | 'tasks'>,
): string {
  const inserted = summary.tasks.reduce((n, t) => n + t.rowsInserted, 0);
  const changed = summary.tasks.reduce((n, t) => n + t.rowsChanged, 0);
  const rows =
    summary.rowsUpdated === 0 && summary.status === 'success'
      ? 'up to date: 0 rows changed'
      : `${summary.rowsUpdated} rows updated (${inserted} new, ${changed} changed)`;
  return `sync ${summary.status}: ${rows} in ${formatSeconds(summary.durationSeconds)}`;
}

interface ReportOptions {
  json: boolean;
  strict: boolean;
  interrupted: boolean;
  db: Database;
  dataDir: string;
  flags: RunCommandFlags;
  sandbox: boolean;
  defaultUniverse: boolean;
}

/**
 * The end of a run: the JSON document; or a table, loud lines for whatever was not a clean success, the
 * verdict, and two or three sentences saying what ran, where the data is and what to try next.
 */
function report(cli: CliContext, summary: SyncSummary, options: ReportOptions): void {
  const { reporter } = cli;
  const tasks = inRunOrder(summary.tasks);
  if (options.json) {
    reporter.out(JSON.stringify(summary, null, 2));
  } else {
    const rows = tasks.map((t) => [
      t.taskName,
      t.status,
      String(t.rowsUpdated),
      String(t.rowsInserted),
      String(t.rowsChanged),
      String(t.tickers),
      String((t.counts.failed ?? 0) + (t.counts.skipped ?? 0)),
      formatSeconds(t.durationSeconds),
    ]);
    reporter.out('');
    reporter.out(`This run (${summary.runId.slice(0, 8)}), task by task:`);
    reporter.out('');
    reporter.table(
      renderTable(
        ['task', 'status', 'rows', 'new', 'changed', 'tickers', 'failed', 'time'],
        rows,
        [2, 3, 4, 5, 6, 7],
      ),
    );
    reporter.out('');
    for (const t of tasks) {
      const r = t.taskName === 'repair_price_gaps' ? repairCountsOf(t.metadata) : null;
      // A night with nothing to repair says nothing (its row in the table says it ran).
      if (r !== null && r.tickersWithGaps > 0) reporter.prose(describeRepair(r));
    }
    for (const q of tasks.map((t) => qualityOf(t.metadata))) {
      if (q === null || q.total === 0) continue;
      reporter.out('The data checks found rows to look at (they never fail the run), check by check:');
      for (const line of qualityLines(q)) reporter.out(line);
    }
  }
  const logPath = shownPath(cli, summary.logPath);
  for (const task of tasks) {
    if (task.status === 'success') continue;
    const missed = task.failures.map(
      (f) => `${f.ticker} (${f.outcome}${f.httpStatus ? ` ${f.httpStatus}` : ''})`,
    );
    const shown = missed.slice(0, 10).join(', ');
    const affected = (task.counts.failed ?? 0) + (task.counts.skipped ?? 0) + (task.counts.invalid_rows ?? 0);
    const more = Math.max(affected, missed.length) - Math.min(missed.length, 10);
    const list = shown ? `: ${shown}${more > 0 ? ` and ${more} more` : ''}` : '';
    if (task.status === 'partial') {
      reporter.notice(
        options.strict ? 'error' : 'warn',
        `PARTIAL ${task.taskName}: tickers failed, skipped or with rows dropped${list} (details in ${logPath})`,
      );
    } else {
      reporter.notice('error', `FAILED ${task.taskName}: ${task.errorMessage ?? 'see the log above'}${list}`);
      if (task.taskName === 'get_russell_2000_list' && options.defaultUniverse && isUnreadable(task)) {
        const fmpBase = lookupSetting(cli.start, 'FMP_BASE_URL')
          ? ' (FMP_BASE_URL does not apply to it)'
          : '';
        reporter.notice(
          'warn',
          `the universe (the Russell 2000 members) comes from iShares' holdings download, not from FMP${fmpBase}: ` +
            'give a file instead with --tickers-source FILE (an IWM holdings CSV or one ticker a line), or save ' +
            `it as ${shownPath(cli, path.join(options.dataDir, 'russell_2000_list.csv'))}`,
        );
      }
    }
  }
  if (summary.cancelled) {
    const notRun = summary.cancelled.notRun;
    reporter.log(
      'warn',
      `the run was ${summary.cancelled.reason}` +
        (notRun.length > 0 ? `; not run: ${notRun.join(', ')}` : '') +
        '; the next run picks up where it stopped',
    );
  } else if (options.interrupted) reporter.log('warn', 'the run was interrupted before it finished');
  for (const notice of summary.notices ?? []) reporter.notice('warn', notice);
  reporter.notice(
    summary.status === 'failed' ? 'error' : summary.status === 'partial' ? 'warn' : 'info',
    verdictOf(summary),
  );
  if (!options.json) closingWords(cli, summary, tasks, options, logPath);
}

function isUnreadable(task: TaskSummary): boolean {
  return /^cannot read the universe source /.test(task.errorMessage ?? '');
}

/** What ran, where the data is, what to try next: a newcomer's answer to "what just happened?". */
function closingWords(
  cli: CliContext,
  summary: SyncSummary,
  tasks: TaskSummary[],
  options: ReportOptions,
  logPath: string,
): void {
  const { reporter } = cli;
  const names = tasks.map((t) => TASK_WORDS[t.taskName] ?? t.taskName);
  const ran =
    names.length === 1
      ? `the ${names[0]} task`
      : `the ${names.slice(0, -1).join(', ')} and ${names.at(-1)} tasks`;
  const against = options.sandbox ? ' against the built-in FMP sandbox (synthetic data, no key)' : '';
  const one = tasks.length === 1;
  const outcome =
    summary.status === 'success'
      ? one
        ? 'it succeeded'
        : 'every task succeeded'
      : summary.status === 'partial'
        ? 'some tickers were skipped (listed above)'
        : `${one ? 'it' : 'at least one task'} failed (see the lines above)`;
  const where =
    options.db.kind === 'embedded'
      ? `the embedded database in ${shownPath(cli, path.join(options.dataDir, 'db'))}`
      : options.db.description;
  const listed = tasks.some(
    (t) =>
      t.failures.length > 0 ||
      (t.counts.failed ?? 0) + (t.counts.skipped ?? 0) + (t.counts.invalid_rows ?? 0) > 0,
  );
  const skipped = listed ? `; the tickers that failed are listed in ${logPath}` : '';
  const dataDirFlag =
    options.flags['data-dir'] !== undefined ? ` --data-dir ${shownPath(cli, options.dataDir)}` : '';
  reporter.out('');
  if (tasks.length === 0) {
    // Cancelled before its first task started: nothing ran, nothing was written, there is nothing to look at.
    const why = summary.cancelled ? ` (${summary.cancelled.reason})` : '';
    reporter.prose(`No task ran${against}: the run was stopped before its first task started${why}.`);
    return;
  }
  reporter.prose(`Ran ${ran}${against}: ${outcome}.`);
  reporter.prose(
    `The data is in ${where}: tables tickers, stock_prices and dcf_valuations, and one sync_logs row per task run${skipped}.`,
  );
  reporter.prose(
    `Next: \`smartstock status${dataDirFlag}\` shows the latest run of each task, \`smartstock db studio${dataDirFlag}\` opens the tables in Prisma Studio${
      options.sandbox
        ? ', and with your own FMP key in FMP_API_KEY (the environment or .env) `smartstock sync` fetches real data'
        : ''
    }.`,
  );
}

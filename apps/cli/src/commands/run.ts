import { randomUUID } from 'node:crypto';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createFmpClient, type FmpClient } from '@smartstock/fmp-client';
import { runDailySync, type SyncSummary } from '@smartstock/ingest-core';
import {
  type FmpConfig,
  type FmpFlags,
  type RunFlags,
  resolveClientTuning,
  resolveDatabaseConfig,
  resolveFmpConfig,
  resolveRequestsPerMinute,
  resolveRunSettings,
  secretsOf,
} from '../config.js';
import { type CliContext, openDatabase } from '../context.js';
import { formatSeconds } from '../duration.js';
import { exitCodeForTasks } from '../errors.js';
import { renderTable } from '../output.js';
import { startBuiltInSandbox } from '../sandbox.js';
import { TASK_NAMES, type TaskName } from '../tasks.js';

export interface RunCommandFlags extends RunFlags, FmpFlags {
  'data-dir'?: unknown;
  sandbox?: unknown;
  strict?: unknown;
  json?: unknown;
  out?: unknown;
  source?: unknown;
}

/** The clean list the universe task writes into the data directory (ingest-core's file name). */
export const CLEAN_LIST_FILE = 'russell_2000_tickers_clean.txt';

const FMP_TASKS: readonly TaskName[] = ['ingest_market_data', 'ingest_all_dcf'];

/**
 * `sync`, `tickers`, `prices` and `dcf`: one code path, so the one-task commands take the same lock, write the
 * same logs and print the same summary as the nightly sync.
 */
export async function runTasks(
  cli: CliContext,
  flags: RunCommandFlags,
  defaultTasks: TaskName[],
): Promise<number> {
  const { start, reporter } = cli;
  const settings = resolveRunSettings(
    start,
    { ...flags, 'tickers-source': flags.source ?? flags['tickers-source'] },
    defaultTasks,
  );
  const strict = flags.strict === true;
  const needsFmp = settings.tasks.some((t) => FMP_TASKS.includes(t));
  // Every setting is checked before anything starts, so a bad one costs nothing.
  const dbConfig = resolveDatabaseConfig(start, flags);
  let fmpConfig: FmpConfig | null = null;
  let sandbox: Awaited<ReturnType<typeof startBuiltInSandbox>> | null = null;
  if (flags.sandbox === true) {
    const rpm = resolveRequestsPerMinute(start, flags);
    sandbox = await startBuiltInSandbox({ rpm });
    fmpConfig = {
      apiKey: sandbox.apiKey,
      baseUrl: sandbox.url,
      requestsPerMinute: sandbox.requestsPerMinute,
      ...resolveClientTuning(flags),
    };
    if (!settings.tickersSource && !settings.tickers) settings.tickersSource = sandbox.holdingsUrl;
  } else if (needsFmp) {
    fmpConfig = resolveFmpConfig(start, flags);
  }
  const secrets = secretsOf({ apiKey: fmpConfig?.apiKey, databaseUrl: dbConfig.url });
  reporter.addSecrets(secrets);
  const runId = randomUUID();
  reporter.runId = runId;
  const logger = reporter.logger();
  if (sandbox) logger.info(`FMP sandbox listening on ${sandbox.url}`, { budget: sandbox.requestsPerMinute });

  let fmp: FmpClient | null = null;
  const makeClient = (): FmpClient => {
    if (fmp) return fmp;
    const config = fmpConfig ?? resolveFmpConfig(start, flags);
    const concurrency = Math.max(settings.concurrency ?? 50, settings.dcfConcurrency ?? 10);
    fmp = createFmpClient({
      apiKey: config.apiKey,
      baseUrl: config.baseUrl,
      rateLimit: config.requestsPerMinute > 0 ? { requests: config.requestsPerMinute } : null,
      maxConcurrent: concurrency,
      retry: {
        ...(config.retryBaseMs !== undefined ? { baseMs: config.retryBaseMs } : {}),
        ...(config.rateLimitPauseMs !== undefined ? { rateLimitPauseMs: config.rateLimitPauseMs } : {}),
      },
      ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
      logger,
    });
    return fmp;
  };

  let interrupted = false;
  cli.onInterrupt = () => {
    interrupted = true;
    logger.warn('interrupted: stopping the run (press Ctrl-C again to quit at once)');
    (fmp as FmpClient | null)?.abort(new Error('interrupted by the user'));
  };

  try {
    const db = await openDatabase(cli, flags, { migrateAlways: true });
    try {
      logger.info(`sync starting: ${settings.tasks.join(', ')}`, { database: db.description });
      const summary = await runDailySync(
        {
          db,
          fmp: makeClient,
          logger,
          dataDir: dbConfig.dataDir,
          onProgress: (event) => reporter.progress(event),
        },
        { ...settings, runId, secrets },
      );
      reporter.endProgress();
      if (typeof flags.out === 'string' && flags.out !== '') {
        await writeOutList(cli, summary, dbConfig.dataDir, flags.out);
      }
      report(cli, summary, { json: flags.json === true, strict, interrupted });
      return exitCodeForTasks(summary.tasks, strict);
    } finally {
      reporter.endProgress();
      await db.close();
    }
  } finally {
    cli.onInterrupt = null;
    await sandbox?.stop();
  }
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

/** The end of a run: the JSON document, or a table and loud lines for whatever was not a clean success. */
function report(
  cli: CliContext,
  summary: SyncSummary,
  options: { json: boolean; strict: boolean; interrupted: boolean },
): void {
  const { reporter } = cli;
  if (options.json) {
    reporter.out(JSON.stringify(summary, null, 2));
  } else {
    const order = (t: { taskName: string }) => TASK_NAMES.indexOf(t.taskName as TaskName);
    const tasks = [...summary.tasks].sort((a, b) => order(a) - order(b));
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
    reporter.out(
      renderTable(
        ['task', 'status', 'rows', 'inserted', 'changed', 'tickers', 'failed/skipped', 'duration'],
        rows,
        [2, 3, 4, 5, 6, 7],
      ),
    );
    reporter.out('');
  }
  for (const task of summary.tasks) {
    if (task.status === 'success') continue;
    const missed = task.failures.map(
      (f) => `${f.ticker} (${f.outcome}${f.httpStatus ? ` ${f.httpStatus}` : ''})`,
    );
    const shown = missed.slice(0, 10).join(', ');
    const affected = (task.counts.failed ?? 0) + (task.counts.skipped ?? 0) + (task.counts.invalid_rows ?? 0);
    const more = Math.max(affected, missed.length) - Math.min(missed.length, 10);
    const list = shown ? `: ${shown}${more > 0 ? ` and ${more} more` : ''}` : '';
    if (task.status === 'partial') {
      reporter.log(
        options.strict ? 'error' : 'warn',
        `PARTIAL ${task.taskName}: tickers failed, skipped or with rows dropped${list} (details in ${summary.logPath})`,
      );
    } else {
      reporter.log('error', `FAILED ${task.taskName}: ${task.errorMessage ?? 'see the log above'}${list}`);
    }
  }
  const verdict = `sync ${summary.status}: ${summary.rowsUpdated} rows updated in ${formatSeconds(summary.durationSeconds)}`;
  if (options.interrupted) reporter.log('warn', 'the run was interrupted before it finished');
  reporter.log(
    summary.status === 'failed' ? 'error' : summary.status === 'partial' ? 'warn' : 'info',
    verdict,
  );
}

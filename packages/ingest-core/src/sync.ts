import { join } from 'node:path';
import { type Database, tryAcquireRunLock } from '@smartstock/db';
import type { FmpClient } from '@smartstock/fmp-client';
import { SyncLogger, type SyncRun } from '@smartstock/sync-logger';
import { explicitWindow, lastNDaysWindow, newYorkDate, parseIsoDate, type SyncWindow } from './calendar.js';
import { IngestError } from './errors.js';
import { createFailedLogWriter, FAILED_LOG_FILE, scrub } from './failed-log.js';
import { type Logger, noopLogger, withFields } from './logger.js';
import { createRunId } from './run-id.js';
import {
  DEFAULTS,
  defaultHistoryFrom,
  EARLIEST_DATE,
  minTickersOf,
  type PricesMode,
  settingsProblem,
} from './settings.js';
import {
  type QualitySummary,
  resolveTaskName,
  SUMMARY_SCHEMA_VERSION,
  type SyncSummary,
  TASK_NAMES,
  type TaskName,
  type TaskStatus,
  type TaskSummary,
} from './summary.js';
import type { ProgressEvent, TaskContext, TaskResult } from './tasks/context.js';
import { runDcfTask } from './tasks/dcf.js';
import { runPricesTask } from './tasks/prices.js';
import { runQualityTask } from './tasks/quality.js';
import { runRepairTask } from './tasks/repair.js';
import { loadUniverse, runUniverseTask } from './tasks/universe.js';
import { normalizeTicker } from './universe/clean.js';
import type { Fund } from './universe/funds.js';

/**
 * What `runDailySync` runs against: the database, the FMP client, the data directory, and optional logger,
 * clock, progress callback and cancel signal.
 */
export interface SyncDeps {
  db: Database;
  /**
   * A client, or a factory called once, on the first task that needs FMP (a universe-only run never creates
   * one). The factory receives the run's id and a logger that stamps it, for the client's own log lines.
   */
  fmp: FmpClient | ((run: { runId: string; logger: Logger }) => FmpClient);
  /** Run log lines (default: none). */
  logger?: Logger | undefined;
  /** "Now", for the window and the calendar (default the system clock). */
  clock?: (() => Date) | undefined;
  /** Called after every ticker (every day in bulk mode); must not throw. */
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Holds failed_ingestion.log, the clean list file and the default universe sources. */
  dataDir: string;
  /** Downloads a universe source given as an http(s) URL (default: fetch). */
  fetchText?: ((url: string) => Promise<string>) | undefined;
  /**
   * Cancels the run (a person's Ctrl-C, a CI runner's cancel): abort it with the reason as a string, such as
   * "cancelled by SIGINT". No new FMP request starts, in-flight calls are cancelled without being counted as
   * failures, what was fetched is written, the running task's sync_logs row ends `failed` with the reason,
   * and the tasks not started get no row (the summary lists them under `cancelled.notRun`).
   */
  signal?: AbortSignal | undefined;
}

/**
 * What a run does: which tasks, which tickers, which window, how fast. All optional; defaults are SYNC_DEFAULTS.
 * Invalid options make `runDailySync` throw IngestError INVALID_OPTIONS before anything is locked or fetched.
 */
export interface SyncOptions {
  /**
   * Task names or aliases (`tickers`, `prices`, `repair`, `dcf`, `quality`); default all five, always run in
   * that order (the repair right after the night's prices, so the data checks see the repaired history).
   */
  tasks?: readonly string[] | undefined;
  /**
   * Run `repair_price_gaps`: by default it runs when `tasks` is not given and no backfill window (`from`) is
   * (the nightly run), and not otherwise; false leaves it out of the default run, true adds it to an explicit
   * task list or a backfill.
   */
  repair?: boolean | undefined;
  /** Most FMP requests of the repair (default 10% of the active tickers, at least 1). */
  repairMaxRequests?: number | undefined;
  /**
   * How far back the repair backfills a ticker whose stored history starts later (a new member), within the
   * same request cap (default 5 years before the run's New York date).
   */
  historyFrom?: string | undefined;
  /** Universe source: a path or an http(s) URL. */
  tickersSource?: string | undefined;
  /** Explicit tickers for this run's prices and DCF tasks; the universe task, table and file stay untouched. */
  tickers?: readonly string[] | undefined;
  /** The last N days (default 5): today − N .. today, New York time. Ignored when `from` is given. */
  days?: number | undefined;
  /** History backfill from this date (chunked, resumable). */
  from?: string | undefined;
  /** Window end with `from` (default today, New York). */
  to?: string | undefined;
  mode?: PricesMode | undefined;
  concurrency?: number | undefined;
  dcfConcurrency?: number | undefined;
  failureThreshold?: number | undefined;
  /** Fewest tickers a universe source must hold (default: the fund's floor, 1,500 for IWM). */
  minTickers?: number | undefined;
  /**
   * The iShares fund whose holdings file is the universe when no source is given (default IWM): its download
   * URL and its floor of tickers (IWB 800, IWV 2,500, IJR 500, IJH 350).
   */
  fund?: Fund | undefined;
  runId?: string | undefined;
  /** Strings that must never reach a log, a sync_logs row or a file (the FMP key). */
  secrets?: readonly string[] | undefined;
  /** Rows per database write (default 5,000 prices, 1,000 DCF). */
  batchSize?: number | undefined;
  /**
   * Who started the run, recorded in each sync_logs row's `metadata.scope.trigger`: `schedule`, `action`,
   * `cli`, or the caller's own word (default `library`).
   */
  trigger?: string | undefined;
}

/**
 * What a task's run covered and who started it, stored as `metadata.scope` of its sync_logs row (and in the
 * summary): the whole universe or an explicit subset (`tickers`), the prices window, the trigger. A health
 * check judges full-universe runs; a one-ticker run by hand says nothing about the nightly job.
 */
export interface RunScope {
  universe: 'full' | 'subset';
  /** How many tickers an explicit subset had. */
  tickers?: number | undefined;
  /** The prices task's window (the other tasks have none). */
  window?: { from: string; to: string; backfill: boolean } | undefined;
  trigger: string;
}

function scopeOf(taskName: TaskName, plan: Plan, trigger: string): RunScope {
  // The universe task and the data checks always cover the whole universe, whatever tickers the run has.
  const subset =
    plan.tickers !== null && taskName !== 'get_russell_2000_list' && taskName !== 'check_data_quality';
  return {
    universe: subset ? 'subset' : 'full',
    ...(subset ? { tickers: plan.tickers!.length } : {}),
    ...(taskName === 'ingest_market_data'
      ? { window: { from: plan.window.from, to: plan.window.to, backfill: plan.backfill } }
      : {}),
    trigger,
  };
}

const REPAIR: TaskName = 'repair_price_gaps';

const EXPLICIT_TICKER = /^[A-Z0-9^][A-Z0-9.\-^]{0,19}$/;

function invalid(message: string): IngestError {
  return new IngestError('INVALID_OPTIONS', message);
}

interface Plan {
  tasks: TaskName[];
  repairMaxRequests: number | undefined;
  historyFrom: string;
  tickers: string[] | null;
  window: SyncWindow;
  backfill: boolean;
  mode: PricesMode;
  concurrency: number;
  dcfConcurrency: number;
  failureThreshold: number;
  minTickers: number;
  fund: Fund;
}

/** Validates options before anything runs, with a message naming the bad value. */
export function planSync(options: SyncOptions, now: Date): Plan {
  const problem = settingsProblem(definedOnly(options));
  if (problem !== null) throw invalid(problem);
  let tasks: TaskName[] = [...TASK_NAMES];
  if (options.tasks !== undefined) {
    const resolved = options.tasks.map((t) => {
      const r = resolveTaskName(t);
      if (r === null) {
        throw invalid(
          `unknown task "${t}": expected one of ${TASK_NAMES.join(', ')} or tickers, prices, repair, dcf, quality`,
        );
      }
      return r;
    });
    tasks = TASK_NAMES.filter((t) => resolved.includes(t) || (t === REPAIR && options.repair === true));
  }
  // The repair belongs to the nightly run: a backfill (an explicit window) runs it only when told to.
  const backfillByDefault = options.tasks === undefined && options.from !== undefined;
  if (options.repair === false || (backfillByDefault && options.repair !== true)) {
    tasks = tasks.filter((t) => t !== REPAIR);
  }
  if (tasks.length === 0) throw invalid('no task selected');
  let tickers: string[] | null = null;
  if (options.tickers !== undefined) {
    const bad = options.tickers.filter((t) => !EXPLICIT_TICKER.test(normalizeTicker(String(t))));
    if (bad.length > 0) {
      throw invalid(
        `invalid tickers: ${bad
          .slice(0, 5)
          .map((t) => JSON.stringify(t))
          .join(', ')} (expected symbols like AAPL or BRK-B)`,
      );
    }
    tickers = [...new Set(options.tickers.map((t) => normalizeTicker(t)))].sort();
    if (tickers.length === 0) throw invalid('the explicit ticker list is empty');
    tasks = tasks.filter((t) => t !== 'get_russell_2000_list');
    if (tasks.length === 0) {
      throw invalid(
        'an explicit ticker list never runs the universe task: select prices, repair, dcf or quality',
      );
    }
  }
  const today = newYorkDate(now);
  if (options.historyFrom !== undefined && options.historyFrom > today) {
    throw invalid(`invalid historyFrom ${options.historyFrom}: it is after today (${today}, New York)`);
  }
  let window: SyncWindow;
  let backfill = false;
  if (options.from !== undefined || options.to !== undefined) {
    if (options.from === undefined) throw invalid('`to` needs `from`');
    const to = options.to ?? today;
    for (const [name, d] of [
      ['from', options.from],
      ['to', to],
    ] as const) {
      if (d > today) throw invalid(`invalid ${name} date ${d}: after today (${today}, New York)`);
    }
    if (options.from > to) throw invalid(`invalid window: from ${options.from} is after to ${to}`);
    window = explicitWindow(options.from, to, now);
    backfill = true;
  } else {
    const days = options.days ?? DEFAULTS.days;
    // Checked before the window is built, so an absurd count fails at once instead of walking centuries.
    const maxDays = Math.round((parseIsoDate(today) - parseIsoDate(EARLIEST_DATE)) / 86_400_000);
    if (days > maxDays) {
      throw invalid(
        `invalid days ${days}: at most ${maxDays} (back to ${EARLIEST_DATE}); use from/to for history`,
      );
    }
    window = lastNDaysWindow(days, now);
  }
  return {
    tasks,
    repairMaxRequests: options.repairMaxRequests,
    historyFrom: options.historyFrom ?? defaultHistoryFrom(today),
    tickers,
    window,
    backfill,
    mode: options.mode ?? DEFAULTS.mode,
    concurrency: options.concurrency ?? DEFAULTS.concurrency,
    dcfConcurrency: options.dcfConcurrency ?? DEFAULTS.dcfConcurrency,
    failureThreshold: options.failureThreshold ?? DEFAULTS.failureThreshold,
    minTickers: minTickersOf(options),
    fund: options.fund ?? DEFAULTS.fund,
  };
}

/** The options a caller set: `{ days: undefined }` means the default, as in the rest of the API. */
function definedOnly(options: SyncOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function seconds(from: Date, to: Date): number {
  return Math.max(0, (to.getTime() - from.getTime()) / 1000);
}

/**
 * Runs the chosen tasks in order under the run lock and returns the versioned summary. A failing task is
 * logged and the next one runs; after FMP refused the key or the bandwidth, the remaining FMP tasks are
 * logged failed with the same reason without calling FMP. Throws IngestError RUN_LOCKED (logging nothing)
 * when another sync holds the lock, and INVALID_OPTIONS before anything runs.
 */
export async function runDailySync(deps: SyncDeps, options: SyncOptions = {}): Promise<SyncSummary> {
  const clock = deps.clock ?? (() => new Date());
  const startedAt = clock();
  const plan = planSync(options, startedAt);
  const runId = options.runId ?? createRunId();
  const secrets = (options.secrets ?? []).filter((s) => s.length > 0);
  const logger = withFields(deps.logger ?? noopLogger, { runId });

  const lock = await tryAcquireRunLock(deps.db);
  if (lock === null) throw new IngestError('RUN_LOCKED', 'another sync is running');
  let client: FmpClient | null = null;
  try {
    const syncLogger = new SyncLogger(deps.db, { clock, logger, secrets: [...secrets] });
    const interrupted = await syncLogger.markInterrupted();
    if (interrupted > 0)
      logger.warn('marked running sync_logs rows of dead runs as interrupted', { rows: interrupted });

    // One reason to stop the whole run, whoever asks first: the caller's signal or the lost run lock.
    const halt = new AbortController();
    const ctx: TaskContext = {
      db: deps.db,
      fmp: () => {
        if (client === null) client = typeof deps.fmp === 'function' ? deps.fmp({ runId, logger }) : deps.fmp;
        return client;
      },
      logger,
      clock,
      runId,
      dataDir: deps.dataDir,
      failedLog: createFailedLogWriter(deps.dataDir, { secrets }),
      ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
      secrets,
      halt: halt.signal,
    };

    // On PostgreSQL the lock lives on one connection: if that connection is cut (a terminated backend, a
    // network drop), the server frees the lock and another run may start. This run then stops: in-flight
    // FMP calls are cancelled, the current task is failed, and the remaining tasks are not run.
    let lockLost: string | null = null;
    const onLockLost = () => {
      const reason = lock.lost.reason instanceof Error ? lock.lost.reason.message : String(lock.lost.reason);
      lockLost = scrub(`lost the run lock (${reason}); stopped so that two syncs never run at once`, secrets);
      logger.error(lockLost);
      halt.abort(lockLost);
      (client as FmpClient | null)?.abort(new Error(lockLost));
    };
    if (lock.lost.aborted) onLockLost();
    else lock.lost.addEventListener('abort', onLockLost, { once: true });

    let cancelled: string | null = null;
    const onCancel = () => {
      if (cancelled !== null) return;
      cancelled = scrub(String(deps.signal?.reason ?? 'cancelled'), secrets);
      logger.warn('sync cancelled: no new request starts; what was fetched is written', {
        reason: cancelled,
      });
      halt.abort(cancelled);
      (client as FmpClient | null)?.abort(new Error(cancelled));
    };
    if (deps.signal?.aborted) onCancel();
    else deps.signal?.addEventListener('abort', onCancel, { once: true });
    const notRun: TaskName[] = [];

    const tasks: TaskSummary[] = [];
    let fatal: { message: string; task: TaskName } | null = null;
    let universeNote: string | null = null;
    logger.info('sync started', { tasks: plan.tasks, window: plan.window, mode: plan.mode });

    for (const taskName of plan.tasks) {
      if (cancelled !== null) {
        notRun.push(taskName);
        logger.warn('task not run', { task: taskName, reason: cancelled });
        continue;
      }
      const taskStart = clock();
      const scope = scopeOf(taskName, plan, options.trigger ?? 'library');
      const baseMeta: Record<string, unknown> = { runId, scope };
      let run: SyncRun | null = null;
      try {
        run = await syncLogger.start(taskName, baseMeta);
      } catch (error) {
        logger.error('could not write the sync_logs row', {
          task: taskName,
          error: scrub(String(error), secrets),
        });
      }
      let result: TaskResult;
      try {
        if (lockLost !== null) {
          result = notRunAfterLockLoss(runId, lockLost);
        } else if (taskName === 'check_data_quality') {
          // Reads the database only: it runs after FMP refused the run too, over what was written.
          result = await runQualityTask(ctx, { since: plan.window.from });
        } else if (fatal !== null && taskName !== 'get_russell_2000_list') {
          result = skippedAfterFatal(runId, fatal);
        } else if (taskName === REPAIR) {
          result = await runRepairTask(ctx, {
            ...(plan.tickers !== null ? { tickers: plan.tickers } : {}),
            maxRequests: plan.repairMaxRequests,
            historyFrom: plan.historyFrom,
            fund: plan.fund,
            concurrency: plan.concurrency,
            failureThreshold: plan.failureThreshold,
            ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          });
          if (result.fatal !== null) fatal = { message: result.fatal.message, task: taskName };
        } else if (taskName === 'get_russell_2000_list') {
          result = await runUniverseTask(ctx, {
            ...(options.tickersSource !== undefined ? { source: options.tickersSource } : {}),
            minTickers: plan.minTickers,
            fund: plan.fund,
            ...(deps.fetchText ? { fetchText: deps.fetchText } : {}),
          });
          if (result.status === 'failed') {
            universeNote = `the universe task failed (${result.errorMessage}); using the last good universe`;
          }
        } else {
          let tickers: string[];
          let universe: Record<string, unknown>;
          if (plan.tickers !== null) {
            tickers = plan.tickers;
            universe = { source: 'explicit', tickers: tickers.length };
          } else {
            const u = await loadUniverse(ctx);
            tickers = u.tickers;
            universe = {
              source: u.from,
              tickers: tickers.length,
              ...(universeNote ? { note: universeNote } : {}),
            };
            if (universeNote) logger.warn(universeNote, { task: taskName, tickers: tickers.length });
          }
          result =
            taskName === 'ingest_market_data'
              ? await runPricesTask(ctx, {
                  tickers,
                  window: plan.window,
                  mode: plan.mode,
                  concurrency: plan.concurrency,
                  failureThreshold: plan.failureThreshold,
                  backfill: plan.backfill,
                  splitCheck: !plan.backfill,
                  ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
                })
              : await runDcfTask(ctx, {
                  tickers,
                  mode: plan.mode,
                  concurrency: plan.dcfConcurrency,
                  failureThreshold: plan.failureThreshold,
                  ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
                });
          result.metadata.universe = universe;
          if (result.fatal !== null) fatal = { message: result.fatal.message, task: taskName };
        }
      } catch (error) {
        const message = scrub(error instanceof Error ? error.message : String(error), secrets);
        logger.error('task failed', { task: taskName, error: message });
        result = {
          status: 'failed',
          rowsInserted: 0,
          rowsChanged: 0,
          tickers: 0,
          counts: {},
          errorMessage: message,
          failures: [],
          metadata: { runId },
          fatal: null,
        };
      }
      if (cancelled !== null && result.errorMessage === cancelled) {
        // The task the cancel stopped (its stop reason is the cancel's): `failed` with that reason, its counts
        // holding only the tickers that finished. A task that finished before the cancel keeps its result.
        result = { ...result, metadata: { ...result.metadata, cancelled: true } };
      } else if (lockLost !== null && result.status !== 'failed') {
        result = { ...result, status: 'failed', errorMessage: lockLost };
      } else if (lockLost !== null && result.errorMessage !== lockLost && !result.metadata.notRunBecause) {
        result = { ...result, errorMessage: `${lockLost}; ${result.errorMessage ?? ''}`.replace(/; $/, '') };
      }
      const metadata: Record<string, unknown> = { ...result.metadata, runId, scope, counts: result.counts };
      const rowsUpdated = result.rowsInserted + result.rowsChanged;
      let syncLogId: number | null = run?.id ?? null;
      if (run !== null) {
        try {
          if (result.status === 'success') await run.succeed({ rowsUpdated, metadata });
          else if (result.status === 'partial') {
            await run.partial({
              rowsUpdated,
              metadata,
              ...(result.errorMessage ? { errorMessage: result.errorMessage } : {}),
            });
          } else await run.fail(result.errorMessage ?? 'failed', { rowsUpdated, metadata });
        } catch (error) {
          syncLogId = null;
          logger.error('could not finish the sync_logs row', {
            task: taskName,
            error: scrub(String(error), secrets),
          });
        }
      }
      const taskEnd = clock();
      logger.info('task finished', {
        task: taskName,
        status: result.status,
        rowsUpdated,
        counts: result.counts,
      });
      tasks.push({
        taskName,
        status: result.status,
        syncLogId,
        rowsInserted: result.rowsInserted,
        rowsChanged: result.rowsChanged,
        rowsUpdated,
        durationSeconds: seconds(taskStart, taskEnd),
        tickers: result.tickers,
        counts: result.counts,
        errorMessage: result.errorMessage === null ? null : scrub(result.errorMessage, secrets),
        failures: result.failures,
        metadata,
        ...(isQuality(metadata.quality) ? { quality: metadata.quality } : {}),
      });
    }

    const completedAt = clock();
    // A task the cancel kept from running leaves the night incomplete: never `success`.
    const status: TaskStatus =
      tasks.some((t) => t.status === 'failed') || notRun.length > 0
        ? 'failed'
        : tasks.some((t) => t.status === 'partial')
          ? 'partial'
          : 'success';
    const summary: SyncSummary = {
      schemaVersion: SUMMARY_SCHEMA_VERSION,
      runId,
      status,
      startedAt: startedAt.toISOString(),
      completedAt: completedAt.toISOString(),
      durationSeconds: seconds(startedAt, completedAt),
      rowsUpdated: tasks.reduce((a, t) => a + t.rowsUpdated, 0),
      logPath: join(deps.dataDir, FAILED_LOG_FILE),
      tasks,
      ...(cancelled !== null ? { cancelled: { reason: cancelled, notRun } } : {}),
    };
    // What the client learned about the key's plan (a budget above it met 429s), said once more here.
    const advice = (client as FmpClient | null)?.stats.rateAdvice ?? null;
    if (advice !== null) summary.notices = [scrub(advice, secrets)];
    logger.info('sync finished', { status, rowsUpdated: summary.rowsUpdated });
    return summary;
  } finally {
    // A client the run made is the run's to close (a shared budget holds a Redis connection); a client the
    // caller passed stays the caller's.
    if (typeof deps.fmp === 'function') {
      await (client as FmpClient | null)
        ?.close()
        .catch((error: unknown) =>
          logger.warn('could not close the FMP client', { error: scrub(String(error), secrets) }),
        );
    }
    await lock.release();
  }
}

function isQuality(value: unknown): value is QualitySummary {
  return typeof value === 'object' && value !== null && Array.isArray((value as QualitySummary).findings);
}

function notRunAfterLockLoss(runId: string, message: string): TaskResult {
  return {
    status: 'failed',
    rowsInserted: 0,
    rowsChanged: 0,
    tickers: 0,
    counts: {},
    errorMessage: `not run: ${message}`,
    failures: [],
    metadata: { runId, notRunBecause: message },
    fatal: null,
  };
}

function skippedAfterFatal(runId: string, fatal: { message: string; task: TaskName }): TaskResult {
  return {
    status: 'failed',
    rowsInserted: 0,
    rowsChanged: 0,
    tickers: 0,
    counts: {},
    errorMessage: `not run: FMP refused the run during ${fatal.task}: ${fatal.message}`,
    failures: [],
    metadata: { runId, notRunBecause: fatal.message, fmpRequests: 0 },
    fatal: null,
  };
}

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as core from '@actions/core';
import { type Logger, redactSecrets } from '@smartstock/common';
import { createDatabase, migrate } from '@smartstock/db';
import { checkSharedBudget } from '@smartstock/fmp-client';
import { createRunMonitor, createSyncClient, runDailySync, type SyncSummary } from '@smartstock/ingest-core';
import { SyncLogger } from '@smartstock/sync-logger';
import {
  type ActionInputs,
  clientSettingsOf,
  INPUT_NAMES,
  InputError,
  parseInputs,
  runOptionsOf,
  secretValues,
} from './inputs.js';
import { writeJobSummary } from './summary.js';

function fieldsText(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** Log lines go to the step log with the runId; warnings and errors stay plain lines (annotations come at the end). */
function actionLogger(secrets: string[], runId: string): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) =>
    redactSecrets(`${level.padEnd(5)} ${message} ${fieldsText({ ...fields, runId })}`.trimEnd(), secrets);
  return {
    debug: (m, f) => core.debug(line('debug', m, f)),
    info: (m, f) => core.info(line('info', m, f)),
    warn: (m, f) => core.info(line('warn', m, f)),
    error: (m, f) => core.info(line('error', m, f)),
  };
}

function errorCode(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * GitHub cancels a job (and ends one past its timeout) with SIGINT, then SIGTERM 7.5 s later, then a kill
 * 2.5 s after that. The first signal cancels the sync cleanly (no new request, fetched rows written, the
 * running task's row `failed` with "cancelled by SIGINT", later tasks not run); the exit code is then 130 or
 * 143. The same signal twice exits at once.
 */
function cancelOnSignals(): { signal: AbortSignal; received: () => NodeJS.Signals | null; dispose(): void } {
  const cancel = new AbortController();
  let first: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === first) process.exit(signal === 'SIGINT' ? 130 : 143);
    if (first !== null) return;
    first = signal;
    core.warning(`${signal}: cancelling the sync (what was fetched is written)`);
    cancel.abort(`cancelled by ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: cancel.signal,
    received: () => first,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The run's page on GitHub, linked from Slack and Discord alerts. */
function githubRunUrl(): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: id } = process.env;
  return server && repo && id ? `${server}/${repo}/actions/runs/${id}` : undefined;
}

/** The entrypoint: never throws; a failure sets the exit code to 1 with its reason. */
export async function run(): Promise<void> {
  const signals = cancelOnSignals();
  try {
    await runAction(signals.signal);
    const received = signals.received();
    if (received !== null) process.exitCode = received === 'SIGINT' ? 130 : 143;
  } finally {
    signals.dispose();
  }
}

async function runAction(cancel: AbortSignal): Promise<void> {
  const raw: Record<string, string> = {};
  for (const name of INPUT_NAMES) raw[name] = core.getInput(name);
  // Masked before anything else can print them, including a validation error about them.
  const secrets = secretValues({
    apiKey: raw['fmp-api-key'] ?? '',
    databaseUrl: raw['database-url'] ?? '',
    budgetRedisUrl: raw['budget-redis-url'] ?? '',
  });
  for (const secret of secrets) core.setSecret(secret);
  // A webhook's or a check's URL is its credential: masked in the log like the key.
  for (const name of ['notify-urls', 'ping-url']) {
    for (const url of (raw[name] ?? '').split(/[\s,]+/).filter(Boolean)) core.setSecret(url);
  }
  const redact = (text: string) => redactSecrets(text, secrets);
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  let summary: SyncSummary | null = null;
  let inputs: ActionInputs | null = null;
  try {
    inputs = parseInputs(raw, workspace);
    summary = await sync(inputs, secrets, cancel);
    setOutputs(summary, inputs.dataDir);
    await writeJobSummary(summary, { strict: inputs.strict, redact });
    annotate(summary, inputs.strict, redact);
    const failedTasks = summary.tasks.filter(
      (t) => t.status === 'failed' || (inputs!.strict && t.status === 'partial'),
    );
    if (failedTasks.length > 0) {
      const reasons = failedTasks.map((t) =>
        t.status === 'partial'
          ? `${t.taskName} partial (strict: true)`
          : `${t.taskName} failed: ${t.errorMessage ?? 'see the log'}`,
      );
      core.setFailed(redact(`smartstock sync ${summary.status}: ${reasons.join('; ')}`));
    }
  } catch (error) {
    const reason = describeFailure(error);
    core.setOutput('status', 'failed');
    core.setOutput('rows-updated', '0');
    core.setOutput('summary-json', '');
    core.setOutput('log-path', inputs ? path.join(inputs.dataDir, 'failed_ingestion.log') : '');
    await writeJobSummary(null, { strict: false, redact, failure: reason });
    core.setFailed(redact(reason));
  }
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof InputError) return message;
  const code = errorCode(error);
  if (code === 'RUN_LOCKED') return `another sync is running: the database run lock is held (${message})`;
  if (code === 'CONNECTION_FAILED') return `could not connect to the database: ${message}`;
  if (code?.startsWith('MIGRATION')) return `could not migrate the database: ${message}`;
  return `smartstock sync could not run: ${message}`;
}

async function sync(inputs: ActionInputs, secrets: string[], cancel: AbortSignal): Promise<SyncSummary> {
  const runId = randomUUID();
  const logger = actionLogger(secrets, runId);
  // Alerts and the dead-man's switch; a night that cannot start still pings /fail.
  const monitor = createRunMonitor(inputs.monitor, { logger, secrets, runUrl: githubRunUrl() });
  await monitor.started();
  const couldNotRun = async (error: unknown): Promise<never> => {
    await monitor.couldNotRun(error instanceof Error ? error.message : String(error));
    throw error;
  };
  // An unreachable shared budget fails the night at start, as an unreachable database does.
  if (inputs.budgetRedisUrl !== undefined) {
    await checkSharedBudget({ redisUrl: inputs.budgetRedisUrl }).catch(couldNotRun);
  }
  const db = await core
    .group('Connect and migrate the database', async () => {
      const database = await createDatabase({ url: inputs.databaseUrl, dataDir: inputs.dataDir, logger });
      try {
        const { applied } = await migrate(database, { logger });
        logger.info(
          applied.length
            ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
            : 'schema up to date',
          {
            database: database.description,
          },
        );
      } catch (error) {
        await database.close();
        throw error;
      }
      return database;
    })
    .catch(couldNotRun);
  try {
    const summary = await core
      .group(`Sync: ${inputs.tasks.join(', ')}`, () =>
        runDailySync(
          {
            db,
            fmp: () => createSyncClient(clientSettingsOf(inputs), { logger }),
            logger,
            dataDir: inputs.dataDir,
            onProgress: progressLogger(logger),
            signal: cancel,
          },
          {
            ...runOptionsOf(inputs),
            runId,
            secrets,
            // The schedule's nightly run is the one a health check judges; a manual dispatch is the Action's.
            trigger: process.env.GITHUB_EVENT_NAME === 'schedule' ? 'schedule' : 'action',
          },
        ),
      )
      .catch(couldNotRun);
    // Alerts never change the outcome; what they could not deliver is logged and kept in sync_logs metadata.
    const deliveries = await monitor.finished(summary);
    if (deliveries.length > 0) {
      const ids = summary.tasks.map((t) => t.syncLogId).filter((id): id is number => id !== null);
      await new SyncLogger(db, { secrets })
        .addMetadata(ids, { alerts: deliveries })
        .catch((error: unknown) =>
          logger.warn('could not record the alerts in sync_logs', { error: String(error) }),
        );
    }
    return summary;
  } finally {
    await db.close();
  }
}

/** CI logs have no progress bar: a line at every tenth of each task. */
function progressLogger(logger: Logger) {
  const seen = new Map<string, number>();
  return (e: { task: string; done: number; total: number; failed: number }) => {
    const step = e.total > 0 ? Math.floor((e.done / e.total) * 10) : 0;
    if (step <= (seen.get(e.task) ?? -1)) return;
    seen.set(e.task, step);
    logger.info(`${e.task} progress ${e.done}/${e.total}`, { failed: e.failed });
  };
}

function setOutputs(summary: SyncSummary, dataDir: string): void {
  core.setOutput('status', summary.status);
  core.setOutput('rows-updated', String(summary.rowsUpdated));
  core.setOutput('summary-json', JSON.stringify(summary));
  core.setOutput('log-path', summary.logPath || path.join(dataDir, 'failed_ingestion.log'));
}

function annotate(summary: SyncSummary, strict: boolean, redact: (s: string) => string): void {
  for (const task of summary.tasks) {
    if (task.status === 'failed') {
      core.error(redact(`${task.taskName} failed: ${task.errorMessage ?? 'see the log'}`), {
        title: `smartstock: ${task.taskName} failed`,
      });
    } else if (task.status === 'partial') {
      const missed = (task.counts.failed ?? 0) + (task.counts.skipped ?? 0);
      const text = `${task.taskName} partial: ${missed} ticker(s) failed or skipped (see the job summary and ${summary.logPath})`;
      if (strict) core.error(redact(text), { title: `smartstock: ${task.taskName} partial` });
      else core.warning(redact(text), { title: `smartstock: ${task.taskName} partial` });
    }
  }
}

/**
 * Child-process entry: one pipeline run, exactly as the CLI runs it (createFmpClient + runDailySync against a
 * fresh database), in a process of its own so that its peak RSS is the pipeline's and nobody else's.
 *
 * Protocol (IPC): parent sends { type: 'run', config }, child answers { type: 'done', result } or
 * { type: 'error', message } and exits.
 */
import { performance } from 'node:perf_hooks';
import { createDatabase, type Database, migrate } from '@smartstock/db';
import { createFmpClient } from '@smartstock/fmp-client';
import { runDailySync } from '@smartstock/ingest-core';
import { stderrLogger } from './log.js';
import type {
  PipelineChildMessage,
  PipelineParentMessage,
  PipelineRunConfig,
  PipelineRunResult,
} from './protocol.js';

function maxRssMb(): number {
  // getrusage's ru_maxrss: kilobytes on Linux.
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

async function run(config: PipelineRunConfig): Promise<PipelineRunResult> {
  const logger = stderrLogger('pipeline', 'warn');
  const db: Database = await createDatabase(
    config.database.kind === 'postgres'
      ? { url: config.database.url, logger }
      : { dataDir: config.database.dataDir, logger },
  );
  try {
    await migrate(db, { logger });
    const fmp = createFmpClient({
      apiKey: config.fmp.apiKey,
      baseUrl: config.fmp.baseUrl,
      rateLimit: config.fmp.rateLimit,
      maxConcurrent: config.fmp.maxConcurrent,
      ...(config.fmp.budget ? { budget: config.fmp.budget } : {}),
      ...(config.fmp.adaptiveRate !== undefined ? { adaptiveRate: config.fmp.adaptiveRate } : {}),
      logger,
    });
    const baselineRssMb = maxRssMb();
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.timeOrigin + performance.now();
    const summary = await runDailySync(
      { db, fmp, logger, dataDir: config.workDir },
      { ...config.sync, secrets: [config.fmp.apiKey] },
    ).finally(() => fmp.close());
    const completedAt = performance.timeOrigin + performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    return {
      wallSeconds: (completedAt - startedAt) / 1000,
      startedAt,
      completedAt,
      peakRssMb: maxRssMb(),
      baselineRssMb,
      cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
      clientStats: {
        requests: fmp.stats.requests,
        retries: fmp.stats.retries,
        rateLimited: fmp.stats.rateLimited,
        rateAdvice: fmp.stats.rateAdvice,
      },
      summary: {
        status: summary.status,
        rowsUpdated: summary.rowsUpdated,
        tasks: summary.tasks.map((t) => ({
          taskName: t.taskName,
          status: t.status,
          rowsInserted: t.rowsInserted,
          rowsChanged: t.rowsChanged,
          counts: t.counts,
          errorMessage: t.errorMessage,
        })),
      },
    };
  } finally {
    await db.close();
  }
}

function send(message: PipelineChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

process.once('message', (raw) => {
  const message = raw as PipelineParentMessage;
  void run(message.config)
    .then((result) => send({ type: 'done', result }))
    .catch((error: unknown) =>
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
    )
    .finally(() => process.exit(0));
});

process.on('disconnect', () => process.exit(1));

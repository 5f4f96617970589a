/**
 * The pipeline scenarios: the real createFmpClient + runDailySync, in a child process, against the sandbox in
 * another child process over loopback, writing into a fresh database.
 */
import { migrate } from '@smartstock/db';
import { maxRequestsInAnyWindow, requestsPerWindow, round, steadyState, utilization } from '../analysis.js';
import {
  freshEmbedded,
  freshPostgres,
  freshPreferred,
  NO_POSTGRES_REASON,
  postgresServerUrl,
  type ScratchDatabase,
  tempDir,
} from '../databases.js';
import { progress } from '../log.js';
import { apiRequests, runPipelineProcess, type SandboxProcess, startSandboxProcess } from '../processes.js';
import type { PipelineRunConfig, PipelineRunResult, SandboxProcessOptions } from '../protocol.js';
import { emptyResult, type ScenarioResult } from '../report.js';
import { openTarget, readStoredPrices } from './stored.js';

const SEED = 20_240_601;

export interface Resources {
  sandbox: SandboxProcess;
  databases: ScratchDatabase[];
  workDirs: { path: string; dispose(): Promise<void> }[];
}

/** Starts the sandbox, hands it to `body`, and always stops it and drops every database made for it. */
export async function withSandbox<T>(
  options: SandboxProcessOptions,
  body: (r: Resources) => Promise<T>,
): Promise<T> {
  const sandbox = await startSandboxProcess({ seed: SEED, ...options });
  const r: Resources = { sandbox, databases: [], workDirs: [] };
  try {
    return await body(r);
  } finally {
    await sandbox.stop();
    for (const d of r.databases) await d.dispose().catch((e) => progress(`  cleanup failed: ${String(e)}`));
    for (const w of r.workDirs) await w.dispose().catch(() => {});
  }
}

export async function pipelineRun(
  r: Resources,
  db: ScratchDatabase,
  label: string,
  fmp: Omit<PipelineRunConfig['fmp'], 'apiKey' | 'baseUrl'>,
  sync: PipelineRunConfig['sync'],
): Promise<PipelineRunResult> {
  const work = await tempDir(label);
  r.workDirs.push(work);
  // The schema is created here, before the pipeline process starts: a nightly run or a backfill opens an
  // existing database, and PGlite's first initialisation of a data directory alone peaks near 1 GB, which
  // would otherwise hide the run's own memory in peakRssMb.
  const prepared = await openTarget(db.target);
  try {
    await migrate(prepared);
  } finally {
    await prepared.close();
  }
  const result = await runPipelineProcess({
    database: db.target,
    workDir: work.path,
    fmp: { apiKey: r.sandbox.apiKey, baseUrl: r.sandbox.url, ...fmp },
    sync,
  });
  progress(
    `  ${label}: ${result.summary.status} in ${result.wallSeconds.toFixed(1)} s, ` +
      `${result.summary.rowsUpdated} rows, tasks ${result.summary.tasks.map((t) => `${t.taskName}=${t.status}`).join(' ')}`,
  );
  return result;
}

export function summaryDetails(run: PipelineRunResult): Record<string, unknown> {
  return {
    pipelineCpuSeconds: run.cpuSeconds,
    pipelineStatus: run.summary.status,
    tasks: run.summary.tasks.map((t) => ({
      task: t.taskName,
      status: t.status,
      counts: t.counts,
      ...(t.errorMessage ? { error: t.errorMessage } : {}),
    })),
    baselineRssMb: run.baselineRssMb,
  };
}

export function count429(statuses: number[]): number {
  return statuses.filter((s) => s === 429).length;
}

// ---------------------------------------------------------------------------------------------- rate-limited

export const RATE_LIMITED = {
  tickers: 2000,
  limit: 1200,
  windowMs: 60_000,
  latencyMs: 30,
  concurrency: 50,
};

export async function rateLimited(): Promise<ScenarioResult> {
  const c = RATE_LIMITED;
  const result = emptyResult(
    'rate-limited',
    `utilization in [0.95, 1.0], maxRequestsInAnyWindow <= ${c.limit}, zero 429s`,
  );
  return withSandbox(
    { tickers: c.tickers, rpm: c.limit, rateWindowMs: c.windowMs, latencyMs: c.latencyMs },
    async (r) => {
      const db = await freshPreferred('rate-limited');
      r.databases.push(db);
      const tickers = r.sandbox.symbols.slice(0, c.tickers);
      const run = await pipelineRun(
        r,
        db,
        'rate-limited',
        { rateLimit: { requests: c.limit, windowMs: c.windowMs }, maxConcurrent: c.concurrency },
        { tasks: ['prices', 'dcf'], tickers, concurrency: c.concurrency },
      );
      const { starts, statuses } = apiRequests(await r.sandbox.requestLog());
      const own = await r.sandbox.counters(c.windowMs);
      const steady = steadyState(starts, c.windowMs);
      const configuredPerSecond = (c.limit * 1000) / c.windowMs;
      const maxInWindow = maxRequestsInAnyWindow(starts, c.windowMs);
      const u = utilization(steady.ratePerSecond, configuredPerSecond);
      const http429 = count429(statuses);
      Object.assign(result, {
        tickers: tickers.length,
        requests: starts.length,
        wallSeconds: round(run.wallSeconds, 2),
        configuredRpm: round(configuredPerSecond * 60, 1),
        achievedRpm: steady.ratePerSecond === null ? null : round(steady.ratePerSecond * 60, 1),
        utilization: u,
        maxRequestsInAnyWindow: maxInWindow,
        http429,
        retries: run.clientStats.retries,
        rowsWritten: run.summary.rowsUpdated,
        peakRssMb: run.peakRssMb,
        met: u !== null && u >= 0.95 && u <= 1.0 && maxInWindow <= c.limit && http429 === 0,
        details: {
          database: db.target.kind,
          sandbox: { rpm: c.limit, rateWindowMs: c.windowMs, latencyMs: c.latencyMs },
          client: { rateLimit: { requests: c.limit, windowMs: c.windowMs }, maxConcurrent: c.concurrency },
          steadyState: {
            seconds: round((steady.to - steady.from) / 1000, 2),
            requests: steady.requests,
          },
          // Complete windows from the first request: how much of each window's budget was used. Unlike the
          // steady-state rate, this does not tell a client that bursts at each window's start from one that
          // spreads its starts evenly.
          requestsPerWindow: requestsPerWindow(starts, c.windowMs),
          clientCounted429: run.clientStats.rateLimited,
          // The sandbox's own bookkeeping (millisecond clock), as a cross-check of the figures above.
          sandboxCounted: own && {
            requests: own.requests,
            maxRequestsInWindow: own.maxRequestsInWindow,
            rateLimited: own.rateLimited,
          },
          ...summaryDetails(run),
        },
      });
      return result;
    },
  );
}

// ---------------------------------------------------------------------------------------------- bulk

export const BULK = { tickers: 2000, days: 5, latencyMs: 30, maxRequests: 10 };

export async function bulk(): Promise<ScenarioResult> {
  const c = BULK;
  const result = emptyResult(
    'bulk',
    `<= ${c.maxRequests} requests, and the same stored values as per-symbol mode`,
  );
  return withSandbox({ tickers: c.tickers, rpm: 0, latencyMs: c.latencyMs, plan: 'ultimate' }, async (r) => {
    const tickers = r.sandbox.symbols.slice(0, c.tickers);
    const bulkDb = await freshPreferred('bulk');
    r.databases.push(bulkDb);
    const bulkRun = await pipelineRun(
      r,
      bulkDb,
      'bulk (bulk mode)',
      { rateLimit: null, maxConcurrent: 50 },
      { tasks: ['prices'], tickers, days: c.days, mode: 'bulk' },
    );
    const bulkLog = await r.sandbox.requestLog();
    const afterBulk = bulkLog.starts.length;
    const bulkRequests = apiRequests(bulkLog);

    const perSymbolDb = await freshPreferred('bulk-per-symbol');
    r.databases.push(perSymbolDb);
    const perSymbolRun = await pipelineRun(
      r,
      perSymbolDb,
      'bulk (per-symbol mode, for comparison)',
      { rateLimit: null, maxConcurrent: 50 },
      { tasks: ['prices'], tickers, days: c.days, mode: 'per-symbol' },
    );
    const perSymbolRequests = apiRequests(await r.sandbox.requestLog(), afterBulk);

    const a = await readStoredPrices(bulkDb.target);
    const b = await readStoredPrices(perSymbolDb.target);
    const comparison = compareTables(a, b);
    const requests = bulkRequests.starts.length;
    Object.assign(result, {
      tickers: tickers.length,
      requests,
      wallSeconds: round(bulkRun.wallSeconds, 2),
      http429: count429(bulkRequests.statuses),
      retries: bulkRun.clientStats.retries,
      rowsWritten: bulkRun.summary.rowsUpdated,
      peakRssMb: bulkRun.peakRssMb,
      met: requests <= c.maxRequests && comparison.identical && a.length > 0,
      details: {
        database: bulkDb.target.kind,
        days: c.days,
        perSymbol: {
          requests: perSymbolRequests.starts.length,
          wallSeconds: round(perSymbolRun.wallSeconds, 2),
          rowsWritten: perSymbolRun.summary.rowsUpdated,
        },
        comparedColumns: 'ticker, date, open, high, low, close, volume',
        rowsBulk: a.length,
        rowsPerSymbol: b.length,
        ...comparison,
        ...summaryDetails(bulkRun),
      },
    });
    return result;
  });
}

type StoredRow = Awaited<ReturnType<typeof readStoredPrices>>[number];

/** Compares OHLCV by (ticker, date); vwap/change differences are reported apart (they are derived in bulk). */
export function compareTables(
  a: StoredRow[],
  b: StoredRow[],
): {
  identical: boolean;
  onlyInBulk: number;
  onlyInPerSymbol: number;
  valueMismatches: number;
  derivedMismatches: number;
  examples: string[];
} {
  const key = (r: StoredRow) => `${r.ticker}|${r.date}`;
  const bByKey = new Map(b.map((r) => [key(r), r]));
  let onlyInBulk = 0;
  let valueMismatches = 0;
  let derivedMismatches = 0;
  const examples: string[] = [];
  for (const ra of a) {
    const rb = bByKey.get(key(ra));
    if (!rb) {
      onlyInBulk++;
      if (examples.length < 5) examples.push(`only in bulk: ${key(ra)}`);
      continue;
    }
    bByKey.delete(key(ra));
    const fields = ['open', 'high', 'low', 'close', 'volume'] as const;
    const diff = fields.filter((f) => ra[f] !== rb[f]);
    if (diff.length > 0) {
      valueMismatches++;
      if (examples.length < 5) {
        examples.push(`${key(ra)}: ${diff.map((f) => `${f} ${ra[f]} vs ${rb[f]}`).join(', ')}`);
      }
    }
    const close = (x: number | null, y: number | null) =>
      x === null || y === null ? x === y : Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(y));
    if (!close(ra.vwap, rb.vwap) || !close(ra.change, rb.change)) derivedMismatches++;
  }
  const onlyInPerSymbol = bByKey.size;
  for (const k of [...bByKey.keys()].slice(0, Math.max(0, 5 - examples.length))) {
    examples.push(`only in per-symbol: ${k}`);
  }
  return {
    identical: onlyInBulk === 0 && onlyInPerSymbol === 0 && valueMismatches === 0,
    onlyInBulk,
    onlyInPerSymbol,
    valueMismatches,
    derivedMismatches,
    examples,
  };
}

// ---------------------------------------------------------------------------------------------- backfill

export const BACKFILL = { tickers: 2000, years: 5, latencyMs: 30, concurrency: 50 };

export function yearsBefore(today: Date, years: number): string {
  const d = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate()));
  return d.toISOString().slice(0, 10);
}

export async function backfillMemory(kind: 'postgres' | 'embedded'): Promise<ScenarioResult> {
  const c = BACKFILL;
  const name = kind === 'postgres' ? 'backfill-memory' : 'backfill-memory-embedded';
  const limitMb = kind === 'postgres' ? 300 : 600;
  const result = emptyResult(name, `peak RSS of the pipeline process < ${limitMb} MB`);
  const server = postgresServerUrl();
  if (kind === 'postgres' && !server) return { ...result, skipped: NO_POSTGRES_REASON };
  return withSandbox({ tickers: c.tickers, rpm: 0, latencyMs: c.latencyMs }, async (r) => {
    const db = kind === 'postgres' ? await freshPostgres(server!, name) : await freshEmbedded(name);
    r.databases.push(db);
    const tickers = r.sandbox.symbols.slice(0, c.tickers);
    const now = new Date();
    const from = yearsBefore(now, c.years);
    const to = now.toISOString().slice(0, 10);
    const run = await pipelineRun(
      r,
      db,
      name,
      { rateLimit: null, maxConcurrent: c.concurrency },
      { tasks: ['prices'], tickers, from, to, concurrency: c.concurrency },
    );
    const { starts, statuses } = apiRequests(await r.sandbox.requestLog());
    Object.assign(result, {
      tickers: tickers.length,
      requests: starts.length,
      wallSeconds: round(run.wallSeconds, 2),
      http429: count429(statuses),
      retries: run.clientStats.retries,
      rowsWritten: run.summary.rowsUpdated,
      peakRssMb: run.peakRssMb,
      met: run.peakRssMb < limitMb && run.summary.rowsUpdated > 0,
      details: {
        database: kind,
        from,
        to,
        sandbox: { rpm: 0, latencyMs: c.latencyMs },
        ...summaryDetails(run),
      },
    });
    return result;
  });
}

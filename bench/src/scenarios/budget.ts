/**
 * The FMP budget scenarios: several pipeline processes on one key sharing a Redis budget, the sync beside
 * another user of the key, a budget set above the plan, and the production envelope (FMP's highest plan at
 * realistic latencies). Every figure is the sandbox's view: arrivals and statuses in its request log.
 */
import { type RedisServer, startRedisServer } from '@smartstock/testkit/redis';
import { maxRequestsInAnyWindow, round, steadyState, utilization } from '../analysis.js';
import { freshPreferred } from '../databases.js';
import { progress } from '../log.js';
import { apiRequests, startIntruderProcess } from '../processes.js';
import type { PipelineRunResult } from '../protocol.js';
import { emptyResult, type ScenarioResult } from '../report.js';
import { count429, pipelineRun, type Resources, summaryDetails, withSandbox } from './pipeline.js';

const WINDOW_MS = 60_000;

async function withRedis<T>(body: (redis: RedisServer) => Promise<T>): Promise<T> {
  const redis = await startRedisServer();
  try {
    return await body(redis);
  } finally {
    await redis.kill();
  }
}

/** Runs `processes` pipelines at once, each on its own slice of the tickers and its own database. */
async function concurrentRuns(
  r: Resources,
  label: string,
  tickers: string[],
  processes: number,
  fmp: Parameters<typeof pipelineRun>[3],
  concurrency: number,
): Promise<PipelineRunResult[]> {
  const per = Math.ceil(tickers.length / processes);
  const dbs = [];
  for (let i = 0; i < processes; i++) {
    const db = await freshPreferred(`${label}-${i}`);
    r.databases.push(db);
    dbs.push(db);
  }
  return Promise.all(
    dbs.map((db, i) =>
      pipelineRun(r, db, `${label} #${i + 1}`, fmp, {
        tasks: ['prices', 'dcf'],
        tickers: tickers.slice(i * per, (i + 1) * per),
        concurrency,
      }),
    ),
  );
}

/** The combined figures of a rate-limited run, judged against `limit` per 60 s. */
function combined(starts: number[], statuses: number[], limit: number) {
  const steady = steadyState(starts, WINDOW_MS);
  const u = utilization(steady.ratePerSecond, limit / 60);
  return {
    steady,
    u,
    maxInWindow: maxRequestsInAnyWindow(starts, WINDOW_MS),
    http429: count429(statuses),
  };
}

// ---------------------------------------------------------------------------------------------- shared-budget

export const SHARED_BUDGET = { tickers: 2000, processes: 3, limit: 1200, latencyMs: 30, concurrency: 50 };

export async function sharedBudget(): Promise<ScenarioResult> {
  const c = SHARED_BUDGET;
  const result = emptyResult(
    'shared-budget',
    `${c.processes} processes, one Redis budget: combined utilization >= 0.95, max in any 60 s <= ${c.limit}, zero 429s`,
  );
  return withRedis((redis) =>
    withSandbox(
      { tickers: c.tickers, rpm: c.limit, rateWindowMs: WINDOW_MS, latencyMs: c.latencyMs },
      async (r) => {
        const tickers = r.sandbox.symbols.slice(0, c.tickers);
        const runs = await concurrentRuns(
          r,
          'shared-budget',
          tickers,
          c.processes,
          {
            rateLimit: { requests: c.limit, windowMs: WINDOW_MS },
            maxConcurrent: c.concurrency,
            budget: { redisUrl: redis.url },
          },
          c.concurrency,
        );
        const { starts, statuses } = apiRequests(await r.sandbox.requestLog());
        const f = combined(starts, statuses, c.limit);
        Object.assign(result, {
          tickers: tickers.length,
          requests: starts.length,
          wallSeconds: round(Math.max(...runs.map((x) => x.wallSeconds)), 2),
          configuredRpm: c.limit,
          achievedRpm: f.steady.ratePerSecond === null ? null : round(f.steady.ratePerSecond * 60, 1),
          utilization: f.u,
          maxRequestsInAnyWindow: f.maxInWindow,
          http429: f.http429,
          rowsWritten: runs.reduce((a, x) => a + x.summary.rowsUpdated, 0),
          met: f.u !== null && f.u >= 0.95 && f.maxInWindow <= c.limit && f.http429 === 0,
          details: {
            processes: runs.map((x) => ({ requests: x.clientStats.requests, ...summaryDetails(x) })),
            cpuMsPerRequest: round(
              (runs.reduce((a, x) => a + x.cpuSeconds, 0) * 1000) / Math.max(1, starts.length),
              3,
            ),
          },
        });
        return result;
      },
    ),
  );
}

// ---------------------------------------------------------------------------------------------- intruder

export const INTRUDER = { tickers: 2000, limit: 1200, share: 0.2, latencyMs: 30, concurrency: 50 };

export async function sharedBudgetWithIntruder(): Promise<ScenarioResult> {
  const c = INTRUDER;
  const result = emptyResult(
    'shared-budget-with-intruder',
    `the sync + another user at ${c.share * 100}% of the plan, one Redis budget: zero 429s, combined utilization >= 0.95`,
  );
  return withRedis((redis) =>
    withSandbox(
      { tickers: c.tickers, rpm: c.limit, rateWindowMs: WINDOW_MS, latencyMs: c.latencyMs },
      async (r) => {
        const tickers = r.sandbox.symbols.slice(0, c.tickers);
        const budget = { redisUrl: redis.url };
        const rateLimit = { requests: c.limit, windowMs: WINDOW_MS };
        const intruder = await startIntruderProcess({
          apiKey: r.sandbox.apiKey,
          baseUrl: r.sandbox.url,
          rateLimit,
          budget,
          symbols: tickers.slice(0, 100),
          everyMs: WINDOW_MS / (c.limit * c.share),
        });
        let run: PipelineRunResult;
        try {
          const [only] = await concurrentRuns(
            r,
            'intruder',
            tickers,
            1,
            { rateLimit, maxConcurrent: c.concurrency, budget },
            c.concurrency,
          );
          run = only!;
        } finally {
          const sent = await intruder.stop();
          progress(`  intruder: ${sent.requests} requests, ${sent.rateLimited} × 429, ${sent.failed} failed`);
          result.details = { intruder: sent };
        }
        const log = await r.sandbox.requestLog();
        const { starts, statuses } = apiRequests(log);
        // Judged while both ran: from the sync's first request to its last.
        const during = starts
          .map((t, i) => [t, statuses[i]!] as const)
          .filter(([t]) => t >= run.startedAt && t <= run.completedAt);
        const f = combined(
          during.map(([t]) => t),
          during.map(([, s]) => s),
          c.limit,
        );
        Object.assign(result, {
          tickers: tickers.length,
          requests: starts.length,
          wallSeconds: round(run.wallSeconds, 2),
          configuredRpm: c.limit,
          achievedRpm: f.steady.ratePerSecond === null ? null : round(f.steady.ratePerSecond * 60, 1),
          utilization: f.u,
          maxRequestsInAnyWindow: maxRequestsInAnyWindow(starts, WINDOW_MS),
          http429: count429(statuses),
          rowsWritten: run.summary.rowsUpdated,
          met: f.u !== null && f.u >= 0.95 && count429(statuses) === 0,
          details: { ...result.details, syncRequests: run.clientStats.requests, ...summaryDetails(run) },
        });
        return result;
      },
    ),
  );
}

// ---------------------------------------------------------------------------------------------- misconfigured

export const MISCONFIGURED = { tickers: 1000, plan: 600, latencyMs: 30, concurrency: 50 };

export async function misconfiguredBudget(): Promise<ScenarioResult> {
  const c = MISCONFIGURED;
  const result = emptyResult(
    'misconfigured-budget',
    `client budget 2 × the plan: <= 15 × 429 in all, utilization of the real plan >= 0.85 over the run`,
  );
  return withSandbox(
    { tickers: c.tickers, rpm: c.plan, rateWindowMs: WINDOW_MS, latencyMs: c.latencyMs },
    async (r) => {
      const tickers = r.sandbox.symbols.slice(0, c.tickers);
      const [run] = await concurrentRuns(
        r,
        'misconfigured',
        tickers,
        1,
        { rateLimit: { requests: 2 * c.plan, windowMs: WINDOW_MS }, maxConcurrent: c.concurrency },
        c.concurrency,
      );
      const { starts, statuses } = apiRequests(await r.sandbox.requestLog());
      const accepted = statuses.filter((s) => s !== 429).length;
      const spanSeconds = (Math.max(...starts) - Math.min(...starts)) / 1000;
      // Over the whole run, first request to last: what the key's plan was used for.
      const overRun = spanSeconds > 0 ? round(accepted / spanSeconds / (c.plan / 60), 3) : null;
      const http429 = count429(statuses);
      Object.assign(result, {
        tickers: tickers.length,
        requests: starts.length,
        wallSeconds: round(run!.wallSeconds, 2),
        configuredRpm: 2 * c.plan,
        achievedRpm: spanSeconds > 0 ? round((accepted / spanSeconds) * 60, 1) : null,
        utilization: overRun,
        maxRequestsInAnyWindow: maxRequestsInAnyWindow(starts, WINDOW_MS),
        http429,
        rowsWritten: run!.summary.rowsUpdated,
        met: overRun !== null && overRun >= 0.85 && http429 <= 15,
        details: { planRpm: c.plan, rateAdvice: run!.clientStats.rateAdvice, ...summaryDetails(run!) },
      });
      return result;
    },
  );
}

// ---------------------------------------------------------------------------------------------- envelope

/** FMP's highest published plan (3,000 a minute) at realistic latencies, 64 prices workers. */
export const ENVELOPE = { tickers: 7500, plan: 3000, concurrency: 64 };

export async function productionEnvelope(latencyMs: number): Promise<ScenarioResult> {
  const c = ENVELOPE;
  const name = latencyMs >= 1000 ? 'latency-bound-1s' : 'latency-bound';
  const ceilingRpm = Math.min(c.plan, (c.concurrency * 60_000) / latencyMs);
  const result = emptyResult(
    name,
    `${c.plan}/min at ${latencyMs} ms: utilization >= 0.97 of min(plan, concurrency / latency), zero 429s, never over the plan`,
  );
  return withSandbox({ tickers: c.tickers, rpm: c.plan, rateWindowMs: WINDOW_MS, latencyMs }, async (r) => {
    const tickers = r.sandbox.symbols.slice(0, c.tickers);
    const db = await freshPreferred(name);
    r.databases.push(db);
    const run = await pipelineRun(
      r,
      db,
      name,
      { rateLimit: { requests: c.plan, windowMs: WINDOW_MS }, maxConcurrent: c.concurrency },
      { tasks: ['prices'], tickers, concurrency: c.concurrency },
    );
    const { starts, statuses } = apiRequests(await r.sandbox.requestLog());
    const f = combined(starts, statuses, ceilingRpm);
    Object.assign(result, {
      tickers: tickers.length,
      requests: starts.length,
      wallSeconds: round(run.wallSeconds, 2),
      configuredRpm: ceilingRpm,
      achievedRpm: f.steady.ratePerSecond === null ? null : round(f.steady.ratePerSecond * 60, 1),
      utilization: f.u,
      maxRequestsInAnyWindow: f.maxInWindow,
      http429: f.http429,
      retries: run.clientStats.retries,
      rowsWritten: run.summary.rowsUpdated,
      peakRssMb: run.peakRssMb,
      met: f.u !== null && f.u >= 0.97 && f.http429 === 0 && f.maxInWindow <= c.plan,
      details: {
        latencyMs,
        concurrency: c.concurrency,
        cpuMsPerRequest: round((run.cpuSeconds * 1000) / Math.max(1, starts.length), 3),
        ...summaryDetails(run),
      },
    });
    return result;
  });
}

import type { Database } from '@smartstock/db';
import { createFmpClient } from '@smartstock/fmp-client';
import { FAULT_KINDS, type FaultKind, type FaultRates, type Sandbox } from '@smartstock/fmp-sandbox';
import { runDailySync, type SyncSummary, syncSummarySchema, type TaskSummary } from '@smartstock/ingest-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type BackendName, createBackend, type SharedDatabase } from './backends.js';
import { assertCliBuilt, runCli } from './cli.js';
import { referenceRun } from './reference.js';
import {
  compareTable,
  type DataTables,
  type FailedLine,
  readDataTables,
  readFailedLog,
  readSyncLogs,
  type SyncLogRow,
} from './tables.js';
import { fmpEnv, HANG_DEADLINE, pastWindow, startWorld, syncArgs, type Window } from './world.js';

/** Single-kind rates: every kind alone at each of these. */
export const SINGLE_RATES = [0.05, 0.1, 0.2] as const;
/** Every kind at once, sharing these shares of all requests equally (20% = ~2.9% per kind). */
export const COMBINED_TOTALS = [0.1, 0.2] as const;
const FMP_TASKS = ['ingest_market_data', 'ingest_all_dcf'] as const;
const DEFAULT_THRESHOLD = 0.05;

export interface Tally {
  backend: BackendName;
  faultCombinations: number;
  runs: number;
  rowsCompared: number;
  rowsLost: number;
  rowsWrong: number;
  tickersReportedFailed: number;
}

interface FaultyRun {
  summary: SyncSummary;
  /** Everything the run printed or logged (scanned for the key). */
  output: string;
  /** Reads the run's database. */
  read<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  /** Where its failed_ingestion.log is. */
  dataDir: string;
}

async function readAll(db: Database): Promise<{ tables: DataTables; logs: SyncLogRow[] }> {
  return { tables: await readDataTables(db), logs: await readSyncLogs(db) };
}

interface CaseOutcome {
  summary: SyncSummary;
  failedTickers: Record<(typeof FMP_TASKS)[number], string[]>;
}

/** The expected status of a task from its counts (issue 4 §4), whatever the faults did. */
function expectedStatus(task: TaskSummary, threshold: number): string {
  const c = task.counts;
  const bad = (c.failed ?? 0) + (c.skipped ?? 0);
  if (bad / task.tickers > threshold) return 'failed';
  return bad + (c.invalid_rows ?? 0) > 0 ? 'partial' : 'success';
}

function describeFaults(faults: FaultRates): string {
  return Object.entries(faults)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/**
 * Each fault kind of the sandbox alone and all together, each run compared with a
 * fault-free reference run on the same backend: no stored row differs from the reference, no reference row is
 * missing except for tickers the run reported (failed_ingestion.log, the summary counts, sync_logs), and the
 * status follows the failure threshold.
 */
export function defineFaultMatrix(backendName: BackendName): void {
  describe(`the daily sync under injected faults (${backendName})`, () => {
    let backend: Backend;
    let sandbox: Sandbox;
    let window: Window;
    let reference: DataTables;
    let shared: SharedDatabase;
    const tally: Tally = {
      backend: backendName,
      faultCombinations: 0,
      runs: 0,
      rowsCompared: 0,
      rowsLost: 0,
      rowsWrong: 0,
      tickersReportedFailed: 0,
    };

    beforeAll(async () => {
      assertCliBuilt();
      sandbox = await startWorld();
      backend = await createBackend(backendName, 'faults');
      window = pastWindow();
      const run = await referenceRun(backend, sandbox, window);
      const summary = syncSummarySchema.parse(JSON.parse(run.result.stdout));
      expect(summary.tasks.map((t) => t.status)).toEqual(['success', 'success', 'success', 'success']);
      reference = run.tables;
      tally.runs++;
      // The reference itself is checked against the market: every listed symbol × every session, and one DCF
      // row per symbol that has one.
      const universe = new Set(sandbox.market.tickers().map((t) => t.fmpSymbol));
      const withBars = sandbox.market.fmpSymbols().filter((s) => universe.has(s));
      expect(window.sessions.length).toBeGreaterThanOrEqual(3);
      expect(reference.prices.size).toBe(withBars.length * window.sessions.length);
      expect(reference.dcf.size).toBe(sandbox.market.dcfSymbols().filter((s) => universe.has(s)).length);
      expect(reference.duplicates).toBe(0);
      shared = await backend.shared();
    });

    afterAll(async () => {
      await shared?.close();
      await sandbox?.stop();
      await backend?.dispose();
      // The README quotes these figures.
      console.info(`reliability tally: ${JSON.stringify(tally)}`);
    });

    interface RunOptions {
      /** `cli`: the built binary in a fresh database; `library`: runDailySync in this process (the default). */
      via?: 'cli' | 'library';
      threshold?: number;
      sandbox?: Sandbox;
    }

    /**
     * One faulty run. Through the CLI it proves the whole entry point (flags, client options, exit code);
     * through the library, with the client options the CLI builds from the same flags, it proves the pipeline
     * without paying a process start and a database open per case.
     */
    async function faultyRun(faults: FaultRates, options: RunOptions): Promise<FaultyRun> {
      const sandbox = options.sandbox ?? worldSandbox();
      const threshold = options.threshold ?? DEFAULT_THRESHOLD;
      if (options.via === 'cli') {
        const target = await backend.fresh(describeFaults(faults).replace(/\W+/g, '_'));
        const extra = [
          ...(threshold === DEFAULT_THRESHOLD ? [] : ['--failure-threshold', String(threshold)]),
          // Hung requests need a short deadline. Runs without them keep the CLI's own, so a slow answer on a busy
          // machine cannot turn into a failure (the threshold pair must meet the same failures twice).
          ...('timeout' in faults ? HANG_DEADLINE : []),
        ];
        const result = await runCli(syncArgs(sandbox, target, window, extra), {
          env: fmpEnv(sandbox, target),
          cwd: target.dataDir,
        });
        const summary = syncSummarySchema.parse(JSON.parse(result.stdout));
        expect(result.code, result.stderr).toBe(summary.status === 'failed' ? 1 : 0);
        return {
          summary,
          output: result.stdout + result.stderr,
          read: (fn) => target.withDb(fn),
          dataDir: target.dataDir,
        };
      }
      const dataDir = await shared.nextCase(describeFaults(faults).replace(/\W+/g, '_'));
      const lines: string[] = [];
      const record = (level: string) => (message: string, fields?: Record<string, unknown>) =>
        lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
      const logger = {
        debug: record('debug'),
        info: record('info'),
        warn: record('warn'),
        error: record('error'),
      };
      const db = shared.db;
      const summary = await runDailySync(
        {
          db,
          // What the CLI builds from FAST_CLIENT and its default concurrency (50 price workers).
          fmp: () =>
            createFmpClient({
              apiKey: sandbox.apiKey,
              baseUrl: sandbox.url,
              rateLimit: null,
              maxConcurrent: 50,
              retry: { baseMs: 1, rateLimitPauseMs: 5 },
              // Short only where requests hang; elsewhere a slow answer on a busy machine is not a failure.
              timeoutMs: 'timeout' in faults ? 300 : 30_000,
              logger,
            }),
          dataDir,
          logger,
        },
        {
          tickersSource: sandbox.holdingsUrl,
          minTickers: 50,
          from: window.from,
          to: window.to,
          failureThreshold: threshold,
          secrets: [sandbox.apiKey],
        },
      );
      return { summary, output: lines.join('\n'), read: (fn) => fn(db), dataDir };
    }

    const worldSandbox = () => sandbox;

    async function runWithFaults(faults: FaultRates, options: RunOptions = {}): Promise<CaseOutcome> {
      const threshold = options.threshold ?? DEFAULT_THRESHOLD;
      const sandbox = options.sandbox ?? worldSandbox();
      sandbox.resetCounters();
      sandbox.update({ faults });
      let run: FaultyRun;
      try {
        run = await faultyRun(faults, options);
      } finally {
        sandbox.update({ faults: '' });
      }
      tally.runs++;
      // The faults really happened (at ~1.4% a single kind may miss ~330 requests, so a mix is checked whole).
      const injected = sandbox.counters().faults;
      const kinds = Object.keys(faults) as FaultKind[];
      if (kinds.length === 1)
        expect(injected[kinds[0]!], `no ${kinds[0]} fault was injected`).toBeGreaterThan(0);
      else expect(kinds.reduce((n, k) => n + injected[k], 0)).toBeGreaterThan(kinds.length);

      const { summary } = run;
      const { tables, logs } = await run.read(readAll);
      const failedLog = (await readFailedLog(run.dataDir)).filter((l) => l.runId === summary.runId);
      expect(summary.tasks.map((t) => t.taskName)).toEqual([
        'get_russell_2000_list',
        ...FMP_TASKS,
        'check_data_quality',
      ]);
      expect(summary.tasks[0]!.status).toBe('success');
      // The key is in no output, no sync_logs row, no failed_ingestion.log line and no summary.
      const everything = JSON.stringify([summary, run.output, logs.map((l) => l.raw), failedLog]);
      expect(everything.includes(sandbox.apiKey), 'the API key leaked').toBe(false);

      const failedTickers = {} as CaseOutcome['failedTickers'];
      for (const taskName of FMP_TASKS) {
        const task = summary.tasks.find((t) => t.taskName === taskName)!;
        const lines = failedLog.filter((l) => l.task === taskName);
        checkExplained(task, lines, logs, summary.runId, threshold);
        const listed = new Set(lines.map((l) => l.ticker));
        failedTickers[taskName] = [...listed].sort();
        tally.tickersReportedFailed += listed.size;

        const table = taskName === 'ingest_market_data' ? 'prices' : 'dcf';
        const comparison = compareTable(reference[table], tables[table]);
        tally.rowsCompared += comparison.compared;
        tally.rowsWrong += comparison.wrong.length;
        expect(comparison.wrong, `${taskName}: stored rows that differ from the reference`).toEqual([]);
        const unexplained = [...comparison.missingByTicker].filter(([ticker]) => !listed.has(ticker));
        tally.rowsLost += unexplained.reduce((n, [, rows]) => n + rows, 0);
        expect(unexplained, `${taskName}: rows lost for tickers the run did not report`).toEqual([]);
        // An empty database: every stored row was inserted exactly once by this run, none rewritten.
        expect(task.rowsInserted).toBe(tables[table].size);
        expect(task.rowsChanged).toBe(0);
      }
      expect(tables.duplicates).toBe(0);
      return { summary, failedTickers };
    }

    for (const kind of FAULT_KINDS) {
      for (const rate of SINGLE_RATES) {
        it(`loses and duplicates nothing with ${kind} faults on ${rate * 100}% of requests`, async () => {
          tally.faultCombinations++;
          await runWithFaults({ [kind]: rate });
        });
      }
    }

    for (const total of COMBINED_TOTALS) {
      // The heavier mix goes through the built CLI: flags, client options, exit code and all.
      const via = total === Math.max(...COMBINED_TOTALS) ? 'cli' : 'library';
      it(`loses and duplicates nothing with all seven fault kinds at once on ${total * 100}% of requests (${via})`, async () => {
        tally.faultCombinations++;
        const each = Math.floor((total / FAULT_KINDS.length) * 10_000) / 10_000;
        await runWithFaults(Object.fromEntries(FAULT_KINDS.map((k) => [k, each])), { via });
      });
    }

    it('fails the prices task (exit 1) when more tickers fail than the threshold allows, and keeps what it got', async () => {
      tally.faultCombinations++;
      // 60% 5xx outlasts the client's four attempts for ~13% of tickers: above the default 5%. Each run gets
      // a new sandbox with the same seed and clock, so the same requests meet the same faults (the sandbox
      // hashes the request and its attempt number): the two runs differ only in the threshold.
      const twin = () => startWorld({ apiKey: sandbox.apiKey });
      const first = await twin();
      const above = await runWithFaults({ '5xx': 0.6 }, { sandbox: first, via: 'cli' }).finally(() =>
        first.stop(),
      );
      const prices = above.summary.tasks.find((t) => t.taskName === 'ingest_market_data')!;
      expect((prices.counts.failed ?? 0) / prices.tickers).toBeGreaterThan(DEFAULT_THRESHOLD);
      expect(prices.status).toBe('failed');
      expect(prices.errorMessage).toMatch(/threshold/);

      const second = await twin();
      const under = await runWithFaults(
        { '5xx': 0.6 },
        { sandbox: second, via: 'cli', threshold: 0.5 },
      ).finally(() => second.stop());
      const pricesUnder = under.summary.tasks.find((t) => t.taskName === 'ingest_market_data')!;
      expect(pricesUnder.status).toBe('partial');
      expect(under.failedTickers).toEqual(above.failedTickers);
    });
  });
}

/** Every ticker that is not plain ok/no_data is in failed_ingestion.log with a reason, and in the counts. */
function checkExplained(
  task: TaskSummary,
  lines: FailedLine[],
  logs: SyncLogRow[],
  runId: string,
  threshold: number,
): void {
  const c = task.counts;
  const total = (c.ok ?? 0) + (c.no_data ?? 0) + (c.skipped ?? 0) + (c.invalid_rows ?? 0) + (c.failed ?? 0);
  expect(total, `${task.taskName}: outcome counts`).toBe(task.tickers);
  for (const outcome of ['failed', 'skipped', 'invalid_rows'] as const) {
    expect(
      lines.filter((l) => l.outcome === outcome).length,
      `${task.taskName}: ${outcome} tickers in failed_ingestion.log`,
    ).toBe(c[outcome] ?? 0);
  }
  expect(new Set(lines.map((l) => l.ticker)).size).toBe(lines.length);
  for (const line of lines) {
    expect(line.message.trim(), `${line.ticker}: a reason`).not.toBe('');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  }
  expect(task.failures.length).toBe(Math.min(lines.length, 50));
  for (const f of task.failures) {
    expect(lines.some((l) => l.ticker === f.ticker && l.outcome === f.outcome)).toBe(true);
  }
  expect(task.status).toBe(expectedStatus(task, threshold));

  const row = logs.find((l) => l.id === task.syncLogId);
  expect(row, `${task.taskName}: its sync_logs row`).toBeDefined();
  expect(row!.task_name).toBe(task.taskName);
  expect(row!.status).toBe(task.status);
  expect(row!.rows_updated).toBe(task.rowsUpdated);
  expect(row!.metadata?.runId).toBe(runId);
  expect(row!.metadata?.counts).toEqual(task.counts);
  if (task.status !== 'success') expect(row!.error_message ?? '').not.toBe('');
}

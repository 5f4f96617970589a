import type { Database } from '@smartstock/db';
import { type FmpClient, FmpError } from '@smartstock/fmp-client';
import { describe, expect, it } from 'vitest';
import type { FailedIngestionEntry } from '../failed-log.js';
import type { ProgressEvent, TaskContext } from './context.js';
import {
  openTickerRun,
  runPerTicker,
  runTickerTask,
  type TickerOutcome,
  type TickerTaskSpec,
  type TickerWriter,
} from './per-ticker.js';

// A fixed instant: the runner only stamps failed_ingestion.log lines with it.
const CLOCK = new Date('2024-03-15T21:30:00.000Z');
const tick = () => new Promise((r) => setImmediate(r));

class FakeWriter implements TickerWriter {
  error: unknown = null;
  written = 0;
  inserted = 0;
  updated = 0;
  flushes = 0;
  flushError: Error | null = null;

  async flush(): Promise<void> {
    this.flushes++;
    if (this.flushError) throw this.flushError;
  }
}

/** A run over `tickers` with a fake client, writer, logger, failed log and progress listener. */
function harness(tickers: string[], halt?: AbortSignal) {
  const progress: ProgressEvent[] = [];
  const failedLines: FailedIngestionEntry[] = [];
  const warnings: string[] = [];
  const aborts: unknown[] = [];
  let clients = 0;
  const client = { abort: (reason?: unknown) => aborts.push(reason) } as unknown as FmpClient;
  const ctx: TaskContext = {
    db: {} as Database,
    fmp: () => {
      clients++;
      return client;
    },
    logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
    clock: () => CLOCK,
    runId: 'run-1',
    dataDir: '/nowhere',
    failedLog: { path: 'failed_ingestion.log', written: 0, write: async (e) => void failedLines.push(...e) },
    onProgress: (e) => progress.push(e),
    secrets: ['s3cret-key'],
    halt,
  };
  const writer = new FakeWriter();
  const run = openTickerRun(ctx, {
    task: 'ingest_all_dcf',
    writes: 'test rows',
    tickers,
    writer,
    metadata: { runId: 'run-1' },
  });
  return { run, writer, progress, failedLines, warnings, aborts, clients: () => clients };
}

/** A per-symbol-only spec whose every ticker runs `work`. */
function perSymbolSpec(
  h: ReturnType<typeof harness>,
  work: (ticker: string) => Promise<TickerOutcome>,
  concurrency = 1,
): TickerTaskSpec {
  return {
    mode: 'per-symbol',
    failureThreshold: 0.05,
    bulkEndpoint: 'test-bulk',
    perSymbol: () => runPerTicker(h.run, concurrency, work),
    bulk: async () => 'done',
    summarize: (mode) => ({ expectsRows: false, extraMetadata: { mode } }),
  };
}

const notFound = () => new FmpError('NOT_FOUND', 'no such symbol', { status: 404, endpoint: '/stable/x' });

describe('runPerTicker', () => {
  it('counts each ticker by the outcome its call returns and reports progress after each', async () => {
    const h = harness(['A', 'B', 'C', 'D']);
    const outcomes: Record<string, TickerOutcome> = {
      A: { outcome: 'ok' },
      B: { outcome: 'no_data' },
      C: { outcome: 'invalid_rows', message: '2 invalid rows dropped' },
      D: { outcome: 'ok' },
    };
    const counts = await runPerTicker(h.run, 1, async (t) => outcomes[t]!);
    expect(counts).toEqual({ ok: 2, no_data: 1, skipped: 0, invalid_rows: 1, failed: 0 });
    expect(h.progress.map((p) => [p.ticker, p.done, p.total])).toEqual([
      ['A', 1, 4],
      ['B', 2, 4],
      ['C', 3, 4],
      ['D', 4, 4],
    ]);
    expect(h.run.tracker.failures).toEqual([
      { ticker: 'C', outcome: 'invalid_rows', httpStatus: null, message: '2 invalid rows dropped' },
    ]);
  });

  it('counts a ticker whose call throws as failed, with its reason in the failures and the failed log', async () => {
    const h = harness(['A', 'B']);
    const counts = await runPerTicker(h.run, 1, async (t) => {
      if (t === 'B') throw new Error('socket hang up near s3cret-key');
      return { outcome: 'ok' };
    });
    expect(counts.failed).toBe(1);
    expect(counts.ok).toBe(1);
    const failure = { ticker: 'B', outcome: 'failed', httpStatus: null, message: 'socket hang up near ***' };
    expect(h.run.tracker.failures).toEqual([failure]);
    expect(await h.run.tracker.settle()).toBeNull();
    expect(h.failedLines).toEqual([
      { time: CLOCK.toISOString(), runId: 'run-1', task: 'ingest_all_dcf', ...failure },
    ]);
    expect(h.progress.at(-1)).toMatchObject({ done: 2, failed: 1 });
  });

  it('counts a ticker FMP does not know (404) as skipped, with the HTTP status', async () => {
    const h = harness(['A']);
    const counts = await runPerTicker(h.run, 1, async () => {
      throw notFound();
    });
    expect(counts.skipped).toBe(1);
    expect(h.run.tracker.failures[0]).toMatchObject({ ticker: 'A', outcome: 'skipped', httpStatus: 404 });
  });

  it('runs at most `concurrency` tickers at once and every ticker once', async () => {
    const tickers = Array.from({ length: 30 }, (_, i) => `T${i}`);
    const h = harness(tickers);
    let inFlight = 0;
    let peak = 0;
    const seen: string[] = [];
    await runPerTicker(h.run, 4, async (t) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await tick();
      seen.push(t);
      inFlight--;
      return { outcome: 'ok' };
    });
    expect(peak).toBe(4);
    expect(seen.sort()).toEqual([...tickers].sort());
  });

  it("stops at the writer's own failure without blaming the ticker whose write hit it", async () => {
    const h = harness(['A', 'B', 'C']);
    const diskFull = new Error('disk full');
    const started: string[] = [];
    const counts = await runPerTicker(h.run, 1, async (t) => {
      started.push(t);
      if (t === 'B') {
        h.writer.error = diskFull;
        throw diskFull;
      }
      return { outcome: 'ok' };
    });
    expect(started).toEqual(['A', 'B']);
    expect(counts).toMatchObject({ ok: 1, failed: 0 });
    expect(h.run.stop.reason).toBe('could not write test rows: disk full');
    expect(h.run.stop.fatal).toBeNull();
  });
});

describe('runTickerTask', () => {
  it('stops at a fatal FMP error, cancels the queued calls and reports the task fatal', async () => {
    const h = harness(['A', 'B', 'C']);
    const started: string[] = [];
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async (t) => {
        started.push(t);
        if (t === 'B') throw new FmpError('AUTH', 'Invalid API KEY', { status: 401, endpoint: '/stable/x' });
        return { outcome: 'ok' };
      }),
    );
    expect(started).toEqual(['A', 'B']);
    expect(h.aborts).toHaveLength(1);
    expect(result.status).toBe('failed');
    expect(result.fatal).toEqual({ message: 'Invalid API KEY' });
    expect(result.metadata).toMatchObject({ abortedBecause: 'Invalid API KEY', notProcessed: 2 });
  });

  it('starts no ticker once the run is halted, and counts none of the calls the halt cancelled', async () => {
    const halt = new AbortController();
    const h = harness(['A', 'B', 'C', 'D'], halt.signal);
    const started: string[] = [];
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async (t) => {
        started.push(t);
        if (t === 'B') {
          halt.abort('lost the run lock');
          throw new FmpError('ABORTED', 'aborted', { endpoint: '/stable/x' });
        }
        return { outcome: 'ok' };
      }),
    );
    expect(started).toEqual(['A', 'B']);
    expect(result.counts).toEqual({ ok: 1, no_data: 0, skipped: 0, invalid_rows: 0, failed: 0 });
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toBe('lost the run lock');
    expect(result.fatal).toBeNull();
    expect(result.metadata).toMatchObject({ abortedBecause: 'lost the run lock', notProcessed: 3 });
  });

  it('is partial when the failed and skipped tickers stay within the failure threshold', async () => {
    const h = harness(Array.from({ length: 20 }, (_, i) => `T${i}`));
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async (t) => {
        if (t === 'T3') throw notFound();
        return { outcome: 'ok' };
      }),
    );
    expect(result.status).toBe('partial');
    expect(result.errorMessage).toBe('1 skipped of 20 tickers');
  });

  it('fails the task when more tickers fail than the threshold allows, yet runs every ticker', async () => {
    const h = harness(Array.from({ length: 20 }, (_, i) => `T${i}`));
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async (t) => {
        if (t === 'T3' || t === 'T7') throw new Error('timeout');
        return { outcome: 'ok' };
      }),
    );
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toBe('2 of 20 tickers failed or were skipped (10.0%, threshold 5.0%)');
    expect(result.counts).toMatchObject({ ok: 18, failed: 2 });
  });

  it('falls back to per-symbol calls when the bulk endpoint is not in the plan, and says so', async () => {
    const h = harness(['A', 'B']);
    const calls: string[] = [];
    const result = await runTickerTask(h.run, {
      ...perSymbolSpec(h, async (t) => {
        calls.push(t);
        return { outcome: 'ok' };
      }),
      mode: 'auto',
      bulk: async () => {
        calls.push('bulk');
        return 'fallback';
      },
    });
    expect(calls).toEqual(['bulk', 'A', 'B']);
    expect(h.warnings).toEqual(['test-bulk is not in the plan (402): falling back to per-symbol requests']);
    expect(result.metadata).toMatchObject({
      bulkFallback: 'test-bulk answered 402 (not in the plan)',
      mode: 'per-symbol',
    });
    expect(result.status).toBe('success');
  });

  it('keeps the bulk mode when the bulk path is done, without calling per symbol', async () => {
    const h = harness(['A']);
    const result = await runTickerTask(h.run, {
      ...perSymbolSpec(h, async () => {
        throw new Error('per-symbol must not run');
      }),
      mode: 'bulk',
      bulk: async () => {
        h.run.tracker.record('A', 'ok');
        return 'done';
      },
    });
    expect(result.metadata).toMatchObject({ mode: 'bulk', counts: { ok: 1 } });
    expect(result.metadata).not.toHaveProperty('bulkFallback');
  });

  it('fails the task when the last batch cannot be written', async () => {
    const h = harness(['A']);
    h.writer.flushError = new Error('connection reset');
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async () => ({ outcome: 'ok' })),
    );
    expect(h.writer.flushes).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toBe('could not write test rows: connection reset');
  });

  it('never creates a client nor flushes when there is no ticker, and fails the task for it', async () => {
    const h = harness([]);
    const result = await runTickerTask(
      h.run,
      perSymbolSpec(h, async () => ({ outcome: 'ok' })),
    );
    expect(h.clients()).toBe(0);
    expect(h.writer.flushes).toBe(0);
    expect(result.status).toBe('failed');
    expect(result.errorMessage).toBe('no tickers to process');
  });
});

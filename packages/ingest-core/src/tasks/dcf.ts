import { type DcfRow, writeDcf } from '@smartstock/db';
import type { DcfValue, FmpClient, Validated } from '@smartstock/fmp-client';
import { BatchWriter } from '../batch-writer.js';
import type { TaskContext, TaskResult } from './context.js';
import { classifyError } from './outcomes.js';
import {
  openTickerRun,
  runPerTicker,
  runTickerTask,
  type TickerOutcome,
  type TickerRun,
} from './per-ticker.js';

export const DCF_TASK = 'ingest_all_dcf' as const;
export const DCF_SOURCE = 'fmp';

export interface DcfTaskOptions {
  tickers: readonly string[];
  mode: 'per-symbol' | 'bulk' | 'auto';
  concurrency: number;
  failureThreshold: number;
  batchSize?: number | undefined;
}

type DcfRun = TickerRun<BatchWriter<DcfRow>>;

function latest(values: readonly DcfValue[]): DcfValue | null {
  let best: DcfValue | null = null;
  for (const v of values) if (best === null || v.date > best.date) best = v;
  return best;
}

function toRow(ticker: string, v: DcfValue): DcfRow {
  return { ticker, date: v.date, dcf: v.dcf, stockPrice: v.stockPrice, source: DCF_SOURCE };
}

/** `ingest_all_dcf`: the latest DCF of every ticker, one row per ticker; no DCF is no_data, not an error. */
export async function runDcfTask(ctx: TaskContext, options: DcfTaskOptions): Promise<TaskResult> {
  const run = openTickerRun(ctx, {
    task: DCF_TASK,
    writes: 'DCF valuations',
    tickers: options.tickers,
    writer: new BatchWriter<DcfRow>((rows) => writeDcf(ctx.db, rows), options.batchSize ?? 1000),
    metadata: { runId: ctx.runId, requestedMode: options.mode },
  });
  return runTickerTask(run, {
    mode: options.mode,
    failureThreshold: options.failureThreshold,
    bulkEndpoint: 'dcf-bulk',
    perSymbol: (client) => runPerTicker(run, options.concurrency, (ticker) => fetchDcf(run, client, ticker)),
    bulk: (client) => runDcfBulk(run, client, options.mode),
    // DCF may legitimately be absent for every ticker: an empty task is not a failure by itself.
    summarize: (mode) => ({ expectsRows: false, extraMetadata: { mode } }),
  });
}

/** One ticker's DCF call: its latest value is written; rows FMP sent that failed validation are reported. */
async function fetchDcf(run: DcfRun, client: FmpClient, ticker: string): Promise<TickerOutcome> {
  const res = await client.getDcf(ticker);
  const best = latest(res.rows);
  if (best) await run.writer.add([toRow(ticker, best)]);
  if (res.invalid.length > 0) {
    return {
      outcome: 'invalid_rows',
      message: `${res.invalid.length} invalid rows dropped: ${res.invalid[0]!.reason}`,
    };
  }
  return { outcome: best ? 'ok' : 'no_data' };
}

/** The bulk path: one dcf-bulk call for the whole universe, then each ticker's latest value. */
async function runDcfBulk(
  run: DcfRun,
  client: FmpClient,
  mode: DcfTaskOptions['mode'],
): Promise<'done' | 'fallback'> {
  let res: Validated<DcfValue>;
  try {
    res = await client.getDcfBulk();
  } catch (error) {
    return dcfBulkFailed(run, error, mode);
  }
  await writeBulkValues(run, res);
  return 'done';
}

/**
 * A failed dcf-bulk call: a fatal error stops the task; a call cancelled by the run stopping is nobody's
 * failure; a 402 in auto mode means the plan lacks the endpoint (fall back); anything else is every
 * ticker's outcome, since the one call served them all.
 */
function dcfBulkFailed(run: DcfRun, error: unknown, mode: DcfTaskOptions['mode']): 'done' | 'fallback' {
  const c = classifyError(error, run.ctx.secrets);
  if (c.fatal) {
    run.stop.abort(c.message, true);
    return 'done';
  }
  if (c.aborted && run.stop.stopped) return 'done';
  if (mode === 'auto' && c.httpStatus === 402) return 'fallback';
  for (const t of run.tickers)
    run.tracker.record(t, c.outcome, { httpStatus: c.httpStatus, message: `dcf-bulk: ${c.message}` });
  return 'done';
}

/** Writes each ticker's latest bulk value and records its outcome; a failed write stops the task. */
async function writeBulkValues(run: DcfRun, res: Validated<DcfValue>): Promise<void> {
  const bySymbol = new Map<string, DcfValue[]>();
  for (const v of res.rows) {
    const list = bySymbol.get(v.symbol);
    if (list) list.push(v);
    else bySymbol.set(v.symbol, [v]);
  }
  const invalid = new Map<string, string>();
  for (const bad of res.invalid) if (bad.symbol !== undefined) invalid.set(bad.symbol, bad.reason);
  for (const t of run.tickers) {
    const best = latest(bySymbol.get(t) ?? []);
    if (best) {
      try {
        await run.writer.add([toRow(t, best)]);
      } catch (error) {
        run.stop.writeFailed(error);
        return;
      }
    }
    const reason = invalid.get(t);
    if (reason !== undefined)
      run.tracker.record(t, 'invalid_rows', { message: `invalid row dropped: ${reason}` });
    else run.tracker.record(t, best ? 'ok' : 'no_data');
  }
}

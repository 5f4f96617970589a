import { type DcfRow, writeDcf } from '@smartstock/db';
import type { DcfValue, FmpClient } from '@smartstock/fmp-client';
import { BatchWriter } from '../batch-writer.js';
import { runPool } from '../pool.js';
import type { TaskContext, TaskResult } from './context.js';
import { classifyError, finishTask, handleTickerError, OutcomeTracker, TaskStop } from './outcomes.js';

export const DCF_TASK = 'ingest_all_dcf' as const;
export const DCF_SOURCE = 'fmp';

export interface DcfTaskOptions {
  tickers: readonly string[];
  mode: 'per-symbol' | 'bulk' | 'auto';
  concurrency: number;
  failureThreshold: number;
  batchSize?: number | undefined;
}

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
  const { tickers } = options;
  const tracker = new OutcomeTracker(ctx, DCF_TASK, tickers.length);
  const writer = new BatchWriter<DcfRow>((rows) => writeDcf(ctx.db, rows), options.batchSize ?? 1000);
  const metadata: Record<string, unknown> = { runId: ctx.runId, requestedMode: options.mode };
  const stop = new TaskStop(ctx, DCF_TASK, 'DCF valuations');

  const perSymbol = async (client: FmpClient) => {
    await runPool(tickers, options.concurrency, async (ticker, _i, pool) => {
      if (stop.stopped) return pool.stop();
      try {
        const res = await client.getDcf(ticker);
        const best = latest(res.rows);
        if (best) await writer.add([toRow(ticker, best)]);
        if (res.invalid.length > 0) {
          tracker.record(ticker, 'invalid_rows', {
            message: `${res.invalid.length} invalid rows dropped: ${res.invalid[0]!.reason}`,
          });
        } else tracker.record(ticker, best ? 'ok' : 'no_data');
      } catch (error) {
        if (handleTickerError(ctx, tracker, ticker, error, stop, writer.error)) return pool.stop();
      }
    });
  };

  const bulk = async (client: FmpClient): Promise<'done' | 'fallback'> => {
    let res: Awaited<ReturnType<FmpClient['getDcfBulk']>>;
    try {
      res = await client.getDcfBulk();
    } catch (error) {
      const c = classifyError(error, ctx.secrets);
      if (c.fatal) {
        stop.abort(c.message, true);
        return 'done';
      }
      // Cancelled because the run is stopping: nobody's failure.
      if (c.aborted && stop.stopped) return 'done';
      if (options.mode === 'auto' && c.httpStatus === 402) return 'fallback';
      for (const t of tickers)
        tracker.record(t, c.outcome, { httpStatus: c.httpStatus, message: `dcf-bulk: ${c.message}` });
      return 'done';
    }
    const bySymbol = new Map<string, DcfValue[]>();
    for (const v of res.rows) {
      const list = bySymbol.get(v.symbol);
      if (list) list.push(v);
      else bySymbol.set(v.symbol, [v]);
    }
    const invalid = new Map<string, string>();
    for (const bad of res.invalid) if (bad.symbol !== undefined) invalid.set(bad.symbol, bad.reason);
    for (const t of tickers) {
      const best = latest(bySymbol.get(t) ?? []);
      if (best) {
        try {
          await writer.add([toRow(t, best)]);
        } catch (error) {
          stop.writeFailed(error);
          return 'done';
        }
      }
      const reason = invalid.get(t);
      if (reason !== undefined)
        tracker.record(t, 'invalid_rows', { message: `invalid row dropped: ${reason}` });
      else tracker.record(t, best ? 'ok' : 'no_data');
    }
    return 'done';
  };

  let modeUsed: 'per-symbol' | 'bulk' = options.mode === 'per-symbol' ? 'per-symbol' : 'bulk';
  if (tickers.length > 0) {
    try {
      const fmp = ctx.fmp();
      stop.client = fmp;
      if (modeUsed === 'bulk') {
        if ((await bulk(fmp)) === 'fallback') {
          ctx.logger.warn('dcf-bulk is not in the plan (402): falling back to per-symbol requests', {
            task: DCF_TASK,
          });
          metadata.bulkFallback = 'dcf-bulk answered 402 (not in the plan)';
          modeUsed = 'per-symbol';
          await perSymbol(fmp);
        }
      } else await perSymbol(fmp);
    } finally {
      try {
        await writer.flush();
      } catch (error) {
        stop.writeFailed(error);
      }
    }
  }
  return finishTask(ctx, DCF_TASK, {
    tracker,
    writer,
    tickers: tickers.length,
    abortReason: stop.reason,
    expectsRows: false,
    failureThreshold: options.failureThreshold,
    fatal: stop.fatal,
    metadata,
    extraMetadata: { mode: modeUsed },
  });
}

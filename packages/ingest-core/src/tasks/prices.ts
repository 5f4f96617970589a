import {
  getCompletedWindows,
  type PriceRow,
  readPrices,
  recordCompletedWindows,
  writePrices,
} from '@smartstock/db';
import type { DailyBar, FmpClient } from '@smartstock/fmp-client';
import { BatchWriter } from '../batch-writer.js';
import { addDays, type SyncWindow } from '../calendar.js';
import { runPool } from '../pool.js';
import { type Chunk, chunkWindow, isChunkComplete } from './chunks.js';
import type { TaskContext, TaskResult } from './context.js';
import { classifyError, finishTask, handleTickerError, OutcomeTracker, TaskStop } from './outcomes.js';

/** In-flight history calls during a backfill (see the memory note in runPricesTask). */
export const BACKFILL_MAX_CONCURRENCY = 10;

export const PRICES_TASK = 'ingest_market_data' as const;
export const PRICE_SOURCE = 'fmp';
/** Relative difference between a stored and a fresh close that counts as a restatement (a split). */
export const SPLIT_TOLERANCE = 0.005;

export type { PricesMode } from '../settings.js';

import type { PricesMode } from '../settings.js';

export interface PricesTaskOptions {
  tickers: readonly string[];
  window: SyncWindow;
  mode: PricesMode;
  concurrency: number;
  failureThreshold: number;
  /** Chunk the window and record completed windows so a rerun skips them (history backfill). */
  backfill: boolean;
  /** Compare fresh bars with stored ones and re-backfill a ticker whose history was restated. */
  splitCheck: boolean;
  batchSize?: number | undefined;
  /** Where a re-backfill after a split starts when nothing older is stored. */
  historyStart?: string | undefined;
}

interface CompletedMarker {
  ticker: string;
  from: string;
  to: string;
  rows: number;
}

export interface SplitRecord {
  ticker: string;
  date: string;
  storedClose: number;
  freshClose: number;
  refetched: { from: string; to: string; rows: number } | null;
  error?: string | undefined;
}

function toPriceRow(ticker: string, bar: DailyBar): PriceRow {
  return {
    ticker,
    date: bar.date,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    vwap: bar.vwap,
    change: bar.change,
    changePercent: bar.changePercent,
    source: PRICE_SOURCE,
  };
}

function restated(stored: number, fresh: number): boolean {
  const scale = Math.max(Math.abs(stored), Math.abs(fresh), 1e-9);
  return Math.abs(stored - fresh) / scale > SPLIT_TOLERANCE && Math.abs(stored - fresh) > 0.0051;
}

/** `ingest_market_data`: the daily bars of the window for every ticker, written in batches as they arrive. */
export async function runPricesTask(ctx: TaskContext, options: PricesTaskOptions): Promise<TaskResult> {
  const { tickers, window } = options;
  const tracker = new OutcomeTracker(ctx, PRICES_TASK, tickers.length);
  const writer = new BatchWriter<PriceRow, CompletedMarker>(
    (rows) => writePrices(ctx.db, rows),
    options.batchSize ?? 5000,
    (markers) => recordCompletedWindows(ctx.db, markers),
  );
  const lastClosed = window.closedSessions.at(-1) ?? null;
  const metadata: Record<string, unknown> = {
    runId: ctx.runId,
    window: { from: window.from, to: window.to },
    closedSessions: window.closedSessions.length,
    requestedMode: options.mode,
  };
  let invalidRowsDropped = 0;
  const splits: SplitRecord[] = [];
  const stop = new TaskStop(ctx, PRICES_TASK, 'prices');

  // Stored closes on the window's days, for split detection (a small window: the nightly 5 days).
  const stored = new Map<string, Map<string, number>>();
  if (options.splitCheck && tickers.length > 0) {
    for (const row of await readPrices(ctx.db, { tickers: [...tickers], from: window.from, to: window.to })) {
      const m = stored.get(row.ticker) ?? new Map<string, number>();
      m.set(row.date, row.close);
      stored.set(row.ticker, m);
    }
  }

  const findRestatement = (
    ticker: string,
    rows: PriceRow[],
  ): { date: string; storedClose: number; freshClose: number } | null => {
    const m = stored.get(ticker);
    if (!m) return null;
    for (const r of rows) {
      const s = m.get(r.date);
      if (s !== undefined && restated(s, r.close))
        return { date: r.date, storedClose: s, freshClose: r.close };
    }
    return null;
  };

  const completed = new Map<string, Chunk[]>();
  if (options.backfill && tickers.length > 0) {
    for (const w of await getCompletedWindows(ctx.db, [...tickers])) {
      const list = completed.get(w.ticker) ?? [];
      list.push({ from: w.from, to: w.to });
      completed.set(w.ticker, list);
    }
  }
  const chunks = options.backfill
    ? chunkWindow(window.from, window.to)
    : [{ from: window.from, to: window.to }];
  let windowsSkipped = 0;
  // Calls made for the window: a rerun that skips every recorded window expects no new row.
  let calls = 0;

  /** Fetches and writes one ticker's chunks; returns rows written and invalid rows dropped. */
  const fetchTicker = async (client: FmpClient, ticker: string, list: Chunk[], record: boolean) => {
    let rows = 0;
    let invalid = 0;
    const fresh: PriceRow[] = [];
    for (const chunk of list) {
      calls++;
      const res = await client.getDailyPrices(ticker, chunk);
      const chunkRows = res.rows
        .filter((b) => b.date >= chunk.from && b.date <= chunk.to)
        .map((b) => toPriceRow(ticker, b));
      invalid += res.invalid.length;
      rows += chunkRows.length;
      if (options.splitCheck) fresh.push(...chunkRows);
      // A window is complete only when its sessions have all closed and none of its rows was dropped.
      const end = lastClosed !== null && lastClosed < chunk.to ? lastClosed : chunk.to;
      const markers =
        record && res.invalid.length === 0 && lastClosed !== null && chunk.from <= end
          ? [{ ticker, from: chunk.from, to: end, rows: chunkRows.length }]
          : [];
      await writer.add(chunkRows, markers);
    }
    return { rows, invalid, fresh };
  };

  const rebackfill = async (
    client: FmpClient,
    ticker: string,
    hit: { date: string; storedClose: number; freshClose: number },
  ) => {
    const record: SplitRecord = { ticker, ...hit, refetched: null };
    splits.push(record);
    ctx.logger.warn('stored bars disagree with FMP: re-backfilling the ticker (split or restatement)', {
      ticker,
      ...hit,
    });
    const history = await readPrices(ctx.db, {
      tickers: [ticker],
      from: '1900-01-01',
      to: addDays(window.from, -1),
    });
    const earliest = history.reduce<string | null>(
      (min, r) => (min === null || r.date < min ? r.date : min),
      null,
    );
    const from = earliest ?? options.historyStart ?? window.from;
    const r = await fetchTicker(client, ticker, chunkWindow(from, window.to), false);
    record.refetched = { from, to: window.to, rows: r.rows };
    return r.invalid;
  };

  // A history call returns up to ~1,260 bars, 250 times a nightly one: with 50 of them in flight the
  // responses, not the database batches, decide the process's memory. Ten in flight still outrun every FMP
  // plan (3,000 calls a minute is 50 a second; a history call takes longer than 200 ms), so a backfill
  // caps its concurrency instead of its memory growing with the setting.
  const concurrency = options.backfill
    ? Math.min(options.concurrency, BACKFILL_MAX_CONCURRENCY)
    : options.concurrency;
  metadata.concurrency = concurrency;

  const perSymbol = async (client: FmpClient, list: readonly string[]) => {
    await runPool(list, concurrency, async (ticker, _i, pool) => {
      if (stop.stopped) return pool.stop();
      const done = completed.get(ticker) ?? [];
      const todo = chunks.filter((c) => !isChunkComplete(c, done, lastClosed));
      windowsSkipped += chunks.length - todo.length;
      try {
        const r = await fetchTicker(client, ticker, todo, options.backfill);
        let invalid = r.invalid;
        const hit = options.splitCheck ? findRestatement(ticker, r.fresh) : null;
        if (hit) invalid += await rebackfill(client, ticker, hit);
        invalidRowsDropped += invalid;
        if (invalid > 0)
          tracker.record(ticker, 'invalid_rows', { message: `${invalid} invalid rows dropped` });
        else if (r.rows > 0 || todo.length === 0) tracker.record(ticker, 'ok');
        else tracker.record(ticker, 'no_data');
      } catch (error) {
        if (handleTickerError(ctx, tracker, ticker, error, stop, writer.error)) return pool.stop();
      }
    });
  };

  const bulk = async (client: FmpClient): Promise<'done' | 'fallback'> => {
    const universe = new Set(tickers);
    const perTicker = new Map<string, { rows: number; invalid: number; missedDays: string[] }>();
    for (const t of tickers) perTicker.set(t, { rows: 0, invalid: 0, missedDays: [] });
    const failedDays: { date: string; message: string; httpStatus: number | null }[] = [];
    const restatedTickers = new Map<string, { date: string; storedClose: number; freshClose: number }>();
    for (const [i, date] of window.closedSessions.entries()) {
      if (stop.stopped) break;
      let res: Awaited<ReturnType<FmpClient['getEodBulk']>>;
      try {
        calls++;
        res = await client.getEodBulk(date);
      } catch (error) {
        const c = classifyError(error, ctx.secrets);
        if (c.fatal) {
          stop.abort(c.message, true);
          break;
        }
        if (options.mode === 'auto' && i === 0 && c.httpStatus === 402) return 'fallback';
        failedDays.push({ date, message: c.message, httpStatus: c.httpStatus });
        continue;
      }
      const rows: PriceRow[] = [];
      const seen = new Set<string>();
      for (const bar of res.rows) {
        if (!universe.has(bar.symbol) || seen.has(bar.symbol)) continue;
        seen.add(bar.symbol);
        rows.push(toPriceRow(bar.symbol, bar));
        perTicker.get(bar.symbol)!.rows++;
      }
      for (const bad of res.invalid) {
        if (bad.symbol !== undefined && universe.has(bad.symbol)) perTicker.get(bad.symbol)!.invalid++;
      }
      if (options.splitCheck) {
        for (const r of rows) {
          if (restatedTickers.has(r.ticker)) continue;
          const hit = findRestatement(r.ticker, [r]);
          if (hit) restatedTickers.set(r.ticker, hit);
        }
      }
      try {
        await writer.add(rows);
      } catch (error) {
        stop.writeFailed(error);
        break;
      }
      ctx.onProgress?.({
        runId: ctx.runId,
        task: PRICES_TASK,
        done: Math.round(((i + 1) / window.closedSessions.length) * tickers.length),
        total: tickers.length,
        failed: 0,
      });
    }
    metadata.bulkDaysFailed = failedDays;
    if (stop.stopped) return 'done';
    for (const [ticker, hit] of restatedTickers) {
      try {
        perTicker.get(ticker)!.invalid += await rebackfill(client, ticker, hit);
      } catch (error) {
        const c = classifyError(error, ctx.secrets);
        splits.find((s) => s.ticker === ticker)!.error = c.message;
        if (c.fatal) {
          stop.abort(c.message, true);
          return 'done';
        }
      }
    }
    for (const t of tickers) {
      const p = perTicker.get(t)!;
      invalidRowsDropped += p.invalid;
      if (failedDays.length > 0 && p.rows < window.closedSessions.length) {
        const first = failedDays[0]!;
        tracker.record(t, 'failed', {
          httpStatus: first.httpStatus,
          message: `eod-bulk failed for ${failedDays.map((d) => d.date).join(', ')}: ${first.message}`,
        });
      } else if (p.invalid > 0)
        tracker.record(t, 'invalid_rows', { message: `${p.invalid} invalid rows dropped` });
      else if (p.rows > 0) tracker.record(t, 'ok');
      else tracker.record(t, 'no_data');
    }
    return 'done';
  };

  let modeUsed: 'per-symbol' | 'bulk' = options.mode === 'per-symbol' ? 'per-symbol' : 'bulk';
  if (tickers.length > 0) {
    try {
      const fmp = ctx.fmp();
      stop.client = fmp;
      if (modeUsed === 'bulk') {
        const r = await bulk(fmp);
        if (r === 'fallback') {
          ctx.logger.warn('eod-bulk is not in the plan (402): falling back to per-symbol requests', {
            task: PRICES_TASK,
          });
          metadata.bulkFallback = 'eod-bulk answered 402 (not in the plan)';
          modeUsed = 'per-symbol';
          await perSymbol(fmp, tickers);
        }
      } else {
        await perSymbol(fmp, tickers);
      }
    } finally {
      try {
        await writer.flush();
      } catch (error) {
        stop.writeFailed(error);
      }
    }
  }
  return finishTask(ctx, PRICES_TASK, {
    tracker,
    writer,
    tickers: tickers.length,
    abortReason: stop.reason,
    expectsRows: window.closedSessions.length > 0 && calls > 0,
    failureThreshold: options.failureThreshold,
    fatal: stop.fatal,
    metadata,
    extraMetadata: {
      mode: modeUsed,
      batches: writer.batches,
      invalidRowsDropped,
      splitsDetected: splits,
      ...(options.backfill ? { backfill: { chunks: chunks.length, windowsSkipped } } : {}),
    },
  });
}

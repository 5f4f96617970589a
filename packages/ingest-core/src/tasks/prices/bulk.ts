import type { PriceRow } from '@smartstock/db';
import type { DailyBar, FmpClient, Validated } from '@smartstock/fmp-client';
import { classifyError } from '../outcomes.js';
import type { TickerOutcome } from '../per-ticker.js';
import { toPriceRow } from './fetch.js';
import { PRICES_TASK, type PricesRun } from './run.js';
import { findRestatement, type Restatement, rebackfill } from './splits.js';

/** A closed session whose eod-bulk call failed (not fatally): the tickers missing it fail. */
interface FailedDay {
  date: string;
  message: string;
  httpStatus: number | null;
}

/** What the bulk days gathered before any outcome is recorded. */
interface BulkState {
  /** Rows and invalid rows per ticker of the universe (bulk answers hold every listed symbol). */
  perTicker: Map<string, { rows: number; invalid: number }>;
  failedDays: FailedDay[];
  /** The first restatement found per ticker, re-backfilled once every day is stored. */
  restated: Map<string, Restatement>;
}

/**
 * The bulk path: one eod-bulk call per closed session of the window, each day's universe rows written as
 * it arrives; then the restated tickers are re-backfilled and every ticker's outcome recorded. `fallback`
 * when the plan lacks eod-bulk (auto mode).
 */
export async function runBulk(run: PricesRun, client: FmpClient): Promise<'done' | 'fallback'> {
  const state: BulkState = { perTicker: new Map(), failedDays: [], restated: new Map() };
  for (const t of run.tickers) state.perTicker.set(t, { rows: 0, invalid: 0 });
  if ((await fetchDays(run, client, state)) === 'fallback') return 'fallback';
  run.metadata.bulkDaysFailed = state.failedDays;
  if (run.stop.stopped) return 'done';
  // Outcomes wait for the re-backfills: their dropped rows are the ticker's too.
  if (!(await rebackfillRestated(run, client, state))) return 'done';
  for (const t of run.tickers) {
    const p = state.perTicker.get(t)!;
    run.tally.invalidRowsDropped += p.invalid;
    const o = bulkOutcome(p, run.options.window.closedSessions.length, state.failedDays);
    run.tracker.record(t, o.outcome, o);
  }
  return 'done';
}

/** Fetches and stores each closed session in turn, until the task stops. */
async function fetchDays(run: PricesRun, client: FmpClient, state: BulkState): Promise<'done' | 'fallback'> {
  const days = run.options.window.closedSessions;
  for (const [i, date] of days.entries()) {
    if (run.stop.stopped) break;
    const res = await fetchDay(run, client, date, i === 0, state);
    if (res === 'fallback') return 'fallback';
    if (res === 'stop') break;
    if (res === 'failed') continue;
    if (!(await storeDay(run, res, state))) break;
    // Progress by days, scaled to tickers so the bar reads the same as the per-symbol path's.
    run.ctx.onProgress?.({
      runId: run.ctx.runId,
      task: PRICES_TASK,
      done: Math.round(((i + 1) / days.length) * run.tickers.length),
      total: run.tickers.length,
      failed: 0,
    });
  }
  return 'done';
}

/**
 * One day's eod-bulk answer, or why there is none: a fatal error stops the task; a 402 on the first day in
 * auto mode means the plan lacks eod-bulk (fall back before anything is written); any other error fails
 * the day, and the next day is still fetched.
 */
async function fetchDay(
  run: PricesRun,
  client: FmpClient,
  date: string,
  first: boolean,
  state: BulkState,
): Promise<Validated<DailyBar> | 'fallback' | 'stop' | 'failed'> {
  try {
    run.tally.calls++;
    return await client.getEodBulk(date);
  } catch (error) {
    const c = classifyError(error, run.ctx.secrets);
    if (c.fatal) {
      run.stop.abort(c.message, true);
      return 'stop';
    }
    if (run.options.mode === 'auto' && first && c.httpStatus === 402) return 'fallback';
    state.failedDays.push({ date, message: c.message, httpStatus: c.httpStatus });
    return 'failed';
  }
}

/** Tallies and writes a day's rows for the universe; false when the write failed (the task stops). */
async function storeDay(run: PricesRun, res: Validated<DailyBar>, state: BulkState): Promise<boolean> {
  const rows = universeRows(res, state);
  if (run.options.splitCheck) {
    for (const r of rows) {
      if (state.restated.has(r.ticker)) continue;
      const hit = findRestatement(run.plan.stored, r.ticker, [r]);
      if (hit) state.restated.set(r.ticker, hit);
    }
  }
  try {
    await run.writer.add(rows);
    return true;
  } catch (error) {
    run.stop.writeFailed(error);
    return false;
  }
}

/** The day's rows of the universe's tickers, the first per symbol; counts them and its invalid rows. */
function universeRows(res: Validated<DailyBar>, state: BulkState): PriceRow[] {
  const rows: PriceRow[] = [];
  const seen = new Set<string>();
  for (const bar of res.rows) {
    const tally = state.perTicker.get(bar.symbol);
    if (!tally || seen.has(bar.symbol)) continue;
    seen.add(bar.symbol);
    rows.push(toPriceRow(bar.symbol, bar));
    tally.rows++;
  }
  for (const bad of res.invalid) {
    const tally = bad.symbol === undefined ? undefined : state.perTicker.get(bad.symbol);
    if (tally) tally.invalid++;
  }
  return rows;
}

/**
 * Re-backfills each restated ticker. A failure is noted on its split record and is not its outcome (its
 * window's rows are stored); a fatal one stops the task: false then.
 */
async function rebackfillRestated(run: PricesRun, client: FmpClient, state: BulkState): Promise<boolean> {
  for (const [ticker, hit] of state.restated) {
    try {
      state.perTicker.get(ticker)!.invalid += await rebackfill(run, client, ticker, hit);
    } catch (error) {
      const c = classifyError(error, run.ctx.secrets);
      run.splits.find((s) => s.ticker === ticker)!.error = c.message;
      if (c.fatal) {
        run.stop.abort(c.message, true);
        return false;
      }
    }
  }
  return true;
}

/** A ticker's bulk outcome: missing a failed day fails it, dropped rows mark it, else rows make it ok. */
function bulkOutcome(
  p: { rows: number; invalid: number },
  days: number,
  failedDays: FailedDay[],
): TickerOutcome {
  if (failedDays.length > 0 && p.rows < days) {
    const first = failedDays[0]!;
    return {
      outcome: 'failed',
      httpStatus: first.httpStatus,
      message: `eod-bulk failed for ${failedDays.map((d) => d.date).join(', ')}: ${first.message}`,
    };
  }
  if (p.invalid > 0) return { outcome: 'invalid_rows', message: `${p.invalid} invalid rows dropped` };
  return { outcome: p.rows > 0 ? 'ok' : 'no_data' };
}

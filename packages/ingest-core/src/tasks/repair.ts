import {
  auditPriceGaps,
  type GapRange,
  getActiveTickers,
  getFirstPriceDate,
  type PriceRow,
  recordEmptyTries,
  writePrices,
} from '@smartstock/db';
import type { FmpClient } from '@smartstock/fmp-client';
import { BatchWriter } from '../batch-writer.js';
import { lastClosedSession, sessionsBetween } from '../calendar.js';
import { OUTCOMES } from '../summary.js';
import type { TaskContext, TaskResult } from './context.js';
import {
  openTickerRun,
  runPerTicker,
  runTickerTask,
  type TickerOutcome,
  type TickerRun,
} from './per-ticker.js';
import { toPriceRow } from './prices/fetch.js';
import { BACKFILL_MAX_CONCURRENCY } from './prices/plan.js';

export const REPAIR_TASK = 'repair_price_gaps' as const;

/** The default cap on a night's repair requests: this share of the universe's active tickers (at least 1). */
export const REPAIR_DEFAULT_SHARE = 0.1;

/**
 * Most sessions one repair request spans (from its first gap to its last): FMP serves about 5,000 rows per
 * history call, newest first, so a longer span would lose its oldest sessions (and record them empty). A
 * ticker whose gaps reach further is requested up to here and the rest is left for the next night.
 */
export const REPAIR_MAX_SESSIONS_PER_REQUEST = 4_000;

/** The default `maxRequests` for a universe of `activeTickers`: 10% of it, rounded down, at least 1. */
export function defaultRepairMaxRequests(activeTickers: number): number {
  return Math.max(1, Math.floor(activeTickers * REPAIR_DEFAULT_SHARE));
}

/** What `repair_price_gaps` repairs and how much of it tonight. */
export interface RepairTaskOptions {
  /** Repair these tickers (active or not); default every active ticker. */
  tickers?: readonly string[] | undefined;
  /** Most FMP requests tonight, one per ticker; default `defaultRepairMaxRequests(active tickers)`. */
  maxRequests?: number | undefined;
  /** History calls in flight (capped at BACKFILL_MAX_CONCURRENCY: a call may return years of bars). */
  concurrency: number;
  failureThreshold: number;
  batchSize?: number | undefined;
}

/** One ticker's request: from its first gap to its last (capped), and the gap sessions inside it. */
interface RepairRequest {
  ticker: string;
  from: string;
  to: string;
  /** The missing sessions in [from, to], ascending: only their bars are written, only they can be empty. */
  sessions: string[];
}

interface RepairTally {
  requests: number;
  emptyTries: number;
  confirmedEmpty: number;
  invalidRowsDropped: number;
}

/**
 * One request per ticker from its first gap to its last: the sessions in between that are stored are
 * fetched again (FMP's history endpoint takes one range) but not written. `left` is what is beyond the cap.
 */
export function planRequest(
  ticker: string,
  gaps: readonly GapRange[],
): { request: RepairRequest; left: number } {
  const from = gaps[0]!.from;
  const span = sessionsBetween(from, gaps.at(-1)!.to);
  const to = span[Math.min(span.length, REPAIR_MAX_SESSIONS_PER_REQUEST) - 1]!;
  const sessions: string[] = [];
  let left = 0;
  for (const gap of gaps) {
    if (gap.from > to) {
      left += gap.sessions;
      continue;
    }
    // The earlier of the gap's end and the request's (dates compare as strings).
    const [end] = [gap.to, to].sort() as [string, string];
    const inside = sessionsBetween(gap.from, end);
    sessions.push(...inside);
    left += gap.sessions - inside.length;
  }
  return { request: { ticker, from, to, sessions }, left };
}

/**
 * `repair_price_gaps`: audits the stored histories (each ticker from its first stored bar up to the last
 * closed session by the run's clock) and fetches exactly the missing sessions: each ticker's gaps merged into
 * one history call from its first gap to its last. At most `maxRequests` calls, tickers in alphabetical order;
 * the tickers (and sessions) past the cap are counted in `leftForNextNight` and come first the next night, as
 * the ones repaired tonight have no gap left. The bars of gap sessions are written; a gap session FMP returned
 * no bar for gets an empty try (db's recordEmptyTries): after two it is confirmed empty, the audit counts it as
 * explained and it is never requested again. Resumable (a stopped run leaves what it wrote; the next audit sees
 * the rest) and idempotent (a complete history makes no request).
 */
export async function runRepairTask(ctx: TaskContext, options: RepairTaskOptions): Promise<TaskResult> {
  const lastSession = lastClosedSession(ctx.clock());
  const maxRequests =
    options.maxRequests ?? defaultRepairMaxRequests((await getActiveTickers(ctx.db)).length);
  const first = await getFirstPriceDate(ctx.db, { tickers: options.tickers });
  const base = { runId: ctx.runId, lastSession, maxRequests, order: 'ticker' };
  if (first === null || first > lastSession) return nothingToRepair(base, 0, { tickers: 0, sessions: 0 });
  const audit = await auditPriceGaps(ctx.db, {
    sessions: sessionsBetween(first, lastSession),
    tickers: options.tickers,
  });
  const withGaps = audit.tickers.filter((t) => t.gaps.length > 0);
  const requests = new Map<string, RepairRequest>();
  const leftForNextNight = { tickers: 0, sessions: 0 };
  for (const t of withGaps) {
    const planned = requests.size < maxRequests ? planRequest(t.ticker, t.gaps) : null;
    if (planned) requests.set(t.ticker, planned.request);
    const left = planned ? planned.left : t.gaps.reduce((n, g) => n + g.sessions, 0);
    if (left > 0) {
      leftForNextNight.tickers++;
      leftForNextNight.sessions += left;
    }
  }
  if (requests.size === 0) return nothingToRepair(base, 0, leftForNextNight);

  const tally: RepairTally = { requests: 0, emptyTries: 0, confirmedEmpty: 0, invalidRowsDropped: 0 };
  const sessionsRequested = [...requests.values()].reduce((n, r) => n + r.sessions.length, 0);
  const run = openTickerRun(ctx, {
    task: REPAIR_TASK,
    writes: 'prices',
    tickers: [...requests.keys()],
    writer: new BatchWriter<PriceRow>((rows) => writePrices(ctx.db, rows), options.batchSize ?? 5000),
    metadata: { ...base },
  });
  const concurrency = Math.min(options.concurrency, BACKFILL_MAX_CONCURRENCY);
  return runTickerTask(run, {
    mode: 'per-symbol',
    failureThreshold: options.failureThreshold,
    bulkEndpoint: 'eod-bulk',
    perSymbol: (client) =>
      runPerTicker(run, concurrency, (ticker) => repairTicker(run, client, requests.get(ticker)!, tally)),
    // Never called: the mode is per-symbol (a repair asks for a few sessions of a few tickers).
    bulk: async () => 'fallback',
    summarize: () => ({
      // A repair may rightly write nothing: every session it asked for may be a halt.
      expectsRows: false,
      extraMetadata: {
        tickersWithGaps: withGaps.length,
        requests: tally.requests,
        sessionsRequested,
        barsWritten: run.writer.written,
        emptyTries: tally.emptyTries,
        confirmedEmpty: tally.confirmedEmpty,
        invalidRowsDropped: tally.invalidRowsDropped,
        leftForNextNight,
      },
    }),
  });
}

/** One ticker: its one call, the gap sessions' bars written, the rest of its gap sessions tried empty. */
async function repairTicker(
  run: TickerRun<BatchWriter<PriceRow>>,
  client: FmpClient,
  request: RepairRequest,
  tally: RepairTally,
): Promise<TickerOutcome> {
  const { ticker } = request;
  tally.requests++;
  const res = await client.getDailyPrices(ticker, { from: request.from, to: request.to });
  const wanted = new Set(request.sessions);
  const rows = res.rows.filter((b) => wanted.has(b.date)).map((b) => toPriceRow(ticker, b));
  // A session FMP answered with a row it could not use is not empty: it is asked again next night.
  const answered = new Set([
    ...res.rows.map((b) => b.date),
    ...res.invalid.flatMap((r) => (r.date ? [r.date] : [])),
  ]);
  await run.writer.add(rows);
  const empty = res.invalid.some((r) => !r.date)
    ? []
    : request.sessions.filter((d) => !answered.has(d)).map((date) => ({ ticker, date }));
  if (empty.length > 0) {
    const tries = await recordEmptyTries(run.ctx.db, empty, { at: run.ctx.clock() });
    tally.emptyTries += tries.length;
    tally.confirmedEmpty += tries.filter((t) => t.confirmed).length;
  }
  const invalid = res.invalid.length;
  tally.invalidRowsDropped += invalid;
  if (invalid > 0) return { outcome: 'invalid_rows', message: `${invalid} invalid rows dropped` };
  return { outcome: rows.length > 0 ? 'ok' : 'no_data' };
}

/** A night with no request to make: success, with the same metadata keys as one that made some. */
function nothingToRepair(
  base: Record<string, unknown>,
  tickersWithGaps: number,
  leftForNextNight: { tickers: number; sessions: number },
): TaskResult {
  const metadata = {
    ...base,
    tickers: 0,
    tickersWithGaps,
    requests: 0,
    sessionsRequested: 0,
    barsWritten: 0,
    emptyTries: 0,
    confirmedEmpty: 0,
    invalidRowsDropped: 0,
    leftForNextNight,
  };
  return {
    status: 'success',
    rowsInserted: 0,
    rowsChanged: 0,
    tickers: 0,
    // The same keys as a run with requests (every outcome, each 0), for readers that sum them.
    counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])),
    errorMessage: null,
    failures: [],
    metadata,
    fatal: null,
  };
}

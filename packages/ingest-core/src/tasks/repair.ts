import {
  auditPriceGaps,
  type GapRange,
  getActiveTickers,
  getFirstPriceDate,
  type PriceRow,
  readHistoryStarts,
  readSyncState,
  recordEmptyTries,
  recordHistoryStarts,
  writePrices,
  writeSyncState,
} from '@smartstock/db';
import { type FmpClient, isFmpError } from '@smartstock/fmp-client';
import { BatchWriter } from '../batch-writer.js';
import { addDays, lastClosedSession, newYorkDate, parseIsoDate, sessionsBetween } from '../calendar.js';
import { DEFAULTS, defaultHistoryFrom } from '../settings.js';
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
  /**
   * Backfill each ticker whose stored history starts later than this (a new member) back to it, with the
   * requests the gaps leave under the cap (default `defaultHistoryFrom` of the run's New York date).
   */
  historyFrom?: string | undefined;
  /**
   * The fund whose new members are backfilled (default IWM): a ticker whose current membership began after the
   * fund's first recorded day. The founding members are not: their history is an explicit backfill's (`from`).
   */
  fund?: string | undefined;
  /** History calls in flight (capped at BACKFILL_MAX_CONCURRENCY: a call may return years of bars). */
  concurrency: number;
  failureThreshold: number;
  batchSize?: number | undefined;
}

/** The sync_state key remembering the history depth FMP refused with a 402 (`HistoryDepthRefusal`). */
export const HISTORY_DEPTH_402_KEY = 'history_depth_402';

/** What `HISTORY_DEPTH_402_KEY` holds: a backfill from `from` was refused on the run date `on`. */
export interface HistoryDepthRefusal {
  from: string;
  on: string;
}

/** One ticker's request: from its first gap to its last (capped), and the gap sessions inside it. */
interface RepairRequest {
  ticker: string;
  from: string;
  to: string;
  /** The missing sessions in [from, to], ascending: only their bars are written, only they can be empty. */
  sessions: string[];
}

/** A new member's history before its first stored bar: one request, every bar FMP returns written. */
interface BackfillRequest {
  kind: 'backfill';
  ticker: string;
  from: string;
  /** The day before its first stored bar (the last closed session with none stored). */
  to: string;
  /** The first session of [from, to]: a first bar later than it is where the ticker's history starts. */
  firstSession: string;
  /** Its first stored bar, or null with none. */
  firstBar: string | null;
}

/** Where a backfilled ticker's history starts, stored with its bars (BatchWriter marker). */
interface HistoryStartMark {
  ticker: string;
  historyStart: string;
}

const DAY_MS = 86_400_000;
const daysBetween = (from: string, to: string) =>
  Math.round((parseIsoDate(to) - parseIsoDate(from)) / DAY_MS);

/**
 * The date tonight's backfill reaches back to: `historyFrom`, unless FMP refused a backfill that deep before
 * (a 402 remembered in sync_state), then the default depth (5 years) if it is shallower than the refused one,
 * else null (no backfill until the setting or the remembered refusal changes).
 */
export function backfillStart(
  historyFrom: string,
  runDate: string,
  refusal: HistoryDepthRefusal | null,
): string | null {
  if (refusal === null) return historyFrom;
  const refusedDepth = daysBetween(refusal.from, refusal.on);
  for (const candidate of [historyFrom, defaultHistoryFrom(runDate, DEFAULTS.historyYears)]) {
    if (daysBetween(candidate, runDate) < refusedDepth) return candidate;
  }
  return null;
}

interface RepairTally {
  requests: number;
  backfillRequests: number;
  backfillBars: number;
  historyStarts: number;
  /** The first 402 of tonight's backfill (said once, remembered), or null. */
  refused: string | null;
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
 *
 * Then, with the requests the gaps left under the cap, the new members' history: each active ticker that
 * joined the fund after its first recorded day (universe_memberships), whose stored history starts after
 * `historyFrom` and whose history start is not known gets one call from `historyFrom` to the day before its
 * first stored bar (alphabetical; the rest in `backfill.leftForNextNight`). See `backfillTicker` for what is
 * remembered (tickers.history_start, a 402 in sync_state).
 */
export async function runRepairTask(ctx: TaskContext, options: RepairTaskOptions): Promise<TaskResult> {
  const now = ctx.clock();
  const lastSession = lastClosedSession(now);
  const runDate = newYorkDate(now);
  const maxRequests =
    options.maxRequests ?? defaultRepairMaxRequests((await getActiveTickers(ctx.db)).length);
  const historyFrom = options.historyFrom ?? defaultHistoryFrom(runDate);
  const refusal = (await readSyncState<HistoryDepthRefusal>(ctx.db, HISTORY_DEPTH_402_KEY))?.value ?? null;
  const reachBack = backfillStart(historyFrom, runDate, refusal);
  const first = await getFirstPriceDate(ctx.db, { tickers: options.tickers });
  const base = { runId: ctx.runId, lastSession, maxRequests, order: 'ticker' };
  const requests = new Map<string, RepairRequest | BackfillRequest>();
  const leftForNextNight = { tickers: 0, sessions: 0 };
  let withGaps: { ticker: string; gaps: GapRange[] }[] = [];
  if (first !== null && first <= lastSession) {
    const audit = await auditPriceGaps(ctx.db, {
      sessions: sessionsBetween(first, lastSession),
      tickers: options.tickers,
    });
    withGaps = audit.tickers.filter((t) => t.gaps.length > 0);
  }
  for (const t of withGaps) {
    const planned = requests.size < maxRequests ? planRequest(t.ticker, t.gaps) : null;
    if (planned) requests.set(t.ticker, planned.request);
    const left = planned ? planned.left : t.gaps.reduce((n, g) => n + g.sessions, 0);
    if (left > 0) {
      leftForNextNight.tickers++;
      leftForNextNight.sessions += left;
    }
  }
  // Then the new members' history, with the requests the gaps left under the cap.
  const backfill = {
    fund: options.fund ?? DEFAULTS.fund,
    historyFrom,
    from: reachBack,
    ...(refusal ? { refused: refusal } : {}),
    tickers: 0,
    requests: 0,
    barsWritten: 0,
    historyStarts: 0,
    leftForNextNight: 0,
  };
  if (reachBack !== null) {
    const fund = options.fund ?? DEFAULTS.fund;
    for (const h of await readHistoryStarts(ctx.db, { tickers: options.tickers, fund })) {
      if (h.joinedOn === null || h.founding) continue;
      const planned = planBackfill(h.ticker, h.firstBar, h.historyStart, reachBack, lastSession);
      if (planned === null) continue;
      backfill.tickers++;
      if (requests.size < maxRequests && !requests.has(h.ticker)) requests.set(h.ticker, planned);
      else backfill.leftForNextNight++;
    }
  }
  const allMetadata = (extra: Record<string, unknown>) => ({ ...base, ...extra, backfill });
  if (requests.size === 0) return nothingToRepair(allMetadata({}), 0, leftForNextNight);

  const tally: RepairTally = {
    requests: 0,
    backfillRequests: 0,
    backfillBars: 0,
    historyStarts: 0,
    refused: null,
    emptyTries: 0,
    confirmedEmpty: 0,
    invalidRowsDropped: 0,
  };
  const sessionsRequested = [...requests.values()].reduce(
    (n, r) => n + ('sessions' in r ? r.sessions.length : 0),
    0,
  );
  const run = openTickerRun(ctx, {
    task: REPAIR_TASK,
    writes: 'prices',
    tickers: [...requests.keys()],
    // A history start becomes durable with its ticker's bars: a stopped run asks again rather than never.
    writer: new BatchWriter<PriceRow, HistoryStartMark>(
      (rows) => writePrices(ctx.db, rows),
      options.batchSize ?? 5000,
      async (marks) => {
        tally.historyStarts += await recordHistoryStarts(ctx.db, marks);
      },
    ),
    metadata: { ...base },
  });
  const concurrency = Math.min(options.concurrency, BACKFILL_MAX_CONCURRENCY);
  return runTickerTask(run, {
    mode: 'per-symbol',
    failureThreshold: options.failureThreshold,
    bulkEndpoint: 'eod-bulk',
    perSymbol: (client) =>
      runPerTicker(run, concurrency, (ticker) => {
        const request = requests.get(ticker)!;
        return 'sessions' in request
          ? repairTicker(run, client, request, tally)
          : backfillTicker(run, client, request, tally);
      }),
    // Never called: the mode is per-symbol (a repair asks for a few sessions of a few tickers).
    bulk: async () => 'fallback',
    summarize: () => {
      backfill.requests = tally.backfillRequests;
      backfill.barsWritten = tally.backfillBars;
      backfill.historyStarts = tally.historyStarts;
      return {
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
          backfill: { ...backfill, ...(tally.refused ? { refusedTonight: tally.refused } : {}) },
        },
      };
    },
  });
}

/**
 * A ticker's backfill request, or null when it needs none: its stored history starts after `from` and where
 * its history starts is not known. The request spans `from` .. the day before its first stored bar (the last
 * closed session with none stored), at most REPAIR_MAX_SESSIONS_PER_REQUEST sessions back from its end (the
 * rest is asked the next night, once the stored history starts earlier).
 */
export function planBackfill(
  ticker: string,
  firstBar: string | null,
  historyStart: string | null,
  from: string,
  lastSession: string,
): BackfillRequest | null {
  if (historyStart !== null) return null;
  if (firstBar !== null && firstBar <= from) return null;
  const to = firstBar === null ? lastSession : addDays(firstBar, -1);
  const sessions = sessionsBetween(from, to);
  if (sessions.length === 0) return null;
  const start = sessions[Math.max(0, sessions.length - REPAIR_MAX_SESSIONS_PER_REQUEST)]!;
  return { kind: 'backfill', ticker, from: start, to, firstSession: start, firstBar };
}

/** One ticker: its one call, the gap sessions' bars written, the rest of its gap sessions tried empty. */
async function repairTicker(
  run: TickerRun<BatchWriter<PriceRow, HistoryStartMark>>,
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

/**
 * One new member: its one call for the history before its first stored bar, every bar written. When FMP's
 * first bar is later than the range's first session (or it has none), that is where the ticker's history
 * starts: remembered in `tickers.history_start`, so the range is never asked again. A 402 (the plan's history
 * is shallower than the range) is said once a run, remembered in sync_state (HISTORY_DEPTH_402_KEY) so later
 * nights reach back less far, and is no failure; the backfills after it tonight are not requested.
 */
async function backfillTicker(
  run: TickerRun<BatchWriter<PriceRow, HistoryStartMark>>,
  client: FmpClient,
  request: BackfillRequest,
  tally: RepairTally,
): Promise<TickerOutcome> {
  const { ticker } = request;
  const { ctx } = run;
  if (tally.refused !== null) {
    return {
      outcome: 'no_data',
      message: `history before ${request.to} not requested: FMP refused ${tally.refused}`,
    };
  }
  tally.requests++;
  tally.backfillRequests++;
  let res: Awaited<ReturnType<FmpClient['getDailyPrices']>>;
  try {
    res = await client.getDailyPrices(ticker, { from: request.from, to: request.to });
  } catch (error) {
    if (!(isFmpError(error) && error.code === 'PLAN')) throw error;
    if (tally.refused === null) {
      tally.refused = request.from;
      const runDate = newYorkDate(ctx.clock());
      ctx.logger.warn('history backfill refused by the FMP plan (402): later nights reach back less far', {
        task: REPAIR_TASK,
        ticker,
        from: request.from,
      });
      const refusal: HistoryDepthRefusal = { from: request.from, on: runDate };
      await writeSyncState(ctx.db, HISTORY_DEPTH_402_KEY, refusal, { at: ctx.clock() });
    }
    return {
      outcome: 'no_data',
      httpStatus: 402,
      message: `history from ${request.from} is not in the FMP plan`,
    };
  }
  const rows = res.rows
    .filter((b) => b.date >= request.from && b.date <= request.to)
    .map((b) => toPriceRow(ticker, b));
  await run.writer.add(rows);
  tally.backfillBars += rows.length;
  const earliest = rows.reduce<string | null>(
    (min, r) => (min === null || r.date < min ? r.date : min),
    null,
  );
  if (res.invalid.length === 0 && (earliest === null || earliest > request.firstSession)) {
    const start = earliest ?? request.firstBar;
    if (start !== null) {
      // The bars must be stored before their start is: a stopped run then asks again rather than never.
      await run.writer.flush();
      tally.historyStarts += await recordHistoryStarts(ctx.db, [{ ticker, historyStart: start }]);
    }
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

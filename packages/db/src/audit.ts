import { backendOf, type Database, type Executor } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkDate, checkTicker, isValidDate, type RowContext } from './validate.js';

/** Empty tries after which a session is confirmed empty: the audit counts it as explained. */
export const CONFIRM_EMPTY_TRIES = 2;
/** An active ticker with no bar for this many of the latest sessions (or more) is stale. */
export const STALE_AFTER_SESSIONS = 3;

/** Consecutive sessions with no bar and not confirmed empty. */
export interface GapRange {
  /** First missing session. */
  from: string;
  /** Last missing session. */
  to: string;
  /** Sessions in the range (market sessions, not calendar days). */
  sessions: number;
}

/** One ticker's history against the calendar. */
export interface TickerAudit {
  ticker: string;
  /** Sessions expected: from its first stored session (or the history start) to the last session. */
  expected: number;
  /** Expected sessions that have a bar. */
  stored: number;
  /** Expected sessions with no bar, confirmed empty (tries >= 2): explained. */
  confirmedEmpty: number;
  /** Expected sessions neither stored nor confirmed empty: the unexplained gaps. */
  missing: number;
  /** The missing sessions, merged into ranges of consecutive sessions, oldest first. */
  gaps: GapRange[];
  /** First and last session with a bar in the audited span; null when there is none. */
  firstBar: string | null;
  lastBar: string | null;
  /** Sessions after the last bar up to the last session; null when the span holds no bar. */
  sessionsSinceLastBar: number | null;
  /** No bar for the last `staleAfter` sessions or more (or no bar at all). */
  stale: boolean;
}

export interface PriceGapAudit {
  /** First and last session audited (null when the calendar given was empty). */
  from: string | null;
  to: string | null;
  /** Sessions in the audited span. */
  sessions: number;
  /** Every audited ticker, sorted. */
  tickers: TickerAudit[];
  /** Requested tickers that are not in the tickers table (not audited). */
  unknown: string[];
  totals: {
    tickers: number;
    expected: number;
    stored: number;
    confirmedEmpty: number;
    missing: number;
    tickersWithGaps: number;
    stale: number;
  };
}

export interface PriceGapAuditOptions {
  /**
   * The exchange's sessions, ascending, ending with the last closed session, from at least the earliest
   * stored date (or `historyStart`). The calendar is the caller's: this package knows no exchange. Bars on
   * other dates are not counted.
   */
  sessions: readonly string[];
  /** Audit these tickers (active or not); default: every active ticker. */
  tickers?: readonly string[] | undefined;
  /** Expect every session from this date for every ticker; default: from each ticker's first stored bar. */
  historyStart?: string | undefined;
  /** Default STALE_AFTER_SESSIONS. */
  staleAfter?: number | undefined;
}

interface CountRow {
  ticker: string;
  known: boolean;
  stored: number;
  empties: number;
  first_idx: number | null;
  last_idx: number | null;
}

interface Span {
  /** Calendar index (1-based, in the sessions given) of the first and last audited session. */
  first: number;
  last: number;
}

/**
 * The sessions as a table (date, idx), cut at the history start: `$1` holds the dates, `$2` the start or NULL.
 * idx is the position in the array given, so consecutive sessions have consecutive indexes.
 */
const CALENDAR = `cal AS (
  SELECT c.date, c.idx::int AS idx FROM unnest($1::date[]) WITH ORDINALITY AS c(date, idx)
  WHERE $2::date IS NULL OR c.date >= $2::date
)`;

/** Confirmed-empty sessions with no bar, as (ticker, idx); none when the table does not exist yet. */
function emptiesSql(hasTable: boolean, tickers: string): string {
  if (!hasTable) return 'empties AS (SELECT NULL::text AS ticker, NULL::int AS idx WHERE false)';
  return `empties AS (
    SELECT e.ticker::text AS ticker, c.idx FROM confirmed_empty_sessions e JOIN cal c ON c.date = e.date
    WHERE e.tries >= ${CONFIRM_EMPTY_TRIES} AND e.ticker IN (SELECT ticker FROM ${tickers})
      AND NOT EXISTS (SELECT 1 FROM stock_prices p WHERE p.ticker = e.ticker AND p.date = e.date)
  )`;
}

/**
 * Step 1, set-based over every audited ticker: bars on sessions, confirmed empties, first and last bar.
 * `$3`: the requested tickers or NULL for the active universe.
 */
function countsSql(hasEmpties: boolean): string {
  return `WITH ${CALENDAR},
  audited AS (
    SELECT ticker::text AS ticker, true AS known FROM tickers WHERE $3::text[] IS NULL AND active
    UNION ALL
    SELECT r.ticker, EXISTS (SELECT 1 FROM tickers t WHERE t.ticker = r.ticker)
    FROM unnest($3::text[]) AS r(ticker)
  ),
  bars AS (
    SELECT p.ticker::text AS ticker, count(*)::int AS stored, min(c.idx) AS first_idx, max(c.idx) AS last_idx
    FROM stock_prices p JOIN cal c ON c.date = p.date
    WHERE p.ticker IN (SELECT ticker FROM audited)
    GROUP BY p.ticker
  ),
  ${emptiesSql(hasEmpties, 'audited')},
  explained AS (
    SELECT e.ticker, count(*)::int AS n FROM empties e LEFT JOIN bars b ON b.ticker = e.ticker
    WHERE $2::date IS NOT NULL OR e.idx >= b.first_idx
    GROUP BY e.ticker
  )
  SELECT a.ticker, a.known, COALESCE(b.stored, 0) AS stored, b.first_idx, b.last_idx, COALESCE(x.n, 0) AS empties
  FROM audited a LEFT JOIN bars b ON b.ticker = a.ticker LEFT JOIN explained x ON x.ticker = a.ticker
  ORDER BY a.ticker COLLATE "C"`;
}

/**
 * Step 2, only for tickers whose counts differ: the missing sessions as ranges. Bars and confirmed empties
 * are points on the calendar, with a sentinel before the ticker's first expected session and after the last
 * session; a step of more than one between neighbouring points is a gap. `$3`/`$4`: tickers and their first
 * expected index.
 */
function gapsSql(hasEmpties: boolean): string {
  return `WITH ${CALENDAR},
  audited AS (SELECT * FROM unnest($3::text[], $4::int[]) AS a(ticker, start_idx)),
  ${emptiesSql(hasEmpties, 'audited')},
  points AS (
    SELECT p.ticker::text AS ticker, c.idx FROM stock_prices p JOIN cal c ON c.date = p.date
    WHERE p.ticker IN (SELECT ticker FROM audited)
    UNION ALL SELECT ticker, idx FROM empties
    UNION ALL SELECT ticker, start_idx - 1 FROM audited
    UNION ALL SELECT ticker, (SELECT max(idx) FROM cal) + 1 FROM audited
  ),
  steps AS (
    SELECT pt.ticker, pt.idx, lag(pt.idx) OVER (PARTITION BY pt.ticker ORDER BY pt.idx) AS prev
    FROM points pt JOIN audited a ON a.ticker = pt.ticker WHERE pt.idx >= a.start_idx - 1
  )
  SELECT s.ticker, f.date AS "from", t.date AS "to", (s.idx - s.prev - 1)::int AS sessions
  FROM steps s JOIN cal f ON f.idx = s.prev + 1 JOIN cal t ON t.idx = s.idx - 1
  WHERE s.idx - s.prev > 1
  ORDER BY s.ticker COLLATE "C", f.date`;
}

function checkSessions(sessions: readonly string[]): string[] {
  if (!Array.isArray(sessions)) {
    throw new DatabaseError('INVALID_ROW', 'auditPriceGaps: sessions must be an array of YYYY-MM-DD dates');
  }
  sessions.forEach((date, i) => {
    if (!isValidDate(date) || (i > 0 && date <= sessions[i - 1]!)) {
      throw new DatabaseError(
        'INVALID_ROW',
        `auditPriceGaps: sessions[${i}] is ${JSON.stringify(date)}; sessions must be YYYY-MM-DD dates in ` +
          'ascending order without repeats (build them from the exchange calendar)',
      );
    }
  });
  return [...sessions];
}

interface Checked {
  sessions: string[];
  tickers: string[] | null;
  historyStart: string | null;
  staleAfter: number;
}

function checkOptions(options: PriceGapAuditOptions): Checked {
  const context: RowContext = { what: 'auditPriceGaps', index: 0 };
  const staleAfter = options.staleAfter ?? STALE_AFTER_SESSIONS;
  if (!Number.isSafeInteger(staleAfter) || staleAfter < 1) {
    throw new DatabaseError(
      'INVALID_ROW',
      `auditPriceGaps: staleAfter must be a whole number of sessions >= 1 (got ${staleAfter})`,
    );
  }
  return {
    sessions: checkSessions(options.sessions),
    tickers: options.tickers
      ? [...new Set(options.tickers.map((t, index) => checkTicker({ ...context, index }, t)))]
      : null,
    historyStart:
      options.historyStart === undefined ? null : checkDate(context, 'historyStart', options.historyStart),
    staleAfter,
  };
}

/** A ticker's counts against the sessions it should have (`span`: null when none is expected). */
function tickerAudit(
  row: CountRow,
  cut: Span | null,
  options: Checked,
): { span: Span | null; audit: TickerAudit } {
  const first = options.historyStart !== null ? (cut?.first ?? null) : row.first_idx;
  const span = cut && first !== null ? { first, last: cut.last } : null;
  const expected = span ? span.last - span.first + 1 : 0;
  const confirmedEmpty = span ? row.empties : 0;
  const since = cut && row.last_idx !== null ? cut.last - row.last_idx : null;
  const sessionAt = (idx: number | null) => (idx === null ? null : options.sessions[idx - 1]!);
  const audit: TickerAudit = {
    ticker: row.ticker,
    expected,
    stored: row.stored,
    confirmedEmpty,
    missing: expected - row.stored - confirmedEmpty,
    gaps: [],
    firstBar: sessionAt(row.first_idx),
    lastBar: sessionAt(row.last_idx),
    sessionsSinceLastBar: since,
    stale: since === null || since >= options.staleAfter,
  };
  return { span, audit };
}

async function gapRanges(
  tx: Executor,
  params: { cal: unknown[]; hasEmpties: boolean; starts: Map<string, number> },
): Promise<Map<string, GapRange[]>> {
  const out = new Map<string, GapRange[]>();
  if (params.starts.size === 0) return out;
  const rows = await tx.query<GapRange & { ticker: string }>(gapsSql(params.hasEmpties), [
    ...params.cal,
    [...params.starts.keys()],
    [...params.starts.values()],
  ]);
  for (const { ticker, ...range } of rows) {
    const list = out.get(ticker);
    if (list) list.push(range);
    else out.set(ticker, [range]);
  }
  return out;
}

function totalsOf(tickers: readonly TickerAudit[]): PriceGapAudit['totals'] {
  const sum = (f: (t: TickerAudit) => number) => tickers.reduce((n, t) => n + f(t), 0);
  return {
    tickers: tickers.length,
    expected: sum((t) => t.expected),
    stored: sum((t) => t.stored),
    confirmedEmpty: sum((t) => t.confirmedEmpty),
    missing: sum((t) => t.missing),
    tickersWithGaps: sum((t) => (t.missing > 0 ? 1 : 0)),
    stale: sum((t) => (t.stale ? 1 : 0)),
  };
}

/** The audited span as calendar indexes: from the history start (or the first session) to the last one. */
function auditedSpan(options: Checked): Span | null {
  const { sessions, historyStart } = options;
  const first = historyStart === null ? 1 : sessions.findIndex((d) => d >= historyStart) + 1;
  return first >= 1 && sessions.length > 0 ? { first, last: sessions.length } : null;
}

/**
 * Compares stored bars with the exchange's sessions, for every active ticker (or the tickers given): the
 * sessions from its first stored bar (or `historyStart`) to the last session given should each have a bar in
 * stock_prices or be confirmed empty (`recordEmptyTries`, tries >= 2); those that are neither are gaps.
 *
 * Set-based, in one read-only snapshot: one statement counts every ticker's bars on the calendar and compares
 * the count with the sessions expected; only tickers whose counts differ get a second statement that finds
 * the missing sessions as ranges (a step between neighbouring bars, never a probe per session). A database
 * migrated before `confirmed_empty_sessions` existed is audited as having none.
 */
export async function auditPriceGaps(db: Database, options: PriceGapAuditOptions): Promise<PriceGapAudit> {
  const checked = checkOptions(options);
  const cut = auditedSpan(checked);
  const cal = [checked.sessions, checked.historyStart];
  return backendOf(db).transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const [present] = await tx.query<{ ok: boolean }>(
      `SELECT to_regclass('confirmed_empty_sessions') IS NOT NULL AS ok`,
    );
    const hasEmpties = present?.ok === true;
    const counted = await tx.query<CountRow>(countsSql(hasEmpties), [...cal, checked.tickers]);
    const audits = counted.filter((row) => row.known).map((row) => tickerAudit(row, cut, checked));
    const differing = audits.filter((a) => a.span !== null && a.audit.missing !== 0);
    const starts = new Map(differing.map((a) => [a.audit.ticker, a.span!.first]));
    const gaps = await gapRanges(tx, { cal, hasEmpties, starts });
    const tickers = audits.map(({ audit }) => ({ ...audit, gaps: gaps.get(audit.ticker) ?? [] }));
    return {
      from: cut ? checked.sessions[cut.first - 1]! : null,
      to: cut ? checked.sessions[cut.last - 1]! : null,
      sessions: cut ? cut.last - cut.first + 1 : 0,
      tickers,
      unknown: counted.filter((row) => !row.known).map((row) => row.ticker),
      totals: totalsOf(tickers),
    };
  });
}

/**
 * The earliest stored bar's date among the active tickers (or the tickers given), or null when none has a
 * bar: where a caller's session list for `auditPriceGaps` must start. Walks the date index from the oldest
 * row, so it costs a few rows, not a scan.
 */
export async function getFirstPriceDate(
  db: Database,
  options: { tickers?: readonly string[] | undefined } = {},
): Promise<string | null> {
  const tickers =
    options.tickers?.map((t, index) => checkTicker({ what: 'getFirstPriceDate', index }, t)) ?? null;
  const [row] = await backendOf(db).query<{ date: string }>(
    `SELECT p.date FROM stock_prices p
     WHERE CASE WHEN $1::text[] IS NULL
                THEN EXISTS (SELECT 1 FROM tickers t WHERE t.ticker = p.ticker AND t.active)
                ELSE p.ticker = ANY ($1::text[]) END
     ORDER BY p.date LIMIT 1`,
    [tickers],
  );
  return row?.date ?? null;
}

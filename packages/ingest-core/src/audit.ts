import {
  auditPriceGaps,
  checkDataQuality,
  type Database,
  type DataQuality,
  getFirstPriceDate,
  type PriceGapAudit,
  STALE_AFTER_SESSIONS,
} from '@smartstock/db';
import {
  isSession,
  isValidIsoDate,
  lastClosedSession,
  previousSession,
  sessionsBetween,
} from './calendar.js';
import { IngestError } from './errors.js';

/** What `auditPriceHistory` checks: which tickers, from when, as of which day. */
export interface PriceAuditOptions {
  /** Audit these tickers (active or not); default: every active ticker. */
  tickers?: readonly string[] | undefined;
  /** Expect every session from this date (YYYY-MM-DD); default: from each ticker's first stored bar. */
  historyStart?: string | undefined;
  /** Audit as of the end of this day (YYYY-MM-DD), New York: its session counts if it is one. Default: now. */
  asOf?: string | undefined;
  /** Sessions without a bar after which a ticker is stale (default 3). */
  staleAfter?: number | undefined;
}

/**
 * The gap audit's result: per ticker, the sessions without a bar and without a confirmed-empty record, plus the
 * session audited up to.
 */
export interface PriceAudit extends PriceGapAudit {
  /** The last session audited: the last closed one at the clock's instant, or at the end of `asOf`. */
  lastSession: string;
  /** True when some expected session has neither a bar nor a confirmed-empty record. */
  unexplained: boolean;
  /**
   * The data checks (db's checkDataQuality) over the last `QUALITY_SESSIONS` sessions: inconsistent bars,
   * moves over 50%, DCF values older than 30 days, active tickers with prices and no DCF. They are reported,
   * and do not make the audit `unexplained` (a gap is missing data; a finding is data to look at).
   */
  quality: DataQuality;
}

/** Sessions whose bars the audit's data checks read: a week, the nightly window's reach. */
export const QUALITY_SESSIONS = 5;

function checkDateOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined || isValidIsoDate(value)) return value;
  throw new IngestError(
    'INVALID_OPTIONS',
    `${name} must be a calendar date YYYY-MM-DD (got ${JSON.stringify(value)}), e.g. 2021-01-04`,
  );
}

/** The last session to audit: the last closed at `now`, or `asOf`'s (or the one before) when earlier. */
function lastSessionOf(now: Date, asOf: string | undefined): string {
  const closed = lastClosedSession(now);
  if (asOf === undefined || asOf >= closed) return closed;
  return isSession(asOf) ? asOf : previousSession(asOf);
}

/** The `count`-th session back from `last` (count 1 is `last` itself). */
function sessionsBack(last: string, count: number): string {
  let date = last;
  for (let i = 1; i < count; i++) date = previousSession(date);
  return date;
}

/**
 * The gap audit against the NYSE calendar: for every active ticker (or `tickers`), each session from its
 * first stored bar (or `historyStart`) to the last closed session should have a bar or be confirmed empty.
 * Builds the session list here (the database package knows no calendar) and lets `auditPriceGaps` compare
 * set-based. The list reaches back at least `staleAfter` sessions, so a ticker with no bar is seen as stale.
 */
export async function auditPriceHistory(
  deps: { db: Database; clock: () => Date },
  options: PriceAuditOptions = {},
): Promise<PriceAudit> {
  const historyStart = checkDateOption('historyStart', options.historyStart);
  const asOf = checkDateOption('asOf', options.asOf);
  const staleAfter = options.staleAfter ?? STALE_AFTER_SESSIONS;
  const lastSession = lastSessionOf(deps.clock(), asOf);
  if (historyStart !== undefined && historyStart > lastSession) {
    throw new IngestError(
      'INVALID_OPTIONS',
      `historyStart ${historyStart} is after the last closed session (${lastSession}): nothing to audit; ` +
        'give an earlier date',
    );
  }
  const first =
    historyStart ?? (await getFirstPriceDate(deps.db, { tickers: options.tickers })) ?? lastSession;
  const padded = sessionsBack(lastSession, staleAfter);
  const [start] = [first, padded].sort();
  const audit = await auditPriceGaps(deps.db, {
    sessions: sessionsBetween(start!, lastSession),
    tickers: options.tickers,
    historyStart,
    staleAfter,
  });
  const quality = await checkDataQuality(deps.db, {
    since: sessionsBack(lastSession, QUALITY_SESSIONS),
    asOf: lastSession,
  });
  return { ...audit, lastSession, unexplained: audit.totals.missing > 0, quality };
}

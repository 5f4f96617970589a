import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { isValidDate } from './validate.js';

/**
 * The data checks of the stored prices and DCF values: things a stock-analysis user would not believe, found
 * with one set-based query per check (never one per ticker), on both backends. They report; they never change
 * a row. What to do about a finding (refetch, look at it) is the caller's.
 */

/** The checks, in the order a report lists them. */
export const QUALITY_CHECKS = ['ohlc', 'big_move', 'stale', 'old_dcf', 'no_dcf'] as const;
/**
 * One data check: OHLC consistency, a close-to-close move beyond the limit (with no recorded split), an
 * active ticker with no new bar (stale; run only with `staleFrom`), a stale DCF, a missing DCF.
 */
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

/**
 * What one check found: how many rows, and the first few as `TICKER date: detail` lines (`TICKER` for no_dcf,
 * `TICKER: last bar date` for stale).
 */
export interface QualityFinding {
  check: QualityCheck;
  count: number;
  examples: string[];
}

/** Options of `checkDataQuality`. */
export interface DataQualityOptions {
  /** First date whose bars are checked (OHLC and moves), e.g. the night's window start. */
  since: string;
  /** The day of the check (YYYY-MM-DD, New York): bars up to it are checked, DCF ages counted from it. */
  asOf: string;
  /** A close-to-close move larger than this share is reported (default 0.5, i.e. 50%). */
  moveLimit?: number | undefined;
  /** A DCF valued more than this many days before `asOf` is reported (default 30). */
  dcfMaxAgeDays?: number | undefined;
  /** Examples kept per check (default 10). */
  examples?: number | undefined;
  /**
   * The stale check's first session (YYYY-MM-DD): an active ticker with stored bars but none on or after it
   * is stale. The caller counts it back on its exchange calendar (the 3rd session before the last closed
   * one: no new bar for 3 sessions or more); without it the stale check is not run and not reported.
   */
  staleFrom?: string | undefined;
}

/** Every check's finding, including those that found nothing (count 0). */
export interface DataQuality {
  since: string;
  asOf: string;
  /** The stale check's first session, when it ran. */
  staleFrom?: string | undefined;
  findings: QualityFinding[];
  /** Rows found by all checks together. */
  total: number;
}

const DEFAULTS = { moveLimit: 0.5, dcfMaxAgeDays: 30, examples: 10 };

// Each query returns its examples (at most $n rows) and, on every row, the check's full count.
const QUERIES: Record<QualityCheck, string> = {
  ohlc: `
    SELECT ticker, to_char(date, 'YYYY-MM-DD') AS day, count(*) OVER () AS total,
           format('open %s high %s low %s close %s volume %s', open, high, low, close, volume) AS detail
    FROM stock_prices
    WHERE date BETWEEN $1::date AND $2::date
      AND (low > high OR open > high OR close > high OR open < low OR close < low
           OR volume < 0 OR open <= 0 OR high <= 0 OR low <= 0 OR close <= 0)
    ORDER BY ticker, date LIMIT $3`,
  // The previous bar may be before \`since\` (a move on the window's first day counts), so the scan starts a
  // month earlier; only active tickers, whose prices a user reads. A move is explained by a split the prices
  // task recorded (sync_logs metadata.splitsDetected: stored closes up to that date were restated) in the
  // month before it; only the few candidate moves are matched against the log.
  big_move: `
    WITH moves AS (
      SELECT p.ticker, p.date, p.close,
             lag(p.close) OVER (PARTITION BY p.ticker ORDER BY p.date) AS previous
      FROM stock_prices p JOIN tickers t ON t.ticker = p.ticker AND t.active
      WHERE p.date BETWEEN $1::date - 31 AND $2::date
    )
    SELECT ticker, to_char(date, 'YYYY-MM-DD') AS day, count(*) OVER () AS total,
           format('close %s after %s (%s%%)', close, previous, round(((close / previous - 1) * 100)::numeric, 1))
             AS detail
    FROM moves m
    WHERE date >= $1::date AND previous > 0 AND abs(close / previous - 1) > $4
      AND NOT EXISTS (
        SELECT 1
        FROM sync_logs l
        CROSS JOIN LATERAL jsonb_array_elements(
          CASE WHEN jsonb_typeof(l.metadata -> 'splitsDetected') = 'array'
               THEN l.metadata -> 'splitsDetected' ELSE '[]'::jsonb END) AS s(split)
        WHERE l.task_name = 'ingest_market_data'
          AND s.split ->> 'ticker' = m.ticker
          AND CASE WHEN s.split ->> 'date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                   THEN (s.split ->> 'date')::date BETWEEN m.date - 31 AND m.date ELSE false END)
    ORDER BY ticker, date LIMIT $3`,
  // The last bar per active ticker is one probe of the (ticker, date) key each, not a scan of the prices.
  stale: `
    WITH last_bars AS (
      SELECT t.ticker, (SELECT max(p.date) FROM stock_prices p WHERE p.ticker = t.ticker) AS last_bar
      FROM tickers t WHERE t.active
    )
    SELECT ticker, NULL AS day, count(*) OVER () AS total,
           format('last bar %s', to_char(last_bar, 'YYYY-MM-DD')) AS detail
    FROM last_bars
    WHERE last_bar < $1::date
    ORDER BY ticker LIMIT $2`,
  old_dcf: `
    SELECT d.ticker, to_char(d.valuation_date, 'YYYY-MM-DD') AS day, count(*) OVER () AS total,
           format('valued %s days before', $1::date - d.valuation_date) AS detail
    FROM dcf_valuations d JOIN tickers t ON t.ticker = d.ticker AND t.active
    WHERE d.valuation_date < $1::date - $3::int
    ORDER BY d.ticker LIMIT $2`,
  no_dcf: `
    SELECT t.ticker, NULL AS day, count(*) OVER () AS total, '' AS detail
    FROM tickers t
    WHERE t.active
      AND EXISTS (SELECT 1 FROM stock_prices p WHERE p.ticker = t.ticker)
      AND NOT EXISTS (SELECT 1 FROM dcf_valuations d WHERE d.ticker = t.ticker)
    ORDER BY t.ticker LIMIT $1`,
};

interface FindingRow {
  ticker: string;
  day: string | null;
  total: string | number;
  detail: string;
}

/**
 * Runs every data check in one read-only snapshot: OHLC consistency (low <= open, close <= high, volume >= 0,
 * positive prices) of the bars from `since` to `asOf`; close-to-close moves beyond `moveLimit` in that span
 * (a bad print, or a split FMP has not adjusted yet; a split the prices task recorded explains its move); with
 * `staleFrom`, active tickers with bars but none since; active tickers whose DCF is older than
 * `dcfMaxAgeDays`; active tickers with prices and no DCF. Throws DatabaseError INVALID_ROW for malformed
 * options.
 */
export async function checkDataQuality(db: Database, options: DataQualityOptions): Promise<DataQuality> {
  const { since, asOf } = options;
  const moveLimit = options.moveLimit ?? DEFAULTS.moveLimit;
  const dcfMaxAgeDays = options.dcfMaxAgeDays ?? DEFAULTS.dcfMaxAgeDays;
  const examples = options.examples ?? DEFAULTS.examples;
  const { staleFrom } = options;
  for (const [name, day] of [
    ['since', since],
    ['asOf', asOf],
    ...(staleFrom === undefined ? [] : [['staleFrom', staleFrom] as const]),
  ] as const) {
    if (!isValidDate(day))
      throw new DatabaseError('INVALID_ROW', `checkDataQuality: ${name} must be YYYY-MM-DD`);
  }
  if (since > asOf)
    throw new DatabaseError('INVALID_ROW', `checkDataQuality: since ${since} is after asOf ${asOf}`);
  if (
    !(moveLimit > 0) ||
    !Number.isInteger(dcfMaxAgeDays) ||
    dcfMaxAgeDays < 0 ||
    !Number.isInteger(examples)
  ) {
    throw new DatabaseError(
      'INVALID_ROW',
      'checkDataQuality: moveLimit > 0 and whole dcfMaxAgeDays, examples',
    );
  }
  return backendOf(db).transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const findings: QualityFinding[] = [];
    for (const check of QUALITY_CHECKS) {
      if (check === 'stale' && staleFrom === undefined) continue;
      // PostgreSQL refuses a parameter a statement does not use (its type is unknown): each gets only its own.
      const params: unknown[] =
        check === 'no_dcf'
          ? [examples]
          : check === 'big_move'
            ? [since, asOf, examples, moveLimit]
            : check === 'old_dcf'
              ? [asOf, examples, dcfMaxAgeDays]
              : check === 'stale'
                ? [staleFrom, examples]
                : [since, asOf, examples];
      const rows = await tx.query<FindingRow>(QUERIES[check], params);
      findings.push({
        check,
        count: rows.length === 0 ? 0 : Number(rows[0]!.total),
        examples: rows.map((r) => `${r.ticker}${r.day ? ` ${r.day}` : ''}${r.detail ? `: ${r.detail}` : ''}`),
      });
    }
    return {
      since,
      asOf,
      ...(staleFrom === undefined ? {} : { staleFrom }),
      findings,
      total: findings.reduce((n, f) => n + f.count, 0),
    };
  });
}

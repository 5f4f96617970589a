import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { isValidDate } from './validate.js';

/**
 * The data checks of the stored prices and DCF values: things a stock-analysis user would not believe, found
 * with one set-based query per check (never one per ticker), on both backends. They report; they never change
 * a row. What to do about a finding (refetch, look at it) is the caller's.
 */

/** The checks, in the order a report lists them. */
export const QUALITY_CHECKS = ['ohlc', 'big_move', 'old_dcf', 'no_dcf'] as const;
/** One data check: OHLC consistency, a close-to-close move beyond the limit, a stale DCF, a missing DCF. */
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

/** What one check found: how many rows, and the first few as `TICKER date: detail` lines (`TICKER` for no_dcf). */
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
}

/** Every check's finding, including those that found nothing (count 0). */
export interface DataQuality {
  since: string;
  asOf: string;
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
  // month earlier; only active tickers, whose prices a user reads.
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
    FROM moves
    WHERE date >= $1::date AND previous > 0 AND abs(close / previous - 1) > $4
    ORDER BY ticker, date LIMIT $3`,
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
 * (a bad print, or a split FMP has not adjusted yet); active tickers whose DCF is older than `dcfMaxAgeDays`;
 * active tickers with prices and no DCF. Throws DatabaseError INVALID_ROW for malformed options.
 */
export async function checkDataQuality(db: Database, options: DataQualityOptions): Promise<DataQuality> {
  const { since, asOf } = options;
  const moveLimit = options.moveLimit ?? DEFAULTS.moveLimit;
  const dcfMaxAgeDays = options.dcfMaxAgeDays ?? DEFAULTS.dcfMaxAgeDays;
  const examples = options.examples ?? DEFAULTS.examples;
  for (const [name, day] of [
    ['since', since],
    ['asOf', asOf],
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
      // PostgreSQL refuses a parameter a statement does not use (its type is unknown): each gets only its own.
      const params: unknown[] =
        check === 'no_dcf'
          ? [examples]
          : check === 'big_move'
            ? [since, asOf, examples, moveLimit]
            : check === 'old_dcf'
              ? [asOf, examples, dcfMaxAgeDays]
              : [since, asOf, examples];
      const rows = await tx.query<FindingRow>(QUERIES[check], params);
      findings.push({
        check,
        count: rows.length === 0 ? 0 : Number(rows[0]!.total),
        examples: rows.map((r) => `${r.ticker}${r.day ? ` ${r.day}` : ''}${r.detail ? `: ${r.detail}` : ''}`),
      });
    }
    return { since, asOf, findings, total: findings.reduce((n, f) => n + f.count, 0) };
  });
}

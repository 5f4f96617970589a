import { checkDataQuality, STALE_AFTER_SESSIONS } from '@smartstock/db';
import { addDays, lastClosedSession, newYorkDate, sessionsBetween } from '../calendar.js';
import type { QualitySummary } from '../summary.js';
import type { TaskContext, TaskResult } from './context.js';

export const QUALITY_TASK = 'check_data_quality' as const;

/** A close-to-close move larger than this share is a finding (50%). */
export const QUALITY_MOVE_LIMIT = 0.5;
/** A DCF valued more than this many days ago is a finding. */
export const QUALITY_DCF_MAX_AGE_DAYS = 30;
/** Examples kept per check in the summary and the sync_logs row. */
export const QUALITY_EXAMPLES = 10;

export interface QualityTaskOptions {
  /** First date whose bars are checked: the run's window start (the rows written tonight). */
  since: string;
}

/**
 * The first of the last `STALE_AFTER_SESSIONS` closed sessions at `now`: an active ticker with no bar on or
 * after it has had no new bar for that many sessions or more.
 */
export function staleFromSession(now: Date, staleAfter = STALE_AFTER_SESSIONS): string {
  const last = lastClosedSession(now);
  // A week of calendar days per session wanted always holds enough (NYSE closures last a few days at most).
  const sessions = sessionsBetween(addDays(last, -7 * staleAfter), last);
  return sessions.at(-staleAfter) ?? sessions[0]!;
}

/**
 * `check_data_quality`: db's data checks over the rows written tonight (OHLC consistency and close-to-close
 * moves over 50% with no recorded split, from the window's start), active tickers with no new bar for 3
 * sessions or more, DCF values older than 30 days, tickers with prices and no DCF. Findings are reported in
 * the metadata and never fail the task: it fails only when the checks cannot run (a database error).
 */
export async function runQualityTask(ctx: TaskContext, options: QualityTaskOptions): Promise<TaskResult> {
  const now = ctx.clock();
  const asOf = newYorkDate(now);
  // A window never ends after today; the earlier of the two keeps the span valid all the same.
  const [since] = [options.since, asOf].sort() as [string, string];
  const q = await checkDataQuality(ctx.db, {
    since,
    asOf,
    staleFrom: staleFromSession(now),
    moveLimit: QUALITY_MOVE_LIMIT,
    dcfMaxAgeDays: QUALITY_DCF_MAX_AGE_DAYS,
    examples: QUALITY_EXAMPLES,
  });
  const quality: QualitySummary = {
    since: q.since,
    asOf: q.asOf,
    ...(q.staleFrom !== undefined ? { staleFrom: q.staleFrom } : {}),
    total: q.total,
    findings: q.findings.map((f) => ({ check: f.check, count: f.count, examples: [...f.examples] })),
  };
  if (q.total > 0) {
    ctx.logger.warn('the data checks found rows to look at', {
      task: QUALITY_TASK,
      findings: Object.fromEntries(q.findings.filter((f) => f.count > 0).map((f) => [f.check, f.count])),
    });
  }
  return {
    status: 'success',
    rowsInserted: 0,
    rowsChanged: 0,
    tickers: 0,
    // Counts are per ticker outcome in the other tasks; the checks' counts are in `quality`.
    counts: {},
    errorMessage: null,
    failures: [],
    metadata: { runId: ctx.runId, quality },
    fatal: null,
  };
}

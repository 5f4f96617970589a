import { CONFIRM_EMPTY_TRIES } from './audit.js';
import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkDate, checkTicker, type RowContext } from './validate.js';

/** A (ticker, session) FMP answered with no bar, for `recordEmptyTries`. */
export interface EmptySession {
  ticker: string;
  /** The session (YYYY-MM-DD) for which FMP returned no bar. */
  date: string;
}

/** The state of an EmptySession after `recordEmptyTries` counted this try. */
export interface EmptyTry extends EmptySession {
  /** Empty tries recorded so far, this one included. */
  tries: number;
  /** True from the CONFIRM_EMPTY_TRIES-th try: the audit counts the session as explained. */
  confirmed: boolean;
}

const utcWallTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

function checkAt(at: unknown): Date {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new DatabaseError(
      'INVALID_ROW',
      `recordEmptyTries: options.at must be a valid Date (the caller's clock), got ${String(at)}; nothing was written`,
    );
  }
  return at;
}

/**
 * Records one empty try for each (ticker, session): FMP was asked for the session and returned no bar (a halt,
 * a suspension). The first try inserts a row with tries = 1; each later one adds 1; from the second
 * (CONFIRM_EMPTY_TRIES) `confirmed_at` is set to `at` (once) and the gap audit counts the session as
 * explained. A pair given twice in one call counts once. Returns each pair's state after the call, sorted.
 * `at` is the caller's clock (stored as UTC wall time, like every timestamp of the schema).
 */
export async function recordEmptyTries(
  db: Database,
  sessions: readonly EmptySession[],
  options: { at: Date },
): Promise<EmptyTry[]> {
  const at = checkAt(options?.at);
  if (sessions.length === 0) return [];
  const keys = new Map<string, EmptySession>();
  sessions.forEach((s, index) => {
    const context: RowContext = { what: 'empty session', index, ticker: s?.ticker, date: s?.date };
    const pair = { ticker: checkTicker(context, s.ticker), date: checkDate(context, 'date', s.date) };
    keys.set(`${pair.ticker}|${pair.date}`, pair);
  });
  const list = [...keys.values()];
  const rows = await backendOf(db).query<{ ticker: string; date: string; tries: number }>(
    `INSERT INTO confirmed_empty_sessions AS t (ticker, date, tries, last_tried_at, confirmed_at)
     SELECT s.ticker, s.date, 1, $3::timestamp, CASE WHEN 1 >= $4 THEN $3::timestamp END
     FROM unnest($1::text[], $2::date[]) AS s(ticker, date)
     ON CONFLICT (ticker, date) DO UPDATE SET
       tries = t.tries + 1,
       last_tried_at = excluded.last_tried_at,
       confirmed_at = COALESCE(t.confirmed_at, CASE WHEN t.tries + 1 >= $4 THEN excluded.last_tried_at END)
     RETURNING ticker::text AS ticker, date, tries`,
    [list.map((s) => s.ticker), list.map((s) => s.date), utcWallTime(at), CONFIRM_EMPTY_TRIES],
  );
  return rows
    .map((r) => ({ ...r, confirmed: r.tries >= CONFIRM_EMPTY_TRIES }))
    .sort((a, b) => (a.ticker === b.ticker ? a.date.localeCompare(b.date) : a.ticker < b.ticker ? -1 : 1));
}

import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkDate, checkTicker, type RowContext } from './validate.js';

/** One membership interval of a ticker in a fund, as `readMemberships` returns it. */
export interface MembershipInterval {
  fund: string;
  ticker: string;
  /** First day as a member (inclusive), `YYYY-MM-DD`. */
  joinedOn: string;
  /** First day no longer a member (exclusive), `YYYY-MM-DD`; null while it is a member. */
  leftOn: string | null;
}

/** What `recordMembership` changed: the tickers whose interval it opened and closed, sorted. */
export interface MembershipChange {
  joined: string[];
  left: string[];
}

const FUND = /^[A-Z0-9][A-Z0-9._-]{0,19}$/;

function checkFund(what: string, fund: unknown): string {
  if (typeof fund !== 'string' || !FUND.test(fund)) {
    throw new DatabaseError(
      'INVALID_ROW',
      `${what}: fund must be 1-20 upper-case letters, digits, ".", "_" or "-", got ${JSON.stringify(fund)}`,
    );
  }
  return fund;
}

/**
 * Records that `tickers` are the members of `fund` on `on` (`YYYY-MM-DD`), as a history of intervals: a ticker
 * with no open interval gets one from `on` (a rejoin opens a new interval), an open interval of a ticker absent
 * from `tickers` is closed with left_on = `on`. Idempotent for the same day: recording the same set again
 * changes nothing, and a corrected set the same day undoes that day's joins and leaves instead of keeping
 * empty intervals. Set-based, one transaction.
 *
 * The first time a fund is recorded every ticker given is taken as a member since `on`: when a ticker joined
 * before membership was recorded is not known (its first stored bar says when it listed, not when it joined).
 * A date before the fund's last recorded change is refused (the history is recorded in order).
 */
export async function recordMembership(
  db: Database,
  options: { fund: string; tickers: readonly string[]; on: string },
): Promise<MembershipChange> {
  const fund = checkFund('recordMembership', options?.fund);
  const on = checkDate({ what: 'membership', index: -1 }, 'on', options.on);
  if (!Array.isArray(options.tickers) || options.tickers.length === 0) {
    throw new DatabaseError(
      'INVALID_ROW',
      'recordMembership needs at least one ticker: an empty set would end every membership of the fund',
    );
  }
  const tickers = [
    ...new Set(
      options.tickers.map((t, index) =>
        checkTicker({ what: 'membership', index, ticker: t } as RowContext, t),
      ),
    ),
  ];
  return backendOf(db).transaction(async (tx) => {
    const [latest] = await tx.query<{ latest: string | null }>(
      `SELECT to_char(GREATEST(max(joined_on), max(left_on)), 'YYYY-MM-DD') AS latest
       FROM universe_memberships WHERE fund = $1::text`,
      [fund],
    );
    if (latest?.latest != null && latest.latest > on) {
      throw new DatabaseError(
        'INVALID_ROW',
        `recordMembership: ${fund}'s membership was last recorded on ${latest.latest}, so ${on} is too early`,
      );
    }
    // The same day again: an interval opened today for a ticker now absent is removed (it never was one), an
    // interval closed today for a ticker present again is reopened.
    const undoneJoins = await tx.query<{ ticker: string }>(
      `DELETE FROM universe_memberships
       WHERE fund = $1::text AND left_on IS NULL AND joined_on = $3::date AND NOT (ticker = ANY ($2::text[]))
       RETURNING ticker`,
      [fund, tickers, on],
    );
    const undoneLeaves = await tx.query<{ ticker: string }>(
      `UPDATE universe_memberships SET left_on = NULL
       WHERE fund = $1::text AND left_on = $3::date AND ticker = ANY ($2::text[])
         AND NOT EXISTS (SELECT 1 FROM universe_memberships o
                         WHERE o.fund = $1::text AND o.ticker = universe_memberships.ticker AND o.left_on IS NULL)
       RETURNING ticker`,
      [fund, tickers, on],
    );
    const left = await tx.query<{ ticker: string }>(
      `UPDATE universe_memberships SET left_on = $3::date
       WHERE fund = $1::text AND left_on IS NULL AND joined_on < $3::date AND NOT (ticker = ANY ($2::text[]))
       RETURNING ticker`,
      [fund, tickers, on],
    );
    const joined = await tx.query<{ ticker: string }>(
      `INSERT INTO universe_memberships (fund, ticker, joined_on, left_on)
       SELECT $1::text, s.ticker, $3::date, NULL FROM unnest($2::text[]) AS s(ticker)
       WHERE NOT EXISTS (SELECT 1 FROM universe_memberships m
                         WHERE m.fund = $1::text AND m.ticker = s.ticker AND m.left_on IS NULL)
       ON CONFLICT (fund, ticker, joined_on) DO NOTHING
       RETURNING ticker`,
      [fund, tickers, on],
    );
    const sorted = (rows: { ticker: string }[]) => rows.map((r) => r.ticker).sort();
    const undone = new Set([...sorted(undoneJoins), ...sorted(undoneLeaves)]);
    return {
      joined: sorted(joined).filter((t) => !undone.has(t)),
      left: sorted(left).filter((t) => !undone.has(t)),
    };
  });
}

/** The members of `fund` on `date` (`YYYY-MM-DD`), sorted: one query over the membership intervals. */
export async function membersOn(db: Database, options: { fund: string; date: string }): Promise<string[]> {
  const fund = checkFund('membersOn', options?.fund);
  const date = checkDate({ what: 'membership', index: -1 }, 'date', options.date);
  const rows = await backendOf(db).query<{ ticker: string }>(
    `SELECT ticker FROM universe_memberships
     WHERE fund = $1::text AND joined_on <= $2::date AND (left_on IS NULL OR left_on > $2::date)
     ORDER BY ticker COLLATE "C"`,
    [fund, date],
  );
  return rows.map((r) => r.ticker);
}

/** The membership intervals of `fund` (of one ticker if given), by ticker then joined_on. */
export async function readMemberships(
  db: Database,
  options: { fund: string; ticker?: string | undefined },
): Promise<MembershipInterval[]> {
  const fund = checkFund('readMemberships', options?.fund);
  const ticker =
    options.ticker === undefined
      ? null
      : checkTicker({ what: 'readMemberships', index: -1 } as RowContext, options.ticker);
  const rows = await backendOf(db).query<{
    fund: string;
    ticker: string;
    joined_on: string;
    left_on: string | null;
  }>(
    `SELECT fund::text AS fund, ticker::text AS ticker, to_char(joined_on, 'YYYY-MM-DD') AS joined_on,
            to_char(left_on, 'YYYY-MM-DD') AS left_on
     FROM universe_memberships WHERE fund = $1::text AND ($2::text IS NULL OR ticker = $2::text)
     ORDER BY ticker COLLATE "C", joined_on`,
    [fund, ticker],
  );
  return rows.map((r) => ({ fund: r.fund, ticker: r.ticker, joinedOn: r.joined_on, leftOn: r.left_on }));
}

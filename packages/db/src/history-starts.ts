import { backendOf, type Database } from './backend.js';
import { checkDate, checkTicker, type RowContext } from './validate.js';

/** A ticker's stored history start and where its history is known to start (`tickers.history_start`). */
export interface HistoryStart {
  ticker: string;
  /** Its first stored bar (`YYYY-MM-DD`), or null with none stored. */
  firstBar: string | null;
  /**
   * Where its history is known to start: FMP had no bar before it when the history was backfilled
   * (`recordHistoryStarts`); null while not known.
   */
  historyStart: string | null;
  /**
   * With `fund`: the day its current membership of the fund began (null when it is no member), and whether
   * that is the fund's first recorded day (a founding member, there before membership was recorded).
   */
  joinedOn: string | null;
  founding: boolean;
}

/**
 * The first stored bar and the known history start of each active ticker (or of `tickers`, active or not),
 * sorted by ticker, with their membership of `fund` when given. One query.
 */
export async function readHistoryStarts(
  db: Database,
  options: { tickers?: readonly string[] | undefined; fund?: string | undefined } = {},
): Promise<HistoryStart[]> {
  const tickers =
    options.tickers?.map((t, index) => checkTicker({ what: 'readHistoryStarts', index } as RowContext, t)) ??
    null;
  const rows = await backendOf(db).query<{
    ticker: string;
    first_bar: string | null;
    history_start: string | null;
    joined_on: string | null;
    founding: boolean;
  }>(
    `WITH fund_start AS (SELECT min(joined_on) AS day FROM universe_memberships WHERE fund = $2::text)
     SELECT t.ticker::text AS ticker,
            (SELECT to_char(p.date, 'YYYY-MM-DD') FROM stock_prices p WHERE p.ticker = t.ticker
             ORDER BY p.date LIMIT 1) AS first_bar,
            to_char(t.history_start, 'YYYY-MM-DD') AS history_start,
            to_char(m.joined_on, 'YYYY-MM-DD') AS joined_on,
            COALESCE(m.joined_on = (SELECT day FROM fund_start), false) AS founding
     FROM tickers t
     LEFT JOIN universe_memberships m
       ON m.fund = $2::text AND m.ticker = t.ticker AND m.left_on IS NULL
     WHERE CASE WHEN $1::text[] IS NULL THEN t.active ELSE t.ticker = ANY ($1::text[]) END
     ORDER BY t.ticker COLLATE "C"`,
    [tickers, options.fund ?? null],
  );
  return rows.map((r) => ({
    ticker: r.ticker,
    firstBar: r.first_bar,
    historyStart: r.history_start,
    joinedOn: r.joined_on,
    founding: r.founding,
  }));
}

/**
 * Remembers where each ticker's history is known to start (`tickers.history_start`), so a backfill to an
 * earlier date does not ask FMP for that range again. Set-based; a ticker absent from `tickers` is ignored.
 * Returns how many tickers were updated.
 */
export async function recordHistoryStarts(
  db: Database,
  starts: readonly { ticker: string; historyStart: string }[],
): Promise<number> {
  if (starts.length === 0) return 0;
  const list = starts.map((s, index) => {
    const context = { what: 'history start', index, ticker: s?.ticker } as RowContext;
    return {
      ticker: checkTicker(context, s.ticker),
      date: checkDate(context, 'historyStart', s.historyStart),
    };
  });
  const rows = await backendOf(db).query<{ ticker: string }>(
    `UPDATE tickers t SET history_start = s.date
     FROM unnest($1::text[], $2::date[]) AS s(ticker, date)
     WHERE t.ticker = s.ticker
     RETURNING t.ticker`,
    [list.map((s) => s.ticker), list.map((s) => s.date)],
  );
  return rows.length;
}

import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import {
  checkDate,
  checkNullableNumber,
  checkNullableText,
  checkTicker,
  type RowContext,
} from './validate.js';

/**
 * One ticker of the universe as `replaceUniverse` stores it in the tickers table (`weight` in percent of the
 * index, as iShares gives it).
 */
export interface UniverseEntry {
  ticker: string;
  name: string | null;
  sector: string | null;
  exchange: string | null;
  weight: number | null;
}

/** What `replaceUniverse` changed, for the run summary. */
export interface UniverseChange {
  /** Tickers active now that were not active before (new, or back after leaving), sorted. */
  added: string[];
  /** Tickers active before and absent from `entries`, now inactive, sorted. */
  removed: string[];
  /** Active tickers after the call. */
  total: number;
}

/**
 * Upserts the universe as of `asOf`: new tickers added, present ones refreshed (last_seen, active = true),
 * tickers absent from `entries` marked inactive (last_seen kept). Never deletes. One transaction.
 * An empty `entries` is refused: it would deactivate the whole universe.
 */
export async function replaceUniverse(
  db: Database,
  entries: readonly UniverseEntry[],
  options: { asOf: string },
): Promise<UniverseChange> {
  const asOf = checkDate({ what: 'universe', index: -1 }, 'asOf', options?.asOf);
  if (entries.length === 0) {
    throw new DatabaseError(
      'INVALID_ROW',
      'replaceUniverse needs at least one entry: an empty universe would mark every ticker inactive',
    );
  }
  const byTicker = new Map<string, UniverseEntry>();
  entries.forEach((entry, index) => {
    const context: RowContext = { what: 'universe', index, ticker: entry?.ticker };
    byTicker.set(checkTicker(context, entry.ticker), {
      ticker: entry.ticker,
      name: checkNullableText(context, 'name', entry.name, 500),
      sector: checkNullableText(context, 'sector', entry.sector, 200),
      exchange: checkNullableText(context, 'exchange', entry.exchange, 200),
      weight: checkNullableNumber(context, 'weight', entry.weight),
    });
  });
  const list = [...byTicker.values()];
  const tickers = list.map((e) => e.ticker);

  return backendOf(db).transaction(async (tx) => {
    const before = await tx.query<{ ticker: string }>(`SELECT ticker FROM tickers WHERE active`);
    const wasActive = new Set(before.map((r) => r.ticker));
    await tx.query(
      `INSERT INTO tickers AS t (ticker, name, sector, exchange, weight, as_of_date, first_seen, last_seen, active)
       SELECT s.ticker, s.name, s.sector, s.exchange, s.weight, $6::date, $6::date, $6::date, true
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[]) AS s(ticker, name, sector, exchange, weight)
       ON CONFLICT (ticker) DO UPDATE SET
         name = excluded.name, sector = excluded.sector, exchange = excluded.exchange, weight = excluded.weight,
         as_of_date = excluded.as_of_date, last_seen = GREATEST(t.last_seen, excluded.last_seen), active = true`,
      [
        tickers,
        list.map((e) => e.name),
        list.map((e) => e.sector),
        list.map((e) => e.exchange),
        list.map((e) => e.weight),
        asOf,
      ],
    );
    const removed = await tx.query<{ ticker: string }>(
      `UPDATE tickers SET active = false WHERE active AND NOT (ticker = ANY ($1::text[])) RETURNING ticker`,
      [tickers],
    );
    return {
      added: tickers.filter((t) => !wasActive.has(t)).sort(),
      removed: removed.map((r) => r.ticker).sort(),
      total: tickers.length,
    };
  });
}

/** The active universe, sorted. */
export async function getActiveTickers(db: Database): Promise<string[]> {
  const rows = await backendOf(db).query<{ ticker: string }>(
    `SELECT ticker FROM tickers WHERE active ORDER BY ticker COLLATE "C"`,
  );
  return rows.map((r) => r.ticker);
}

import { type Database, type PriceRow, replaceUniverse, writePrices } from '@smartstock/db';

/**
 * Stored price histories for the audit's and repair's tests: which sessions each ticker has a bar for, and
 * nothing else that matters (every bar has the same prices). The db package's own audit tests keep their copy:
 * testkit depends on db, so db's tests cannot import it.
 */
export type Histories = Record<string, readonly string[]>;

/** One plain daily bar; only the ticker and the date vary. */
export function priceBar(ticker: string, date: string): PriceRow {
  return {
    ticker,
    date,
    open: 5,
    high: 6,
    low: 4,
    close: 5.5,
    volume: 1_000,
    vwap: null,
    change: null,
    changePercent: null,
    source: 'test',
  };
}

/** Every ticker of `histories` as the universe (listed on `asOf`), and a bar on each of its dates. */
export async function seedHistories(
  db: Database,
  histories: Histories,
  options: { asOf: string },
): Promise<void> {
  const entries = Object.keys(histories).map((ticker) => ({
    ticker,
    name: null,
    sector: null,
    exchange: null,
    weight: null,
  }));
  await replaceUniverse(db, entries, { asOf: options.asOf });
  await writePrices(
    db,
    Object.entries(histories).flatMap(([ticker, dates]) => dates.map((d) => priceBar(ticker, d))),
  );
}

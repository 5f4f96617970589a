/**
 * The upsert benchmark's rows, defined twice: in TypeScript for our writer, and in SQL for the database's
 * own ceiling, so both write the very same rows.
 */
import type { PriceRow } from '@smartstock/db';

const FIRST_DAY = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

/** Day d as YYYY-MM-DD, counting calendar days from 2020-01-01 (the SQL side adds d to that DATE). */
export function benchDates(days: number): string[] {
  return Array.from({ length: days }, (_, d) => new Date(FIRST_DAY + d * DAY_MS).toISOString().slice(0, 10));
}

/** Ticker i as four letters ('QAAA', 'QAAB', ...), the same in TypeScript and in SQL below. */
export function tickerOf(i: number): string {
  return `Q${String.fromCharCode(65 + Math.floor(i / 676), 65 + (Math.floor(i / 26) % 26), 65 + (i % 26))}`;
}

/**
 * Row k (0 <= k < tickers * days) of pass v (0 = first write, 1 = every value changed). The arithmetic is
 * IEEE double in both languages and in the same order, so the SQL ceiling writes bit-identical rows.
 */
export function benchRow(k: number, v: number, days: number, dates: string[]): PriceRow {
  const i = Math.floor(k / days);
  const d = k % days;
  const o = 10 + ((k * 7919) % 100_000) / 100 + v * 0.5;
  const c = ((k % 11) - 5) / 10;
  return {
    ticker: tickerOf(i),
    date: dates[d]!,
    open: o,
    high: o + 1.5,
    low: o - 1.5,
    close: o + c,
    volume: 1000 + ((k * 31) % 1_000_000) + v,
    vwap: o + 0.25,
    change: c + v,
    changePercent: ((k % 200) - 100) / 100 + v,
    source: v === 0 ? 'bench' : 'bench-update',
  };
}

/**
 * The ceiling: the rows of `benchRow` for pass v, generated and upserted inside the database in one
 * statement. Its ON CONFLICT clause is the writer's own (@smartstock/db writePrices): every value column and
 * `source` set, `updated_at = now()`, and only where a value column is distinct; timestamps on insert come
 * from the column defaults. What it leaves out is everything a client adds: shipping the rows, staging them
 * and counting what changed.
 */
export function ceilingSql(table: string, rows: number, days: number, v: number): string {
  const compare = ['open', 'high', 'low', 'close', 'volume', 'vwap', 'change', 'change_percent'];
  const set = [...compare, 'source'].map((c) => `${c} = excluded.${c}`);
  return `
INSERT INTO ${table} AS t (ticker, date, open, high, low, close, volume, vwap, change, change_percent, source)
SELECT 'Q' || chr(65 + i / 676) || chr(65 + (i / 26) % 26) || chr(65 + i % 26),
       DATE '2020-01-01' + d,
       o, o + 1.5::float8, o - 1.5::float8, o + c, 1000 + (k * 31) % 1000000 + ${v},
       o + 0.25::float8, c + ${v}::float8, p + ${v}::float8, '${v === 0 ? 'bench' : 'bench-update'}'
FROM (
  SELECT k, (k / ${days})::int AS i, (k % ${days})::int AS d,
         10 + ((k * 7919) % 100000)::float8 / 100 + ${v * 0.5}::float8 AS o,
         ((k % 11) - 5)::float8 / 10 AS c,
         ((k % 200) - 100)::float8 / 100 AS p
  FROM generate_series(0::bigint, ${rows - 1}::bigint) AS k
) AS s
ON CONFLICT (ticker, date) DO UPDATE SET ${set.join(', ')}, updated_at = now()
WHERE (${compare.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compare.map((c) => `excluded.${c}`).join(', ')})`;
}

import { createDatabase, type Database, migrate } from '@smartstock/db';
import { afterAll, describe, expect, it } from 'vitest';
import { freshEmbedded, freshPostgres, type ScratchDatabase } from '../databases.js';
import { benchDates, benchRow, ceilingSql, tickerOf } from './rows.js';

// The upsert ratios are only fair if the SQL ceiling writes the very rows our writer is given: checked
// here on each backend the bench measures (PostgreSQL when TEST_DATABASE_URL is set).
const backends: ('embedded' | 'postgres')[] = process.env.TEST_DATABASE_URL
  ? ['embedded', 'postgres']
  : ['embedded'];

const scratches: ScratchDatabase[] = [];
afterAll(async () => {
  for (const s of scratches) await s.dispose();
});

async function open(kind: 'embedded' | 'postgres'): Promise<Database> {
  const scratch =
    kind === 'postgres'
      ? await freshPostgres(process.env.TEST_DATABASE_URL!, 'rows-test')
      : await freshEmbedded('rows-test');
  scratches.push(scratch);
  const db = await createDatabase(
    scratch.target.kind === 'postgres' ? { url: scratch.target.url } : { dataDir: scratch.target.dataDir },
  );
  await migrate(db);
  return db;
}

describe('tickerOf', () => {
  it('spells row numbers as distinct four-letter tickers', () => {
    expect(tickerOf(0)).toBe('QAAA');
    expect(tickerOf(27)).toBe('QABB');
    expect(new Set(Array.from({ length: 1000 }, (_, i) => tickerOf(i))).size).toBe(1000);
  });
});

describe.each(backends)('the ceiling statement on %s', (kind) => {
  it('writes exactly the rows of benchRow, then changes every value of every row', async () => {
    const db = await open(kind);
    try {
      const rows = 1200;
      const days = 100;
      const dates = benchDates(days);
      for (const v of [0, 1]) {
        await db.query(ceilingSql('stock_prices', rows, days, v));
        const stored = await db.query<Record<string, unknown>>(
          `SELECT ticker, date::text AS date, open, high, low, close, volume::float8 AS volume, vwap, change,
                  change_percent AS "changePercent", source
             FROM stock_prices ORDER BY ticker, date`,
        );
        expect(stored).toEqual(Array.from({ length: rows }, (_, k) => ({ ...benchRow(k, v, days, dates) })));
      }
      const first = benchRow(7, 0, days, dates);
      const second = benchRow(7, 1, days, dates);
      for (const key of [
        'open',
        'high',
        'low',
        'close',
        'volume',
        'vwap',
        'change',
        'changePercent',
      ] as const) {
        expect(second[key]).not.toBe(first[key]);
      }
    } finally {
      await db.close();
    }
  });

  it('changes nothing when the same values are written again', async () => {
    const db = await open(kind);
    try {
      await db.query(ceilingSql('stock_prices', 300, 100, 0));
      // A stamp no statement of today can write: a row the second statement touched would get now().
      await db.query(`UPDATE stock_prices SET updated_at = TIMESTAMP '2000-01-01 00:00:00'`);
      const before = await db.query(
        'SELECT ticker, date::text AS d, updated_at FROM stock_prices ORDER BY 1, 2',
      );
      await db.query(ceilingSql('stock_prices', 300, 100, 0));
      const after = await db.query(
        'SELECT ticker, date::text AS d, updated_at FROM stock_prices ORDER BY 1, 2',
      );
      expect(after).toHaveLength(300);
      expect(after).toEqual(before);
    } finally {
      await db.close();
    }
  });
});

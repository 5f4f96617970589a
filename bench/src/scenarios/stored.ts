import { createDatabase, type Database } from '@smartstock/db';
import type { DatabaseTarget } from '../protocol.js';

export function openTarget(target: DatabaseTarget): Promise<Database> {
  return createDatabase(target.kind === 'postgres' ? { url: target.url } : { dataDir: target.dataDir });
}

export interface StoredPrice {
  ticker: string;
  date: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: string | null;
  vwap: number | null;
  change: number | null;
}

/** Every stored bar, in key order (after the pipeline process has exited: PGlite allows one opener). */
export async function readStoredPrices(target: DatabaseTarget): Promise<StoredPrice[]> {
  const db = await openTarget(target);
  try {
    return await db.query<StoredPrice>(
      `SELECT ticker, date::text AS date, open, high, low, close, volume::text AS volume, vwap, change
         FROM stock_prices ORDER BY ticker, date`,
    );
  } finally {
    await db.close();
  }
}

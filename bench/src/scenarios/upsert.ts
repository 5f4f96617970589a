/**
 * db-upsert-postgres / db-upsert-embedded: 1,000,000 price rows through the project's writer (`writePrices`,
 * in the batch size the prices task uses), then the same keys again with every value changed; beside them,
 * the backend's own ceiling for the same work: one INSERT ... SELECT ... FROM generate_series(...)
 * ON CONFLICT DO UPDATE inside the database, into a table made LIKE stock_prices (same columns, key,
 * indexes and defaults). No client is involved in the ceiling, so ours / ceiling is the share of the
 * database's own speed that the writer keeps.
 */
import { performance } from 'node:perf_hooks';
import { type Database, migrate, type PriceRow, writePrices } from '@smartstock/db';
import { BatchWriter } from '@smartstock/ingest-core';
import { round } from '../analysis.js';
import {
  freshEmbedded,
  freshPostgres,
  NO_POSTGRES_REASON,
  postgresServerUrl,
  type ScratchDatabase,
} from '../databases.js';
import { progress } from '../log.js';
import { emptyResult, type ScenarioResult } from '../report.js';
import { benchDates, benchRow, ceilingSql } from './rows.js';
import { openTarget } from './stored.js';

export const UPSERT = {
  tickers: 1000,
  days: 1000,
  /** Rows per writePrices call. */
  batchRows: 5000,
};

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

/**
 * One pass of our writer over every row, exactly as the prices task writes: ingest-core's BatchWriter (batches
 * of the task's size, the task's writes in flight) over writePrices. The rows are built first, so only the
 * writing is timed, not row generation.
 */
async function writerPass(
  db: Database,
  v: number,
): Promise<{ seconds: number; inserted: number; updated: number }> {
  const { tickers, days, batchRows } = UPSERT;
  const total = tickers * days;
  const dates = benchDates(days);
  const chunks: PriceRow[][] = [];
  for (let start = 0; start < total; start += batchRows) {
    const chunk: PriceRow[] = [];
    for (let k = start; k < Math.min(total, start + batchRows); k++) chunk.push(benchRow(k, v, days, dates));
    chunks.push(chunk);
  }
  const writer = new BatchWriter<PriceRow>((rows) => writePrices(db, rows), batchRows);
  const t = await timed(async () => {
    // Producers as the task has them: many tickers' rows arriving at once, each waiting on back-pressure.
    let next = 0;
    const producer = async () => {
      while (next < chunks.length) await writer.add(chunks[next++]!);
    };
    await Promise.all(Array.from({ length: 4 }, producer));
    await writer.flush();
  });
  const seconds = t.seconds;
  const inserted = writer.inserted;
  const updated = writer.updated;
  return { seconds, inserted, updated };
}

/** Flushes dirty pages before each timed phase so that no phase pays for the previous one's checkpoint. */
async function settle(db: Database): Promise<void> {
  if (db.kind === 'postgres') await db.query('CHECKPOINT').catch(() => {});
}

export async function dbUpsert(kind: 'postgres' | 'embedded'): Promise<ScenarioResult> {
  const name = kind === 'postgres' ? 'db-upsert-postgres' : 'db-upsert-embedded';
  const goalRatio = kind === 'postgres' ? 0.8 : 0.6;
  const result = emptyResult(name, `insertCeilingRatio and updateCeilingRatio >= ${goalRatio}`);
  const server = postgresServerUrl();
  if (kind === 'postgres' && !server) return { ...result, skipped: NO_POSTGRES_REASON };

  const scratch: ScratchDatabase =
    kind === 'postgres' ? await freshPostgres(server!, name) : await freshEmbedded(name);
  try {
    const db = await openTarget(scratch.target);
    try {
      await migrate(db);
      const total = UPSERT.tickers * UPSERT.days;
      const ceilingTable = 'bench_ceiling_prices';
      await db.query(`CREATE TABLE ${ceilingTable} (LIKE stock_prices INCLUDING ALL)`);

      // Interleaved (ceiling, ours, ceiling, ours) so that both meet the same table sizes and cache state.
      await settle(db);
      progress(`  ${name}: ceiling insert of ${total.toLocaleString('en-US')} rows`);
      const ceilingInsert = await timed(() => db.query(ceilingSql(ceilingTable, total, UPSERT.days, 0)));
      await settle(db);
      progress(`  ${name}: writePrices insert`);
      const ownInsert = await writerPass(db, 0);
      await settle(db);
      progress(`  ${name}: ceiling update`);
      const ceilingUpdate = await timed(() => db.query(ceilingSql(ceilingTable, total, UPSERT.days, 1)));
      await settle(db);
      progress(`  ${name}: writePrices update`);
      const ownUpdate = await writerPass(db, 1);

      const [difference] = await db.query<{ n: number | string }>(
        `SELECT count(*) AS n FROM (
           SELECT ticker, date, open, high, low, close, volume, vwap, change, change_percent, source FROM stock_prices
           EXCEPT
           SELECT ticker, date, open, high, low, close, volume, vwap, change, change_percent, source FROM ${ceilingTable}
         ) AS x`,
      );
      const [stored] = await db.query<{ n: number | string }>('SELECT count(*) AS n FROM stock_prices');

      const rate = (rows: number, seconds: number) => round(rows / seconds, 0);
      const insertRate = rate(total, ownInsert.seconds);
      const updateRate = rate(total, ownUpdate.seconds);
      const ceilingInsertRate = rate(total, ceilingInsert.seconds);
      const ceilingUpdateRate = rate(total, ceilingUpdate.seconds);
      const insertRatio = round(insertRate / ceilingInsertRate, 3);
      const updateRatio = round(updateRate / ceilingUpdateRate, 3);
      const realUpdates = ownInsert.inserted === total && ownUpdate.updated === total;
      Object.assign(result, {
        tickers: UPSERT.tickers,
        wallSeconds: round(ownInsert.seconds + ownUpdate.seconds, 2),
        rowsWritten: ownInsert.inserted + ownInsert.updated + ownUpdate.inserted + ownUpdate.updated,
        insertRowsPerSecond: insertRate,
        updateRowsPerSecond: updateRate,
        insertCeilingRatio: insertRatio,
        updateCeilingRatio: updateRatio,
        met: insertRatio >= goalRatio && updateRatio >= goalRatio && realUpdates,
        details: {
          database: kind,
          rows: total,
          batchRows: UPSERT.batchRows,
          ceilingInsertRowsPerSecond: ceilingInsertRate,
          ceilingUpdateRowsPerSecond: ceilingUpdateRate,
          seconds: {
            ownInsert: round(ownInsert.seconds, 2),
            ownUpdate: round(ownUpdate.seconds, 2),
            ceilingInsert: round(ceilingInsert.seconds, 2),
            ceilingUpdate: round(ceilingUpdate.seconds, 2),
          },
          writerReported: {
            firstPass: { inserted: ownInsert.inserted, updated: ownInsert.updated },
            secondPass: { inserted: ownUpdate.inserted, updated: ownUpdate.updated },
          },
          storedRows: Number(stored?.n),
          rowsDifferingFromCeilingTable: Number(difference?.n),
        },
      });
      return result;
    } finally {
      await db.close();
    }
  } finally {
    await scratch.dispose();
  }
}

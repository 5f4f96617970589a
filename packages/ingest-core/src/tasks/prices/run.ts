import type { PriceRow } from '@smartstock/db';
import type { BatchWriter } from '../../batch-writer.js';
import type { SyncWindow } from '../../calendar.js';
import type { PricesMode } from '../../settings.js';
import type { TickerRun } from '../per-ticker.js';
import type { PricesPlan } from './plan.js';
import type { SplitRecord } from './splits.js';

export const PRICES_TASK = 'ingest_market_data' as const;

export interface PricesTaskOptions {
  tickers: readonly string[];
  window: SyncWindow;
  mode: PricesMode;
  concurrency: number;
  failureThreshold: number;
  /** Chunk the window and record completed windows so a rerun skips them (history backfill). */
  backfill: boolean;
  /** Compare fresh bars with stored ones and re-backfill a ticker whose history was restated. */
  splitCheck: boolean;
  batchSize?: number | undefined;
  /** Where a re-backfill after a split starts when nothing older is stored. */
  historyStart?: string | undefined;
}

/** A window stored in full for a ticker; a backfill rerun skips it (recorded once its rows are stored). */
export interface CompletedMarker {
  ticker: string;
  from: string;
  to: string;
  rows: number;
}

/** Counters the prices task's parts add to while it runs; they end up in its metadata. */
export interface PricesTally {
  /** FMP calls made for the window: a rerun that skips every recorded window expects no new row. */
  calls: number;
  invalidRowsDropped: number;
  /** Backfill windows a rerun did not fetch again. */
  windowsSkipped: number;
}

/** The prices task while it runs: the shared ticker frame plus what its per-symbol, bulk and split parts share. */
export interface PricesRun extends TickerRun<BatchWriter<PriceRow, CompletedMarker>> {
  readonly options: PricesTaskOptions;
  readonly plan: PricesPlan;
  readonly tally: PricesTally;
  /** The restatements found and what their re-backfill fetched (`splitsDetected` in the metadata). */
  readonly splits: SplitRecord[];
}

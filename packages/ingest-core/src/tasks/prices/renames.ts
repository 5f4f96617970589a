import { readSyncState, type SymbolChangeRow, writeSymbolChanges, writeSyncState } from '@smartstock/db';
import { isFatalFmpError, isFmpError } from '@smartstock/fmp-client';
import type { TaskContext } from '../context.js';

/** The sync_state key remembering that the FMP plan answered 402 on `/stable/symbol-change`. */
export const SYMBOL_CHANGE_REFUSED_KEY = 'fmp.symbol-change.refused';
/** Days after a 402 before the endpoint is asked again (a plan may have been upgraded meanwhile). */
export const SYMBOL_CHANGE_RETRY_DAYS = 30;
/** The one warning of a run whose plan refuses the endpoint. */
export const SYMBOL_CHANGE_REFUSED_MESSAGE = 'symbol-change is not in the FMP plan: renames are not followed';

/** What the night's read of FMP's renames came to: `symbolChanges` in the prices task's metadata. */
export interface SymbolChangesOutcome {
  /** Valid renames FMP listed. */
  read: number;
  /** Renames touching the universe (old or new symbol in `tickers`) newly stored or revised. */
  stored: number;
  /** Why the endpoint was not asked this night (a 402 remembered, a halted run). */
  skipped?: string;
  /** The error that kept the renames from being read or stored; the prices task went on. */
  error?: string;
}

interface Refusal {
  at: string;
  message?: string;
}

const DAY_MS = 86_400_000;

/**
 * Reads FMP's renames once (one call, the client's budget and retries), keeps those touching the universe in
 * `symbol_changes`, and never fails the task: a 402 is logged once, remembered in `sync_state` so later nights
 * do not ask again for SYMBOL_CHANGE_RETRY_DAYS, and any other error is a warning. A fatal FMP error (a
 * refused key) is left to the task's first call, which reports it.
 */
export async function followRenames(ctx: TaskContext): Promise<SymbolChangesOutcome> {
  if (ctx.halt?.aborted) return { read: 0, stored: 0, skipped: 'the run was stopped' };
  const now = ctx.clock();
  let refused: Refusal | null;
  try {
    refused = (await readSyncState<Refusal>(ctx.db, SYMBOL_CHANGE_REFUSED_KEY))?.value ?? null;
  } catch (error) {
    return failed(ctx, 'reading sync_state', error);
  }
  const since = refused ? Date.parse(refused.at) : Number.NaN;
  if (refused && now.getTime() - since < SYMBOL_CHANGE_RETRY_DAYS * DAY_MS) {
    const skipped = `not in the FMP plan (402 on ${refused.at.slice(0, 10)}); asked again after ${SYMBOL_CHANGE_RETRY_DAYS} days`;
    ctx.logger.debug('symbol-change skipped: renames are not followed', { refusedAt: refused.at });
    return { read: 0, stored: 0, skipped };
  }
  let rows: SymbolChangeRow[];
  let read: number;
  try {
    const answer = await ctx.fmp().getSymbolChanges();
    read = answer.rows.length;
    rows = answer.rows.map((r) => ({
      oldSymbol: r.oldSymbol,
      newSymbol: r.newSymbol,
      date: r.date,
      companyName: r.companyName,
    }));
  } catch (error) {
    if (isFmpError(error) && error.code === 'PLAN') {
      ctx.logger.warn(SYMBOL_CHANGE_REFUSED_MESSAGE, { status: error.status });
      const refusal: Refusal = { at: now.toISOString(), message: error.message };
      try {
        await writeSyncState(ctx.db, SYMBOL_CHANGE_REFUSED_KEY, refusal, { at: now });
      } catch (writeError) {
        return failed(ctx, 'remembering the 402 in sync_state', writeError, {
          skipped: 'not in the FMP plan (402)',
        });
      }
      return { read: 0, stored: 0, skipped: 'not in the FMP plan (402)' };
    }
    // The run's stop or a refused key: the task's own calls report it, with no second message here.
    if (isFatalFmpError(error) || (isFmpError(error) && error.code === 'ABORTED')) {
      return { read: 0, stored: 0, error: error instanceof Error ? error.message : String(error) };
    }
    return failed(ctx, 'reading /stable/symbol-change', error);
  }
  try {
    if (refused) await writeSyncState(ctx.db, SYMBOL_CHANGE_REFUSED_KEY, null, { at: now });
    const relevant = await touchingUniverse(ctx, rows);
    const result = await writeSymbolChanges(ctx.db, relevant);
    return { read, stored: result.inserted + result.updated };
  } catch (error) {
    return failed(ctx, 'storing the renames', error, { read });
  }
}

/** The renames whose old or new symbol is in `tickers` (active or not), in one query. */
async function touchingUniverse(
  ctx: TaskContext,
  rows: readonly SymbolChangeRow[],
): Promise<SymbolChangeRow[]> {
  if (rows.length === 0) return [];
  const symbols = [...new Set(rows.flatMap((r) => [r.oldSymbol, r.newSymbol]))];
  const known = await ctx.db.query<{ ticker: string }>(
    'SELECT ticker::text AS ticker FROM tickers WHERE ticker = ANY ($1::text[])',
    [symbols],
  );
  const universe = new Set(known.map((k) => k.ticker));
  return rows.filter((r) => universe.has(r.oldSymbol) || universe.has(r.newSymbol));
}

function failed(
  ctx: TaskContext,
  doing: string,
  error: unknown,
  extra: Partial<SymbolChangesOutcome> = {},
): SymbolChangesOutcome {
  const message = error instanceof Error ? error.message : String(error);
  ctx.logger.warn(`renames not followed tonight: ${doing} failed; the prices task goes on`, {
    error: message,
  });
  return { read: 0, stored: 0, ...extra, error: message };
}

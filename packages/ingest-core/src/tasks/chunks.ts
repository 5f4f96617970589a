import { addDays, isSession, previousSession } from '../calendar.js';

/** Calendar years per historical call: ~1,260 bars, well under the ~5,000 records FMP serves per call. */
export const BACKFILL_CHUNK_YEARS = 5;

export interface Chunk {
  from: string;
  to: string;
}

/** Splits [from, to] into windows aligned to 5-year calendar blocks, so reruns produce the same windows. */
export function chunkWindow(from: string, to: string, years = BACKFILL_CHUNK_YEARS): Chunk[] {
  const out: Chunk[] = [];
  let start = from;
  while (start <= to) {
    const y = Number(start.slice(0, 4));
    const blockEnd = `${y - (y % years) + years - 1}-12-31`;
    const end = blockEnd < to ? blockEnd : to;
    out.push({ from: start, to: end });
    start = addDays(end, 1);
  }
  return out;
}

/** The last session on or before `date` (may precede the chunk's start when the chunk holds no session). */
function lastSessionOnOrBefore(date: string): string {
  return isSession(date) ? date : previousSession(date);
}

/**
 * A chunk is complete when every session in it has closed and a recorded window covers them all. Markers end at
 * the last closed session (a window never claims a session that had not closed), so the test is against the
 * chunk's last session, not its end date: a window ending on a weekend or holiday is complete once its last
 * session is stored, and one ending on a session not yet closed is not.
 */
export function isChunkComplete(
  chunk: Chunk,
  recorded: readonly Chunk[],
  lastClosed: string | null,
): boolean {
  const lastSession = lastSessionOnOrBefore(chunk.to);
  // No session in the chunk: nothing to mark complete, and a call returns nothing.
  if (lastSession < chunk.from || lastClosed === null || lastSession > lastClosed) return false;
  return recorded.some((d) => d.from <= chunk.from && d.to >= lastSession);
}

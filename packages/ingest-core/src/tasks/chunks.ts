import { addDays } from '../calendar.js';

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

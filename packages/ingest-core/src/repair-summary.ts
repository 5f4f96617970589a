// The repair's counts as people read them, owned here so the CLI's run summary and the Action's job summary say
// the same sentence.

/** What a repair_price_gaps row's metadata counts (ingest-core's repair task writes them). */
export interface RepairCounts {
  tickersWithGaps: number;
  requests: number;
  sessionsRequested: number;
  barsWritten: number;
  emptyTries: number;
  confirmedEmpty: number;
  leftForNextNight: { tickers: number; sessions: number };
}

/** The repair's counts from a repair_price_gaps row's metadata, or null for any other row. */
export function repairCountsOf(metadata: Record<string, unknown> | null | undefined): RepairCounts | null {
  const m = metadata as Partial<RepairCounts> | null | undefined;
  if (!m || typeof m.requests !== 'number' || typeof m.barsWritten !== 'number') return null;
  if (typeof m.leftForNextNight !== 'object' || m.leftForNextNight === null) return null;
  return m as RepairCounts;
}

/**
 * The repair in one sentence, e.g. `The repair found 4 tickers with gaps and asked for 10 missing sessions
 * (4 requests): 10 bars written, 0 empty tries (0 confirmed empty); left for the next night: 0 sessions of 0
 * tickers.`
 */
export function describeRepair(r: RepairCounts): string {
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  const left = r.leftForNextNight;
  return (
    `The repair found ${n(r.tickersWithGaps, 'ticker', 'tickers')} with gaps and asked for ` +
    `${n(r.sessionsRequested, 'missing session', 'missing sessions')} (${n(r.requests, 'request', 'requests')}): ` +
    `${n(r.barsWritten, 'bar', 'bars')} written, ${n(r.emptyTries, 'empty try', 'empty tries')} ` +
    `(${r.confirmedEmpty} confirmed empty); left for the next night: ` +
    `${n(left.sessions, 'session', 'sessions')} of ${n(left.tickers, 'ticker', 'tickers')}.`
  );
}

import type { Outcome, TaskStatus } from '../summary.js';

export interface StatusInput {
  tickers: number;
  counts: Record<Outcome, number>;
  /** The task stopped early (FMP auth/bandwidth, or a write failure). */
  abortReason: string | null;
  /** The prices task expects rows when its window holds a closed session. */
  expectsRows: boolean;
  rowsWritten: number;
  failureThreshold: number;
}

/**
 * A task's status. `failed`: it aborted, could not write, had no tickers, wrote no row although its window
 * holds a closed session, or the share of tickers failed or skipped exceeds the threshold. `partial`: some
 * tickers failed, were skipped or had rows dropped, under the threshold. `success`: all ok or no_data.
 */
export function decideStatus(input: StatusInput): { status: TaskStatus; reason: string | null } {
  const { counts, tickers } = input;
  if (input.abortReason !== null) return { status: 'failed', reason: input.abortReason };
  if (tickers === 0) return { status: 'failed', reason: 'no tickers to process' };
  const bad = counts.failed + counts.skipped;
  const share = bad / tickers;
  if (share > input.failureThreshold) {
    return {
      status: 'failed',
      reason: `${bad} of ${tickers} tickers failed or were skipped (${(share * 100).toFixed(1)}%, threshold ${(
        input.failureThreshold * 100
      ).toFixed(1)}%)`,
    };
  }
  if (input.expectsRows && input.rowsWritten === 0) {
    return { status: 'failed', reason: 'no row written although the window holds a closed session' };
  }
  if (bad > 0 || counts.invalid_rows > 0) {
    const parts = [
      counts.failed > 0 ? `${counts.failed} failed` : null,
      counts.skipped > 0 ? `${counts.skipped} skipped` : null,
      counts.invalid_rows > 0 ? `${counts.invalid_rows} with invalid rows dropped` : null,
    ].filter((p) => p !== null);
    return { status: 'partial', reason: `${parts.join(', ')} of ${tickers} tickers` };
  }
  return { status: 'success', reason: null };
}

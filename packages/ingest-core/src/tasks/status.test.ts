import { describe, expect, it } from 'vitest';
import { decideStatus, type StatusInput } from './status.js';

const base: StatusInput = {
  tickers: 100,
  counts: { ok: 100, no_data: 0, skipped: 0, invalid_rows: 0, failed: 0 },
  abortReason: null,
  expectsRows: true,
  rowsWritten: 500,
  failureThreshold: 0.05,
};

function counts(c: Partial<StatusInput['counts']>): StatusInput['counts'] {
  return { ok: 0, no_data: 0, skipped: 0, invalid_rows: 0, failed: 0, ...c };
}

describe('decideStatus', () => {
  it('is success when every ticker is ok or no_data', () => {
    expect(decideStatus({ ...base, counts: counts({ ok: 90, no_data: 10 }) })).toEqual({
      status: 'success',
      reason: null,
    });
  });

  it('is partial with a few failures, skips or dropped rows under the threshold', () => {
    expect(
      decideStatus({ ...base, counts: counts({ ok: 96, failed: 2, skipped: 1, invalid_rows: 1 }) }),
    ).toEqual({
      status: 'partial',
      reason: '2 failed, 1 skipped, 1 with invalid rows dropped of 100 tickers',
    });
    expect(decideStatus({ ...base, counts: counts({ ok: 95, failed: 5 }) }).status).toBe('partial');
  });

  it('is failed when failed plus skipped exceed the threshold', () => {
    const d = decideStatus({ ...base, counts: counts({ ok: 94, failed: 3, skipped: 3 }) });
    expect(d.status).toBe('failed');
    expect(d.reason).toBe('6 of 100 tickers failed or were skipped (6.0%, threshold 5.0%)');
    expect(decideStatus({ ...base, counts: counts({ failed: 100 }) }).status).toBe('failed');
  });

  it('does not count dropped rows toward the threshold', () => {
    expect(decideStatus({ ...base, counts: counts({ ok: 50, invalid_rows: 50 }) }).status).toBe('partial');
  });

  it('is failed when aborted, whatever the counts', () => {
    expect(decideStatus({ ...base, abortReason: 'FMP rejected the API key' })).toEqual({
      status: 'failed',
      reason: 'FMP rejected the API key',
    });
  });

  it('is failed with no tickers', () => {
    expect(decideStatus({ ...base, tickers: 0, counts: counts({}) }).reason).toBe('no tickers to process');
  });

  it('is failed when nothing was written although a closed session was expected', () => {
    const d = decideStatus({ ...base, counts: counts({ no_data: 100 }), rowsWritten: 0 });
    expect(d).toEqual({
      status: 'failed',
      reason: 'no row written although the window holds a closed session',
    });
    expect(
      decideStatus({ ...base, counts: counts({ no_data: 100 }), rowsWritten: 0, expectsRows: false }).status,
    ).toBe('success');
  });
});

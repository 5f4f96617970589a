import { describe, expect, it } from 'vitest';
import { maxRequestsInAnyWindow, requestsPerWindow, round, steadyState, utilization } from './analysis.js';

/** Starts every `stepMs` from `start`, `count` of them. */
function paced(count: number, stepMs: number, start = 0): number[] {
  return Array.from({ length: count }, (_, i) => start + i * stepMs);
}

describe('maxRequestsInAnyWindow', () => {
  it('counts a perfectly paced stream at exactly the budget', () => {
    // 20 per second for 200 s: any 60 s window holds 1,200.
    expect(maxRequestsInAnyWindow(paced(4000, 50), 60_000)).toBe(1200);
  });

  it('finds a window that straddles two fixed-window bursts', () => {
    // A fixed-window limiter: 1,200 at the end of one minute and 1,200 at the start of the next.
    const times = [...paced(1200, 1, 59_000), ...paced(1200, 1, 60_000)];
    expect(maxRequestsInAnyWindow(times, 60_000)).toBe(2400);
  });

  it('treats a request exactly one window later as outside the window', () => {
    expect(maxRequestsInAnyWindow([0, 60_000], 60_000)).toBe(1);
    expect(maxRequestsInAnyWindow([0, 59_999.9], 60_000)).toBe(2);
  });

  it('does not depend on the order of the log', () => {
    expect(maxRequestsInAnyWindow([30, 10, 20, 500, 15], 100)).toBe(4);
  });

  it('returns 0 for an empty log and refuses a window that is not positive', () => {
    expect(maxRequestsInAnyWindow([], 1000)).toBe(0);
    expect(() => maxRequestsInAnyWindow([1], 0)).toThrow(/windowMs must be a positive number/);
    expect(() => maxRequestsInAnyWindow([Number.NaN], 10)).toThrow(/finite number/);
  });
});

describe('steadyState', () => {
  it('measures a paced stream at exactly its pace after the warm-up', () => {
    const s = steadyState(paced(4000, 50), 60_000);
    expect(s.from).toBe(60_000);
    expect(s.to).toBe(3999 * 50);
    expect(s.requests).toBe(2799);
    expect(s.ratePerSecond).toBeCloseTo(20, 9);
  });

  it('ignores the initial burst that the warm-up covers', () => {
    // 1,000 at once, then one every 100 ms for 100 s: the steady rate is 10 per second.
    const times = [...paced(1000, 0), ...paced(1000, 100, 100)];
    const s = steadyState(times, 1000);
    expect(s.ratePerSecond).toBeCloseTo(10, 1);
  });

  it('reports no rate when the run ended inside its warm-up', () => {
    expect(steadyState(paced(10, 10), 1000).ratePerSecond).toBeNull();
    expect(steadyState([], 1000)).toMatchObject({ requests: 0, ratePerSecond: null });
  });

  it('refuses a negative warm-up', () => {
    expect(() => steadyState([1, 2], -1)).toThrow(/warmUpMs/);
  });
});

describe('utilization', () => {
  it('is the achieved rate over the ceiling, to three decimals', () => {
    expect(utilization(19.3333, 20)).toBe(0.967);
    expect(utilization(null, 20)).toBeNull();
    expect(() => utilization(1, 0)).toThrow(/ceilingPerSecond/);
    expect(round(1.23456, 2)).toBe(1.23);
  });
});

describe('requestsPerWindow', () => {
  it('counts complete windows aligned on the first request', () => {
    // 20 per second for 200 s: three complete 60 s windows of 1,200; the last 20 s are not a window.
    expect(requestsPerWindow(paced(4000, 50), 60_000)).toEqual([1200, 1200, 1200]);
  });

  it('sees a burst at the start of each window as a full window', () => {
    // A sliding-log budget of 100 per 5 s at concurrency 50: each burst starts just after the window ends.
    const times = [0, 5005, 10_010, 15_015].flatMap((start) => paced(100, 1, start));
    expect(requestsPerWindow(times, 5000)).toEqual([100, 100, 100]);
    // The steady state holds three bursts in about two windows: 1.5 times the budget's average rate.
    expect(steadyState(times, 5000).ratePerSecond).toBeCloseTo(300 / 10.114, 3);
  });

  it('returns no window for an empty or short log', () => {
    expect(requestsPerWindow([], 1000)).toEqual([]);
    expect(requestsPerWindow([0, 10], 1000)).toEqual([]);
  });
});

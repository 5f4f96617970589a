/**
 * Window analysis of a request-start log (times in milliseconds, any origin, as the server saw them).
 * Pure functions: the scenarios feed them the sandbox's log, the unit tests feed them hand-made ones.
 */

function sorted(times: readonly number[]): number[] {
  for (const t of times) {
    if (!Number.isFinite(t)) throw new RangeError(`request time must be a finite number, got ${t}`);
  }
  return [...times].sort((a, b) => a - b);
}

function positive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${value}`);
}

/**
 * The most requests that any rolling window of `windowMs` holds: the largest count of starts in
 * (t - windowMs, t] over every start t. This is how a rolling limiter (the sandbox's, and FMP's strictest
 * reading) counts when a request arrives, so `<= limit` means that limiter never had cause to refuse one.
 */
export function maxRequestsInAnyWindow(times: readonly number[], windowMs: number): number {
  positive('windowMs', windowMs);
  const ts = sorted(times);
  let max = 0;
  let first = 0;
  for (let last = 0; last < ts.length; last++) {
    while (ts[first]! <= ts[last]! - windowMs) first++;
    max = Math.max(max, last - first + 1);
  }
  return max;
}

export interface SteadyState {
  /** Start of the steady state: first request + warm-up. */
  from: number;
  /** End of the steady state: the last request. */
  to: number;
  /** Requests started in (from, to]. */
  requests: number;
  /** requests / (to - from), per second; null when the steady state is empty (the run ended in its warm-up). */
  ratePerSecond: number | null;
}

/**
 * The request rate after the warm-up: over (first + warmUpMs, last], requests started in it divided by its
 * length. Counting a half-open interval makes a perfectly paced stream (one start every p ms) measure exactly
 * 1000 / p per second, neither one request over nor under.
 */
export function steadyState(times: readonly number[], warmUpMs: number): SteadyState {
  if (!Number.isFinite(warmUpMs) || warmUpMs < 0) {
    throw new RangeError(`warmUpMs must be zero or a positive number, got ${warmUpMs}`);
  }
  const ts = sorted(times);
  if (ts.length === 0) return { from: Number.NaN, to: Number.NaN, requests: 0, ratePerSecond: null };
  const from = ts[0]! + warmUpMs;
  const to = ts[ts.length - 1]!;
  const requests = ts.filter((t) => t > from && t <= to).length;
  const ratePerSecond = to > from ? (requests * 1000) / (to - from) : null;
  return { from, to, requests, ratePerSecond };
}

/** achieved / ceiling, rounded to 3 decimals (the precision the goals are stated and judged at). */
export function utilization(achievedPerSecond: number | null, ceilingPerSecond: number): number | null {
  positive('ceilingPerSecond', ceilingPerSecond);
  if (achievedPerSecond === null) return null;
  return round(achievedPerSecond / ceilingPerSecond, 3);
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/**
 * Requests per consecutive window, aligned on the first request: [first, first + W), [first + W, first + 2W),
 * ..., complete windows only (those ending at or before the last request). A paced client that bursts at
 * the start of each window and one that spreads its starts evenly both show `limit` per window here, while
 * their steady-state rates differ; the scenarios report both.
 */
export function requestsPerWindow(times: readonly number[], windowMs: number): number[] {
  positive('windowMs', windowMs);
  const ts = sorted(times);
  if (ts.length === 0) return [];
  const first = ts[0]!;
  const complete = Math.floor((ts[ts.length - 1]! - first) / windowMs);
  const counts = new Array<number>(complete).fill(0);
  for (const t of ts) {
    const w = Math.floor((t - first) / windowMs);
    if (w < complete) counts[w]!++;
  }
  return counts;
}

import { HttpResponse, http } from 'msw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFmpClient, FmpRateLimitError } from '../src/index.js';
import {
  API_KEY,
  BASE,
  errorFixture,
  FAST_RETRY,
  fixtureJson,
  maxInRollingWindow,
  useMswServer,
  virtualTime,
} from './helpers.js';

const server = useMswServer();
const DCF = `${BASE}/stable/discounted-cash-flow`;
const DCF_BODY = fixtureJson('stable_discounted-cash-flow__fmp_docs_sample.json');
const LIMIT_REACH = errorFixture('429_limit_reach__captured_2025-04-30.json');

function limitReach(headers: Record<string, string> = {}) {
  return HttpResponse.json(LIMIT_REACH.body, {
    status: 429,
    headers: { ...LIMIT_REACH.headers, ...headers },
  });
}

/**
 * A server enforcing FMP's limit the strictest way: at most `limit` accepted requests in any rolling
 * window, answering 429 "Limit Reach" (no Retry-After, as FMP) beyond it. Records every arrival, on `clock`.
 */
function rollingWindowServer(limit: number, windowMs: number, clock: () => number) {
  const arrivals: number[] = [];
  const accepted: number[] = [];
  let rejected = 0;
  server.use(
    http.get(DCF, () => {
      const now = clock();
      arrivals.push(now);
      const recent = accepted.filter((t) => now - t < windowMs).length;
      if (recent >= limit) {
        rejected += 1;
        return limitReach();
      }
      accepted.push(now);
      return HttpResponse.json(DCF_BODY);
    }),
  );
  return { arrivals, rejected: () => rejected };
}

const symbols = (n: number) => Array.from({ length: n }, (_, i) => `SYM${i}`);

describe('rolling-window pacing against a strict server', () => {
  const BUDGET = 10;
  const WINDOW = 60_000;

  it('keeps every rolling window within the budget over more than three windows and causes no 429', async () => {
    const { clock, sleep } = virtualTime();
    const srv = rollingWindowServer(BUDGET, WINDOW, clock);
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: { requests: BUDGET, windowMs: WINDOW },
      maxConcurrent: 5,
      retry: FAST_RETRY,
      clock,
      sleep,
    });
    const results = await Promise.all(symbols(4 * BUDGET + 5).map((s) => c.getDcf(s)));
    expect(results).toHaveLength(45);
    expect(srv.arrivals).toHaveLength(45);
    // 45 requests at 10 per window cannot fit in fewer than four windows (virtual time: the pacing's span).
    expect(Math.max(...srv.arrivals) - Math.min(...srv.arrivals)).toBeGreaterThanOrEqual(4 * WINDOW);
    expect(maxInRollingWindow(srv.arrivals, WINDOW)).toBeLessThanOrEqual(BUDGET);
    expect(srv.rejected()).toBe(0);
    expect(c.stats.rateLimited).toBe(0);
  });

  it('the same checker and server catch a client without pacing', async () => {
    const { clock, sleep } = virtualTime();
    const srv = rollingWindowServer(BUDGET, WINDOW, clock);
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 45,
      retry: { ...FAST_RETRY, rateLimitAttempts: 0 },
      clock,
      sleep,
    });
    const settled = await Promise.allSettled(symbols(4 * BUDGET + 5).map((s) => c.getDcf(s)));
    expect(maxInRollingWindow(srv.arrivals, WINDOW)).toBeGreaterThan(BUDGET);
    expect(srv.rejected()).toBeGreaterThan(0);
    expect(settled.filter((r) => r.status === 'rejected').length).toBe(srv.rejected());
  });
});

describe('429 handling (real time, millisecond pauses)', () => {
  it('retries after a 429 without a retry storm: one extra request in total', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, () => {
        calls += 1;
        return calls === 1 ? limitReach() : HttpResponse.json(DCF_BODY);
      }),
    );
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 10,
      retry: FAST_RETRY,
    });
    await Promise.all(symbols(50).map((s) => c.getDcf(s)));
    expect(calls).toBe(51);
    expect(c.stats).toMatchObject({ requests: 51, retries: 1, rateLimited: 1 });
  });

  it('gives up with FmpRateLimitError after rateLimitAttempts paused retries', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, () => {
        calls += 1;
        return limitReach();
      }),
    );
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      retry: { ...FAST_RETRY, rateLimitAttempts: 2 },
    });
    const error = await c.getDcf('AAPL').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpRateLimitError);
    expect(error).toMatchObject({ code: 'RATE_LIMIT', status: 429, attempts: 3 });
    expect(calls).toBe(3);
  });
});

describe('429 pause with fake timers (the defaults)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Bottleneck yields with setTimeout(0), which fake timers move 1 ms ahead: time advances in 1 ms steps. */
  async function advanceUntil(done: () => boolean, maxMs: number) {
    for (let i = 0; i < maxMs && !done(); i++) await vi.advanceTimersByTimeAsync(1);
  }

  async function pausedBatch(first: () => Response, expectedPauseMs: number) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const arrivals: number[] = [];
    server.use(
      http.get(DCF, () => {
        // performance is faked above: this is the client's default clock, in virtual time.
        arrivals.push(performance.now());
        return arrivals.length === 1 ? first() : HttpResponse.json(DCF_BODY);
      }),
    );
    // Default options: the default 300/min budget, 10 s pause, real sleep on faked timers.
    const c = createFmpClient({ apiKey: API_KEY, baseUrl: BASE, maxConcurrent: 4 });
    let finished = false;
    const batch = Promise.all(symbols(20).map((s) => c.getDcf(s))).finally(() => {
      finished = true;
    });
    await advanceUntil(() => c.stats.rateLimited === 1, 100);
    const t0 = arrivals[0]!;
    // Requests already sent when the 429 came back; every other worker is idle and must stay so.
    const sent = c.stats.requests;
    expect(sent).toBeLessThanOrEqual(4);
    await advanceUntil(
      // Virtual time again (faked performance), so the pause is watched to its last millisecond.
      () => arrivals.length > sent || performance.now() >= t0 + expectedPauseMs - 1,
      expectedPauseMs + 100,
    );
    expect(arrivals).toHaveLength(sent);
    // The default budget spaces starts 200 ms apart (300 per minute): 20 more calls take about 4 s.
    await advanceUntil(() => finished, 6_000);
    await batch;
    expect(arrivals).toHaveLength(21);
    expect(Math.min(...arrivals.slice(sent)) - t0).toBeGreaterThanOrEqual(expectedPauseMs);
    expect(c.stats).toMatchObject({ rateLimited: 1, retries: 1, requests: 21 });
  }

  it('pauses the whole client for 10 s by default when FMP sends no Retry-After', async () => {
    await pausedBatch(() => limitReach(), 10_000);
  });

  it('honours a positive Retry-After instead of the default', async () => {
    await pausedBatch(() => limitReach({ 'retry-after': '3' }), 3_000);
  });

  it('falls back to 10 s when Retry-After is zero', async () => {
    await pausedBatch(() => limitReach({ 'retry-after': '0' }), 10_000);
  });
});

describe('budget accounting', () => {
  it('counts retries against the budget, so the next call waits for the window', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, () => {
        calls += 1;
        return calls === 1 ? new HttpResponse('boom', { status: 500 }) : HttpResponse.json(DCF_BODY);
      }),
    );
    const time = { now: 0 };
    const sleeps: number[] = [];
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: { requests: 2, windowMs: 60_000 },
      retry: { baseMs: 2, capMs: 2 },
      random: () => 0,
      clock: () => time.now,
      sleep: async (ms) => {
        sleeps.push(ms);
        time.now += ms;
      },
    });
    await c.getDcf('AAA');
    expect(sleeps).toEqual([1]); // the backoff only: failure and retry both fit the budget of 2
    await c.getDcf('BBB');
    // The first attempt started at 0 and completed at 0; its window ends at 60 000 (+1 ms for closed windows).
    expect(sleeps).toEqual([1, 60_000]);
    expect(c.stats).toMatchObject({ requests: 3, retries: 1 });
  });
});

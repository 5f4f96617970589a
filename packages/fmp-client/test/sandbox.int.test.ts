import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFmpClient, FmpAuthError, type FmpClientOptions } from '../src/index.js';
import { capturingLogger, maxInRollingWindow, virtualTime } from './helpers.js';
import { expectNoSecret, renderings } from './secret-check.js';

// The client against the loopback sandbox (a real HTTP server), with millisecond pauses.
const API_KEY = 'sbx_9QmT4vK2rWz8Lp6Y';
const RANGE = { from: '2026-04-27', to: '2026-05-01' };
const logger = capturingLogger();
const seenErrors: unknown[] = [];
let sandbox: Sandbox;
let symbols: string[];

beforeAll(async () => {
  sandbox = await startSandbox({ tickers: 300, seed: 7, apiKey: API_KEY, now: '2026-05-05T21:00:00Z' });
  symbols = sandbox.market.fmpSymbols();
});

afterEach(() => {
  sandbox.update({ faults: 'none', rpm: 0, revokeKeyAfter: null, latencyMs: 0 });
  sandbox.resetCounters();
});

afterAll(async () => {
  await sandbox.stop();
  // Every log line and error produced in this file, whatever the fault.
  expectNoSecret(logger.lines, API_KEY);
  for (const error of seenErrors) expectNoSecret(renderings(error), API_KEY);
});

function client(overrides: Partial<FmpClientOptions> = {}) {
  return createFmpClient({
    apiKey: API_KEY,
    baseUrl: sandbox.url,
    rateLimit: null,
    maxConcurrent: 8,
    timeoutMs: 2_000,
    logger,
    ...overrides,
    retry: {
      attempts: 6,
      baseMs: 1,
      capMs: 5,
      rateLimitPauseMs: 5,
      rateLimitAttempts: 10,
      ...overrides.retry,
    },
  });
}

describe('rolling-window budget against the sandbox limit', () => {
  const LIMIT = 20;
  const WINDOW = 300;

  /** A sandbox enforcing LIMIT per rolling WINDOW on a virtual clock shared with the client (see virtualTime). */
  async function limitedSandbox() {
    const { clock, sleep } = virtualTime();
    const limited = await startSandbox({
      tickers: 300,
      seed: 7,
      apiKey: API_KEY,
      now: '2026-05-05T21:00:00Z',
      rpm: LIMIT,
      rateWindowMs: WINDOW,
      wallClock: clock,
    });
    return { limited, clock, sleep };
  }

  it('a batch lasting more than three windows sees zero 429s and no window over the budget', async () => {
    const { limited, clock, sleep } = await limitedSandbox();
    try {
      const c = client({
        baseUrl: limited.url,
        rateLimit: { requests: LIMIT, windowMs: WINDOW },
        clock,
        sleep,
      });
      const batch = symbols.slice(0, 4 * LIMIT + 10);
      const results = await Promise.all(batch.map((s) => c.getDailyPrices(s, RANGE)));
      expect(results).toHaveLength(batch.length);
      const counters = limited.counters();
      expect(counters.rateLimited).toBe(0);
      expect(c.stats.rateLimited).toBe(0);
      expect(counters.requests).toBe(batch.length);
      // 90 requests at 20 per window span at least four windows of the shared virtual clock.
      const span = Math.max(...counters.requestTimes) - Math.min(...counters.requestTimes);
      expect(span).toBeGreaterThanOrEqual(4 * WINDOW);
      expect(maxInRollingWindow(counters.requestTimes, WINDOW)).toBeLessThanOrEqual(LIMIT);
    } finally {
      await limited.stop();
    }
  });

  it('a client without pacing fails the same test', async () => {
    const { limited, clock, sleep } = await limitedSandbox();
    try {
      // No retries of a 429: the first requests of the batch are what the sandbox judges.
      const c = client({
        baseUrl: limited.url,
        maxConcurrent: 40,
        clock,
        sleep,
        retry: { rateLimitAttempts: 0 },
      });
      const batch = symbols.slice(0, 4 * LIMIT + 10);
      await Promise.allSettled(batch.map((s) => c.getDailyPrices(s, RANGE)));
      expect(limited.counters().rateLimited).toBeGreaterThan(0);
      expect(maxInRollingWindow(limited.counters().requestTimes, WINDOW)).toBeGreaterThan(LIMIT);
    } finally {
      await limited.stop();
    }
  });
});

describe('each fault kind is survived', () => {
  const kinds: [string, string][] = [
    ['5xx', '5xx=0.2'],
    ['429', '429=0.05'],
    ['timeout', 'timeout=0.1'],
    ['reset', 'reset=0.15'],
    ['malformed', 'malformed=0.2'],
    ['error200', 'error200=0.1'],
  ];
  for (const [kind, spec] of kinds) {
    it(`recovers every call from ${kind} faults`, async () => {
      sandbox.update({ faults: spec });
      // Short enough for the hanging-request fault to cost little, long enough for a loaded machine.
      const c = client({ timeoutMs: 300 });
      const batch = symbols.slice(0, 60);
      const results = await Promise.allSettled(batch.map((s) => c.getDailyPrices(s, RANGE)));
      for (const r of results) if (r.status === 'rejected') seenErrors.push(r.reason);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(
        sandbox.counters().faults[kind as keyof ReturnType<Sandbox['counters']>['faults']],
      ).toBeGreaterThan(0);
      expect(c.stats.retries).toBeGreaterThan(0);
      for (const r of results) {
        if (r.status === 'fulfilled') expect(r.value.rows.length).toBeGreaterThan(0);
      }
    });
  }

  it('reports injected bad rows and keeps the good rows of the same answer', async () => {
    sandbox.update({ faults: 'badrows=0.3' });
    const c = client();
    const batch = symbols.slice(0, 60);
    const results = await Promise.all(batch.map((s) => c.getDailyPrices(s, RANGE)));
    const invalid = results.flatMap((r) => r.invalid);
    expect(invalid.length).toBe(sandbox.counters().faults.badrows);
    expect(invalid.length).toBeGreaterThan(0);
    for (const row of invalid) expect(row.reason).toMatch(/below low|is negative|close is missing/);
    for (const r of results) {
      for (const bar of r.rows) expect(bar.high).toBeGreaterThanOrEqual(bar.low);
    }
  });
});

describe('auth and rate limits against the sandbox', () => {
  it('a key revoked mid-run stops a 2,000-call batch after at most maxConcurrent more requests', async () => {
    // Its own sandbox: requests the client aborted may still land after the test, and must not be
    // counted by the next one.
    const own = await startSandbox({ tickers: 300, seed: 7, apiKey: API_KEY, revokeKeyAfter: 40 });
    try {
      const c = client({ maxConcurrent: 8, baseUrl: own.url });
      const batch = Array.from({ length: 2_000 }, (_, i) => symbols[i % symbols.length]!);
      const results = await Promise.allSettled(batch.map((s) => c.getDcf(s)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThan(1_900);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(FmpAuthError);
      seenErrors.push(rejected[0]!.reason);
      expect(c.stats.requests).toBeLessThanOrEqual(40 + 8);
      expect(own.counters().requests).toBeLessThanOrEqual(40 + 8);
    } finally {
      await own.stop();
    }
  });

  it('429s from the sandbox limit pause the client: each one costs exactly one retry, no storm', async () => {
    // Virtual time shared by the sandbox's limit and the client's pauses, so the pauses counted below are
    // the client's own, however slowly this machine runs the batch.
    const { clock, sleep } = virtualTime();
    const limited = await startSandbox({
      tickers: 300,
      seed: 7,
      apiKey: API_KEY,
      now: '2026-05-05T21:00:00Z',
      rpm: 15,
      rateWindowMs: 200,
      wallClock: clock,
    });
    try {
      const c = client({
        baseUrl: limited.url,
        maxConcurrent: 10,
        clock,
        sleep,
        retry: { rateLimitPauseMs: 200 },
      });
      const batch = symbols.slice(0, 60);
      await Promise.all(batch.map((s) => c.getDcf(s)));
      const counters = limited.counters();
      expect(counters.rateLimited).toBeGreaterThan(0);
      expect(counters.requests).toBe(batch.length + counters.rateLimited);
      expect(c.stats.rateLimited).toBe(counters.rateLimited);
      // Paused workers do not hammer the limit: at most one wave in flight per pause.
      const pauses =
        Math.ceil((Math.max(...counters.requestTimes) - Math.min(...counters.requestTimes)) / 200) + 1;
      expect(counters.rateLimited).toBeLessThanOrEqual(10 * pauses);
    } finally {
      await limited.stop();
    }
  });
});

describe('symbol changes against the sandbox', () => {
  it('reads the renames the sandbox lists, and a 402 when the endpoint is outside the plan', async () => {
    sandbox.update({ renames: [{ date: '2026-05-04', oldSymbol: 'OLDX', newSymbol: symbols[0]! }] });
    try {
      const c = client();
      const result = await c.getSymbolChanges();
      expect(result.rows).toEqual([
        { date: '2026-05-04', companyName: expect.any(String), oldSymbol: 'OLDX', newSymbol: symbols[0] },
      ]);
      sandbox.update({ outsidePlan: ['symbol-change'] });
      const error = await c.getSymbolChanges().catch((caught: unknown) => caught);
      seenErrors.push(error);
      expect(error).toMatchObject({ code: 'PLAN', status: 402, scope: 'endpoint' });
      expect(sandbox.counters().byEndpoint['symbol-change']?.byStatus).toEqual({ '200': 1, '402': 1 });
    } finally {
      sandbox.update({ renames: [], outsidePlan: [] });
    }
  });
});

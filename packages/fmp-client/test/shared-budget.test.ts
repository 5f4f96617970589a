import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { type RedisServer, startRedisServer } from '@smartstock/testkit/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSharedBudget,
  createFmpClient,
  FmpBudgetError,
  type FmpClient,
  type FmpClientOptions,
  isFatalFmpError,
} from '../src/index.js';
import { defaultSleep } from '../src/limiter.js';
import { budgetKeys, RedisBudget } from '../src/shared-budget.js';
import { capturingLogger, maxInRollingWindow } from './helpers.js';
import { expectNoSecret, renderings } from './secret-check.js';

// Several clients, as several processes would be, on one real Redis and one loopback sandbox that enforces
// the plan per rolling window on the machine's clock (Redis's TIME is the same clock).
const API_KEY = 'sbx_shared_4Kd9Qx2Lm7';
const LIMIT = 12;
const WINDOW = 1_000;
const RANGE = { from: '2026-04-27', to: '2026-05-01' };
const REDIS_PASSWORD = 'r3dis-Pa55word';

let redis: RedisServer;
let sandbox: Sandbox;
let symbols: string[];
const logger = capturingLogger();
const clients: FmpClient[] = [];

beforeAll(async () => {
  redis = await startRedisServer({ password: REDIS_PASSWORD });
  sandbox = await startSandbox({ tickers: 200, seed: 11, apiKey: API_KEY, now: '2026-05-05T21:00:00Z' });
  symbols = sandbox.market.fmpSymbols();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sandbox?.stop();
  await redis?.kill();
  expectNoSecret(logger.lines, API_KEY);
  expectNoSecret(logger.lines, REDIS_PASSWORD);
});

async function limitedSandbox(): Promise<Sandbox> {
  return startSandbox({
    tickers: 200,
    seed: 11,
    apiKey: API_KEY,
    now: '2026-05-05T21:00:00Z',
    rpm: LIMIT,
    rateWindowMs: WINDOW,
  });
}

function client(url: string, overrides: Partial<FmpClientOptions> = {}): FmpClient {
  const c = createFmpClient({
    apiKey: API_KEY,
    baseUrl: url,
    maxConcurrent: 4,
    timeoutMs: 5_000,
    // Loopback answers in milliseconds; a generous margin keeps the guarantee on a stalled machine.
    rateLimit: { requests: LIMIT, windowMs: WINDOW, safetyMarginMs: 5_000 },
    budget: { redisUrl: redis.url, keyPrefix: `test:${Math.random().toString(36).slice(2)}` },
    retry: { rateLimitAttempts: 0, baseMs: 1, capMs: 5 },
    logger,
    ...overrides,
  });
  clients.push(c);
  return c;
}

describe('a budget shared through Redis', () => {
  it('keeps three clients on one key within one plan together: no window over the limit, no 429', async () => {
    const limited = await limitedSandbox();
    try {
      const keyPrefix = 'test:three';
      const three = [0, 1, 2].map(() => client(limited.url, { budget: { redisUrl: redis.url, keyPrefix } }));
      const batch = symbols.slice(0, 3 * LIMIT);
      await Promise.all(
        three.map((c, i) => Promise.all(batch.slice(i * LIMIT, (i + 1) * LIMIT).map((s) => c.getDcf(s)))),
      );
      const counters = limited.counters();
      expect(counters.requests).toBe(batch.length);
      expect(counters.rateLimited).toBe(0);
      expect(maxInRollingWindow(counters.requestTimes, WINDOW)).toBeLessThanOrEqual(LIMIT);
    } finally {
      await limited.stop();
    }
  });

  it('is what makes the difference: three clients with budgets of their own run over the plan', async () => {
    const limited = await limitedSandbox();
    try {
      const three = [0, 1, 2].map(() => client(limited.url, { budget: undefined, adaptiveRate: false }));
      const batch = symbols.slice(0, 3 * LIMIT);
      await Promise.allSettled(
        three.map((c, i) => Promise.all(batch.slice(i * LIMIT, (i + 1) * LIMIT).map((s) => c.getDcf(s)))),
      );
      expect(limited.counters().rateLimited).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  it('keys the budget by a hash of the API key, never the key itself', async () => {
    const c = client(sandbox.url, { budget: { redisUrl: redis.url } });
    await c.getDailyPrices(symbols[0]!, RANGE);
    const inspect = new Redis(redis.url);
    try {
      const keys = await inspect.keys('smartstock:fmp-budget:*');
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) expect(key).not.toContain(API_KEY);
      const values = await Promise.all(keys.map((k: string) => inspect.dump(k)));
      for (const v of values) expect(String(v)).not.toContain(API_KEY);
    } finally {
      inspect.disconnect();
    }
  });
});

describe('budgets of one key, configured differently', () => {
  function budget(requests: number, keyPrefix: string, onLowerRate?: (e: number, m: number) => void) {
    return new RedisBudget({
      redisUrl: redis.url,
      keyPrefix,
      apiKey: API_KEY,
      requests,
      windowMs: 600,
      safetyMarginMs: 1_000,
      clock: () => performance.now(),
      sleep: defaultSleep,
      onLowerRate,
    });
  }

  it('the lowest rate wins, and the process configured higher says so once', async () => {
    const told: [number, number][] = [];
    const low = budget(5, 'test:rates');
    const high = budget(50, 'test:rates', (e, m) => told.push([e, m]));
    try {
      (await low.acquire()).complete();
      for (let i = 0; i < 3; i++) (await high.acquire()).complete();
      expect(told).toEqual([[5, 50]]);
    } finally {
      await Promise.all([low.close(), high.close()]);
    }
  });

  it('a 429 seen by one process holds every process until the pause ends (on the Redis clock)', async () => {
    const prefix = 'test:pause';
    const first = budget(100, prefix);
    const second = budget(100, prefix);
    const inspect = new Redis(redis.url);
    const [log, state] = budgetKeys(API_KEY, prefix) as [string, string];
    try {
      (await first.acquire()).complete();
      first.pauseUntil(performance.now() + 300);
      // The pause reaches Redis asynchronously; the other process sees it on its next admission.
      let pauseEnd = 0;
      for (let i = 0; i < 100 && pauseEnd === 0; i++) {
        pauseEnd = Number((await inspect.hget(state, 'pause')) ?? 0);
        if (pauseEnd === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(pauseEnd).toBeGreaterThan(0);
      const ticket = await second.acquire();
      // The log scores a start at its Redis time + the safety margin: the second start is after the pause.
      const scores = await inspect.zrange(log, 0, -1, 'WITHSCORES');
      const latestStart =
        Math.max(...scores.filter((_: string, i: number) => i % 2 === 1).map(Number)) - 1_000;
      expect(latestStart).toBeGreaterThanOrEqual(pauseEnd);
      ticket.complete();
    } finally {
      inspect.disconnect();
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('when Redis is away', () => {
  it('at start: a clear error naming the URL with its password masked', async () => {
    const gone = await startRedisServer({ password: REDIS_PASSWORD });
    await gone.kill();
    const error = await checkSharedBudget({ redisUrl: gone.url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpBudgetError);
    expect(isFatalFmpError(error)).toBe(true);
    expect((error as Error).message).toContain(`redis://:***@127.0.0.1:${gone.port}`);
    expectNoSecret(renderings(error), REDIS_PASSWORD);
  });

  it('mid-run: no request starts without it, and after the timeout every call fails with the reason', async () => {
    const own = await startRedisServer({ password: REDIS_PASSWORD });
    try {
      const c = client(sandbox.url, {
        rateLimit: { requests: 1000, windowMs: 60_000 },
        budget: { redisUrl: own.url, unavailableTimeoutMs: 300 },
      });
      await c.getDcf(symbols[0]!);
      sandbox.resetCounters();
      await own.kill();
      const results = await Promise.allSettled(symbols.slice(1, 6).map((s) => c.getDcf(s)));
      expect(sandbox.counters().requests).toBe(0);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(FmpBudgetError);
        expect((reason as Error).message).toContain(
          `redis://:***@127.0.0.1:${own.port} was unreachable for 0.3 s`,
        );
        expectNoSecret(renderings(reason), REDIS_PASSWORD);
      }
    } finally {
      await own.kill();
    }
  });
});

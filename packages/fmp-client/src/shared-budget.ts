/**
 * One FMP budget for every process that uses an API key: the rolling-window log kept in Redis.
 *
 * FMP limits requests per key, not per process. Each client given the same Redis and the same key draws from
 * one sliding log there (a sorted set of request starts, scored by each one's latest possible arrival at
 * FMP), through one short Lua script, so admission is atomic across processes. Why not Bottleneck's own
 * Redis clustering: its reservoir refreshes on a fixed interval (up to twice the plan can land in one
 * rolling minute) and its `minTime` spaces registrations in Redis, not arrivals at FMP. Bottleneck stays
 * local, for concurrency.
 *
 * Guarantees: no rolling window, at any alignment, holds more starts than the lowest rate any live process
 * registered for the key (FMP's count, given arrivals within `safetyMarginMs` of the start); a 429 seen by
 * one process pauses all of them; Redis unreachable for longer than `unavailableTimeoutMs` fails the client
 * with FmpBudgetError (fatal) rather than sending without the budget. The Redis key is derived from a hash
 * of the API key, never the key itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import { displayUrl } from '@smartstock/common';
import { FmpBudgetError } from './errors.js';
import { abortReason, type BudgetTicket, type Clock, type Gate, type Sleep } from './limiter.js';

/**
 * Where the request budget shared by every process using one API key lives (Redis), for
 * `FmpClientOptions.budget`.
 */
export interface SharedBudgetOptions {
  /** `redis://[:password@]host:6379[/db]` (or `rediss://`). */
  redisUrl: string;
  /** How long Redis may stay unreachable mid-run before the client fails (default 60 000 ms). */
  unavailableTimeoutMs?: number | undefined;
  /** Prefix of the Redis keys (default `smartstock:fmp-budget`). */
  keyPrefix?: string | undefined;
}

/**
 * Defaults of SharedBudgetOptions: 60 s of Redis unavailability tolerated, key prefix `smartstock:fmp-budget`, 5
 * s to connect.
 */
export const SHARED_BUDGET_DEFAULTS = Object.freeze({
  unavailableTimeoutMs: 60_000,
  keyPrefix: 'smartstock:fmp-budget',
  connectTimeoutMs: 5_000,
});

/** The Redis URL as messages show it: the password masked, so a message can say which Redis it means. */
export function displayRedisUrl(text: string): string {
  return displayUrl(text, 'the Redis URL');
}

/** The part of ioredis this module uses (an optional peer dependency, loaded on first use). */
interface RedisLike {
  connect(): Promise<void>;
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

async function openRedis(redisUrl: string): Promise<RedisLike> {
  let Redis: new (url: string, options: object) => RedisLike;
  try {
    const loaded = (await import('ioredis')) as unknown as {
      Redis?: new (url: string, options: object) => RedisLike;
      default: new (url: string, options: object) => RedisLike;
    };
    Redis = loaded.Redis ?? loaded.default;
  } catch (error) {
    throw new FmpBudgetError(
      'a shared FMP budget needs the ioredis package: npm install ioredis (it is an optional peer dependency)',
      { cause: error },
    );
  }
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    // A command fails at once while Redis is away (the budget retries on its own terms, with a deadline);
    // ioredis keeps reconnecting in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: SHARED_BUDGET_DEFAULTS.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(100 * times, 2_000),
  });
  // Connection errors surface as failed commands; without a listener ioredis would print each one.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new FmpBudgetError(
      `the shared FMP budget's Redis at ${displayRedisUrl(redisUrl)} is unreachable: ${reason(error)}`,
    );
  }
  return redis;
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text || 'no answer';
}

/**
 * Checks that the shared budget's Redis answers, then disconnects: for an app to fail at start, as it does
 * for an unreachable database, instead of on its first FMP request. Throws FmpBudgetError naming the URL
 * with its password masked.
 */
export async function checkSharedBudget(options: Pick<SharedBudgetOptions, 'redisUrl'>): Promise<void> {
  const redis = await openRedis(options.redisUrl);
  try {
    await redis.eval('return 1', 0);
  } catch (error) {
    throw new FmpBudgetError(
      `the shared FMP budget's Redis at ${displayRedisUrl(options.redisUrl)} does not answer: ${reason(error)}`,
    );
  } finally {
    redis.disconnect();
  }
}

// KEYS: 1 log (zset: start id -> latest possible arrival, ms), 2 state (hash: next slot, pause end),
// 3 rates (hash: process id -> "requests:expires").
// ARGV: 1 this process's requests per window, 2 window ms, 3 safety margin ms, 4 start id, 5 process id.
// Returns {wait ms, effective requests, starts in the window}: wait 0 means the start was recorded.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mine = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local margin = tonumber(ARGV[3])
local ttl = 2 * window + margin
redis.call('HSET', KEYS[3], ARGV[5], mine .. ':' .. (now + ttl))
redis.call('PEXPIRE', KEYS[3], ttl)
local requests = mine
local rates = redis.call('HGETALL', KEYS[3])
for i = 1, #rates, 2 do
  local r, expires = string.match(rates[i + 1], '^(%d+):(%d+)$')
  if r == nil or tonumber(expires) < now then
    redis.call('HDEL', KEYS[3], rates[i])
  elseif tonumber(r) < requests then
    requests = tonumber(r)
  end
end
local earliest = now
local pause = tonumber(redis.call('HGET', KEYS[2], 'pause') or '0')
local slot = tonumber(redis.call('HGET', KEYS[2], 'next') or '0')
if pause > earliest then earliest = pause end
if slot > earliest then earliest = slot end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window - 1)
local count = redis.call('ZCARD', KEYS[1])
if count >= requests then
  local oldest = redis.call('ZRANGE', KEYS[1], count - requests, count - requests, 'WITHSCORES')
  local free = tonumber(oldest[2]) + window + 1
  if free > earliest then earliest = free end
end
if earliest > now then return {math.ceil(earliest - now), requests, count} end
local nextSlot = slot + window / requests
if nextSlot < now then nextSlot = now end
redis.call('HSET', KEYS[2], 'next', tostring(nextSlot))
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[1], now + margin, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
return {0, requests, count + 1}
`;

// KEYS: 1 log. ARGV: 1 start id. A completed request arrived by now: its bound only ever comes down.
const COMPLETE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local bound = redis.call('ZSCORE', KEYS[1], ARGV[1])
if bound and now < tonumber(bound) then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
return 0
`;

// KEYS: 1 state. ARGV: 1 pause ms, 2 ttl ms. Every process's next start waits for the pause's end.
const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untilMs = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'pause') or '0')
if untilMs > current then redis.call('HSET', KEYS[1], 'pause', untilMs) end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[2]), tonumber(ARGV[1])))
return 0
`;

export interface RedisBudgetOptions extends SharedBudgetOptions {
  apiKey: string;
  requests: number;
  windowMs: number;
  safetyMarginMs: number;
  clock: Clock;
  sleep: Sleep;
  /** Called once when another process holds the key to a lower rate. */
  onLowerRate?: ((effective: number, mine: number) => void) | undefined;
}

/** The Redis keys of one API key's budget: a hash of the key (never the key), in one cluster slot. */
export function budgetKeys(apiKey: string, prefix: string = SHARED_BUDGET_DEFAULTS.keyPrefix): string[] {
  const id = createHash('sha256').update(apiKey).digest('hex').slice(0, 24);
  return ['log', 'state', 'rates'].map((part) => `${prefix}:{${id}}:${part}`);
}

/** A Gate over the shared log. Starts of this process are serialised, so it polls Redis one at a time. */
export class RedisBudget implements Gate {
  readonly shared = true;
  private redis: Promise<RedisLike> | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly keys: string[];
  private readonly processId = randomUUID();
  private sequence = 0;
  private requests: number;
  private localPause = Number.NEGATIVE_INFINITY;
  private toldLowerRate = false;
  private lastCount = 0;
  private readonly timeoutMs: number;

  constructor(private readonly options: RedisBudgetOptions) {
    this.keys = budgetKeys(options.apiKey, options.keyPrefix);
    this.requests = options.requests;
    this.timeoutMs = options.unavailableTimeoutMs ?? SHARED_BUDGET_DEFAULTS.unavailableTimeoutMs;
  }

  get pauseEndsAt(): number {
    return this.localPause;
  }

  setRequests(requests: number): void {
    this.requests = Math.max(1, Math.floor(requests));
  }

  /** This process pauses at once; the others when they next ask Redis. */
  pauseUntil(until: number): void {
    if (until > this.localPause) this.localPause = until;
    const ms = Math.ceil(until - this.options.clock());
    if (ms <= 0) return;
    this.call(PAUSE, [this.keys[1]!], [ms, 2 * this.options.windowMs]).catch(() => undefined);
  }

  /** Starts in the window ending at the last answer from Redis, of every process on this key. */
  startsInWindow(): number {
    return this.lastCount;
  }

  acquire(signal?: AbortSignal): Promise<BudgetTicket> {
    const turn = this.chain.then(() => this.waitForStart(signal));
    this.chain = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  async close(): Promise<void> {
    const redis = this.redis;
    this.redis = null;
    if (redis) await redis.then((r) => r.quit()).catch(() => undefined);
  }

  private connection(): Promise<RedisLike> {
    this.redis ??= openRedis(this.options.redisUrl);
    return this.redis;
  }

  private async call(script: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const redis = await this.connection();
    return redis.eval(script, keys.length, ...keys, ...args);
  }

  private async waitForStart(signal?: AbortSignal): Promise<BudgetTicket> {
    const { clock, sleep } = this.options;
    let outageSince: number | null = null;
    let backoff = 100;
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const paused = this.localPause - clock();
      if (paused > 0) {
        await sleep(Math.ceil(paused), signal);
        continue;
      }
      const id = `${this.processId}:${++this.sequence}`;
      let answer: [number, number, number];
      try {
        answer = (await this.call(ACQUIRE, this.keys, [
          this.requests,
          this.options.windowMs,
          this.options.safetyMarginMs,
          id,
          this.processId,
        ])) as [number, number, number];
      } catch (error) {
        if (error instanceof FmpBudgetError && outageSince === null && this.sequence === 1) throw error;
        outageSince ??= clock();
        if (clock() - outageSince >= this.timeoutMs) throw this.unavailable(error);
        // A failed first connection is retried by opening a new one; ioredis reconnects an open one itself.
        if (error instanceof FmpBudgetError) this.redis = null;
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 2_000);
        continue;
      }
      outageSince = null;
      const [wait, effective, count] = answer;
      this.lastCount = count;
      this.noticeRate(effective);
      if (wait === 0) return this.ticket(id);
      await sleep(wait, signal);
    }
  }

  private noticeRate(effective: number): void {
    if (effective < this.requests && !this.toldLowerRate) {
      this.toldLowerRate = true;
      this.options.onLowerRate?.(effective, this.requests);
    }
  }

  private ticket(id: string): BudgetTicket {
    let done = false;
    return {
      complete: () => {
        if (done) return;
        done = true;
        // Best effort: if it fails, the start's own bound (start + safety margin) still holds.
        this.call(COMPLETE, [this.keys[0]!], [id]).catch(() => undefined);
      },
    };
  }

  private unavailable(error: unknown): FmpBudgetError {
    const seconds = Number((this.timeoutMs / 1000).toFixed(1));
    return new FmpBudgetError(
      `the shared FMP budget's Redis at ${displayRedisUrl(this.options.redisUrl)} was unreachable for ` +
        `${seconds} s (${reason(error)}); no request was sent without it. Check Redis, or run without ` +
        '--budget-redis to use a budget of this process alone',
    );
  }
}

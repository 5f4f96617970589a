import { setMaxListeners } from 'node:events';
import Bottleneck from 'bottleneck';

export type Clock = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** One request start recorded by the budget; `complete()` once the response (or failure) is in. */
export interface BudgetTicket {
  complete(): void;
}

/**
 * What the limiter waits on before each start: the local rolling window, the shared one in Redis, or only
 * the 429 pause when pacing is off. `until` is on the client's clock.
 */
export interface Gate {
  acquire(signal?: AbortSignal): Promise<BudgetTicket>;
  pauseUntil(until: number): void;
  readonly pauseEndsAt: number;
  /** Lowers (or restores) the starts allowed per window, as the adaptive rate decides. */
  setRequests?(requests: number): void;
  /** True when other processes draw from the same budget (startsInWindow counts theirs too). */
  readonly shared?: boolean;
  /** Starts recorded in the window ending now, of every process on the budget. */
  startsInWindow?(): number;
  /** Releases what the gate holds (a Redis connection). */
  close?(): Promise<void>;
}

export interface RollingBudgetOptions {
  requests: number;
  windowMs: number;
  safetyMarginMs: number;
  clock: Clock;
  sleep: Sleep;
}

interface StartEntry {
  start: number;
  end: number | undefined;
}

/**
 * Sliding-log budget: no window of `windowMs`, at any alignment, holds more than `requests` starts as
 * FMP counts them. FMP counts a request when it arrives, somewhere between our start and our completion,
 * so the k-th start waits until the (k-N)-th request's latest possible arrival is a full window old:
 * its completion time when known, else its start plus `safetyMarginMs`. Then any N+1 requests span at
 * least a window of arrivals, which is exactly the rolling-window guarantee.
 */
export class RollingWindowBudget implements Gate {
  private readonly log: StartEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pausedUntil = Number.NEGATIVE_INFINITY;
  /**
   * Starts are also spaced `windowMs / requests` apart. The sliding log alone lets each window's budget
   * leave in one burst and then idle, which keeps every window legal but runs above the plan's rate over
   * any span that is not a whole number of windows, and hits the server in spikes.
   */
  private nextSlot = Number.NEGATIVE_INFINITY;
  private interval: number;
  private requests: number;

  constructor(private readonly options: RollingBudgetOptions) {
    this.requests = options.requests;
    this.interval = options.windowMs / options.requests;
  }

  setRequests(requests: number): void {
    this.requests = Math.max(1, Math.floor(requests));
    this.interval = this.options.windowMs / this.requests;
  }

  startsInWindow(): number {
    const since = this.options.clock() - this.options.windowMs;
    let n = 0;
    for (let i = this.log.length - 1; i >= 0 && this.log[i]!.start > since; i--) n++;
    return n;
  }

  /** Holds every start (of every worker) until `until` on the budget's clock. */
  pauseUntil(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  get pauseEndsAt(): number {
    return this.pausedUntil;
  }

  /** Resolves when this caller may start one request; the ticket is recorded at that instant. */
  acquire(signal?: AbortSignal): Promise<BudgetTicket> {
    // Serialised so each waiter computes its slot after the previous one took its own.
    const turn = this.chain.then(() => this.waitForSlot(signal));
    this.chain = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private earliestStart(now: number): number {
    let earliest = Math.max(this.pausedUntil, this.nextSlot);
    const { windowMs, safetyMarginMs } = this.options;
    const requests = this.requests;
    if (this.log.length >= requests) {
      const oldest = this.log[this.log.length - requests]!;
      const bound = Math.min(oldest.end ?? Number.POSITIVE_INFINITY, oldest.start + safetyMarginMs);
      // +1 ms so a server counting a closed interval [t - window, t] is also satisfied.
      earliest = Math.max(earliest, bound + windowMs + 1);
    }
    return Math.max(earliest, now);
  }

  private async waitForSlot(signal?: AbortSignal): Promise<BudgetTicket> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const now = this.options.clock();
      const wait = this.earliestStart(now) - now;
      if (wait <= 0) break;
      // Re-evaluated after waking: a 429 may have extended the pause meanwhile.
      await this.options.sleep(Math.ceil(wait), signal);
    }
    const entry: StartEntry = { start: this.options.clock(), end: undefined };
    // Advance from the planned slot, not from the actual start, so timer lateness does not accumulate
    // into a lower rate; after an idle spell the next slot is simply one interval from now.
    this.nextSlot = Math.max(this.nextSlot + this.interval, entry.start);
    this.log.push(entry);
    // Kept to the configured size, not the lowered one: startsInWindow counts a whole window of starts.
    if (this.log.length > this.options.requests * 2)
      this.log.splice(0, this.log.length - this.options.requests);
    return {
      complete: () => {
        if (entry.end === undefined) entry.end = this.options.clock();
      },
    };
  }
}

/** Pause-only gate used when pacing is disabled (`rateLimit: null`): 429 pauses still apply. */
export class PauseGate implements Gate {
  private pausedUntil = Number.NEGATIVE_INFINITY;
  constructor(
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {}
  pauseUntil(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }
  get pauseEndsAt(): number {
    return this.pausedUntil;
  }
  async acquire(signal?: AbortSignal): Promise<BudgetTicket> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      const wait = this.pausedUntil - this.clock();
      if (wait <= 0) return { complete() {} };
      await this.sleep(Math.ceil(wait), signal);
    }
  }
}

export interface RequestLimiterOptions {
  maxConcurrent: number;
  budget: RollingBudgetOptions | null;
  /** A gate of the caller's (the shared Redis budget); `budget` is then ignored. */
  gate?: Gate | undefined;
  clock: Clock;
  sleep: Sleep;
}

interface Job {
  send: (ticket: BudgetTicket) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** True once the job has been handed a result or an error. */
  settled: boolean;
}

/**
 * Bottleneck's in-process datastore mimics a Redis round trip before each of its steps (submit, register,
 * free) with `setTimeout(0)`, which Node clamps to 1 ms, and runs submits and registrations one at a time: a
 * limiter cannot start more than about 420 jobs a second, idle in between (5,000 no-op jobs: 11.9 s of wall
 * time for 1.8 s of CPU). FMP's rate limit is far lower, but a bulk plan, the sandbox and every test run
 * waited on that clamp. Yielding with `setImmediate` keeps what the yield is for (other callbacks and I/O
 * run between the steps) without the 1 ms. Bottleneck 2.19.5 is its last release; if a later one renames the
 * store or its method, this leaves Bottleneck as it is.
 */
function yieldWithoutTimers(bottleneck: Bottleneck): void {
  const store = (bottleneck as unknown as { _store?: { yieldLoop?: unknown } })._store;
  if (store && typeof store.yieldLoop === 'function') {
    store.yieldLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Bottleneck priorities: 0 is the highest; a retry goes ahead of fresh work. */
const RETRY_PRIORITY = 4;
const FRESH_PRIORITY = 5;

/**
 * Our scheduling interface. Bottleneck does the local scheduling: every call is one Bottleneck job, at most
 * `maxConcurrent` run at once, retries ahead of fresh work (its priorities). Inside its slot a job waits for
 * the gate (the rolling-window budget, local or shared, and the 429 pause) and then sends. Bottleneck's own
 * rate features are not used: its reservoir and `minTime` cannot keep FMP's rolling window of arrivals (see
 * RollingWindowBudget). `terminate(error)` rejects everything queued with that error, without sending it.
 */
export class RequestLimiter {
  private readonly bottleneck: Bottleneck;
  readonly gate: Gate;
  private readonly stopController = new AbortController();
  /** Jobs not yet sending: queued in Bottleneck or waiting for the gate. */
  private readonly queued = new Set<Job>();
  private failure: unknown;

  constructor(options: RequestLimiterOptions) {
    // Every in-flight attempt and backoff sleep listens on the stop signal (and removes its listener when
    // done), so a client with 50 calls in flight legitimately holds more than Node's default of 10 listeners.
    setMaxListeners(0, this.stopController.signal);
    this.bottleneck = new Bottleneck({ maxConcurrent: options.maxConcurrent });
    yieldWithoutTimers(this.bottleneck);
    this.gate =
      options.gate ??
      (options.budget
        ? new RollingWindowBudget(options.budget)
        : new PauseGate(options.clock, options.sleep));
  }

  get terminated(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Aborted when the limiter is terminated; in-flight requests and backoff sleeps listen to it. */
  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  get terminationError(): unknown {
    return this.failure;
  }

  pauseUntil(until: number): void {
    this.gate.pauseUntil(until);
  }

  /**
   * Runs `send` once Bottleneck gives it a slot and the gate allows a start. The ticket is completed by the
   * limiter when `send` settles. `retry: true` goes ahead of fresh work.
   */
  run<T>(send: (ticket: BudgetTicket) => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
    if (this.terminated) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const job: Job = { send, resolve: resolve as (value: unknown) => void, reject, settled: false };
      this.queued.add(job);
      const priority = options.retry ? RETRY_PRIORITY : FRESH_PRIORITY;
      // Settled through `job` (a stopped Bottleneck rejects its dropped jobs with an error of its own).
      this.bottleneck.schedule({ priority }, () => this.attempt(job)).catch(() => undefined);
    });
  }

  private async attempt(job: Job): Promise<void> {
    if (job.settled) return;
    let ticket: BudgetTicket;
    try {
      ticket = await this.gate.acquire(this.stopController.signal);
    } catch (error) {
      // The stop signal's own abort, or a gate that can no longer admit anything (the shared budget's
      // Redis stayed away): nothing queued can be sent, so every call ends with that error.
      if (!this.terminated) this.terminate(error);
      this.settle(job, false, this.failure);
      return;
    }
    if (job.settled) {
      ticket.complete();
      return;
    }
    // Leaving the queue: from here the request is in flight and settles with its own outcome.
    this.queued.delete(job);
    try {
      this.settle(job, true, await job.send(ticket));
    } catch (error) {
      this.settle(job, false, error);
    } finally {
      ticket.complete();
    }
  }

  private settle(job: Job, ok: boolean, value: unknown): void {
    if (job.settled) return;
    job.settled = true;
    this.queued.delete(job);
    if (ok) job.resolve(value);
    else job.reject(value);
  }

  /** Rejects every queued request with `error` and stops accepting new ones. Idempotent. */
  terminate(error: unknown): void {
    if (this.terminated) return;
    this.failure = error;
    this.stopController.abort(error);
    for (const job of [...this.queued]) this.settle(job, false, error);
    // Jobs still queued in Bottleneck find themselves settled and return at once.
  }
}

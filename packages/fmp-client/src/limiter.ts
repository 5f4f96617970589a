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
export class RollingWindowBudget {
  private readonly log: StartEntry[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RollingBudgetOptions) {}

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
    let earliest = this.pausedUntil;
    const { requests, windowMs, safetyMarginMs } = this.options;
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
    this.log.push(entry);
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
export class PauseGate {
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
  clock: Clock;
  sleep: Sleep;
}

/**
 * Our scheduling interface: bottleneck provides the concurrency cap and the queue (with priorities, so
 * retries go ahead of fresh work); the rolling budget and the whole-client pause decide when a request
 * may start. `terminate(error)` rejects everything queued with that error, without sending it.
 */
export class RequestLimiter {
  private readonly bottleneck: Bottleneck;
  private readonly gate: RollingWindowBudget | PauseGate;
  private readonly stopController = new AbortController();
  private readonly queued = new Set<(error: unknown) => void>();
  private failure: unknown;

  constructor(options: RequestLimiterOptions) {
    this.bottleneck = new Bottleneck({ maxConcurrent: options.maxConcurrent });
    this.gate = options.budget
      ? new RollingWindowBudget(options.budget)
      : new PauseGate(options.clock, options.sleep);
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
   * Runs `send` once a concurrency slot is free and the budget allows a start. `send` receives the
   * ticket and must call `complete()` when the response is fully received or failed.
   */
  run<T>(send: (ticket: BudgetTicket) => Promise<T>, options: { priority?: number } = {}): Promise<T> {
    if (this.terminated) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const rejectQueued = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      this.queued.add(rejectQueued);
      this.bottleneck
        .schedule({ priority: options.priority ?? 5 }, async () => {
          if (settled) return undefined;
          const ticket = await this.gate.acquire(this.stopController.signal);
          // Leaving the queue: from here the request is in flight and settles with its own outcome.
          if (settled) {
            ticket.complete();
            return undefined;
          }
          this.queued.delete(rejectQueued);
          try {
            const value = await send(ticket);
            settled = true;
            resolve(value);
          } catch (error) {
            settled = true;
            reject(error);
          } finally {
            ticket.complete();
          }
          return undefined;
        })
        .catch((error: unknown) => {
          rejectQueued(this.terminated ? this.failure : error);
        })
        .finally(() => this.queued.delete(rejectQueued));
    });
  }

  /** Rejects every queued request with `error` and stops accepting new ones. Idempotent. */
  terminate(error: unknown): void {
    if (this.terminated) return;
    this.failure = error;
    this.stopController.abort(error);
    for (const rejectQueued of [...this.queued]) rejectQueued(error);
    this.queued.clear();
  }
}

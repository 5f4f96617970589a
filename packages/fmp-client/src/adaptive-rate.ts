/**
 * A budget that learns the plan. A budget set above the key's real plan (a Starter key configured for 750)
 * meets 429s although it keeps its own limit. After a few in one window the rate comes down to what FMP had
 * counted when it refused (the starts of the last window, of every process on a shared budget), a little
 * under it; it then climbs back carefully (a small step per quiet window), so a transient burst of 429s does
 * not shrink the budget for good, while a real plan is found again at once when the climb reaches it.
 */
import type { Logger } from '@smartstock/common';
import type { Clock, Gate } from './limiter.js';

export interface AdaptiveRateOptions {
  /** The configured starts per window. */
  requests: number;
  windowMs: number;
  gate: Gate;
  clock: Clock;
  logger: Logger;
}

/** 429s within one window before the rate comes down ("a few": one can be a glitch). */
export const DECREASE_AFTER_429S = 2;
/** The deepest one decrease goes (multiplicative decrease when FMP's count says little). */
const MAX_DECREASE_TO = 0.4;
/** How far under FMP's observed count the rate settles. */
const UNDER_OBSERVED = 0.95;
/** Each quiet window after the last 429 adds this share of the configured rate. */
const INCREASE_SHARE = 0.02;

export class AdaptiveRate {
  private current: number;
  private readonly recent429: number[] = [];
  private readonly answered: number[] = [];
  private last429 = Number.NEGATIVE_INFINITY;
  private lastChange = Number.NEGATIVE_INFINITY;
  private learned: number | null = null;
  private told = false;

  constructor(private readonly options: AdaptiveRateOptions) {
    this.current = options.requests;
  }

  /** Starts per window now (the configured rate unless 429s brought it down). */
  get requests(): number {
    return this.current;
  }

  /**
   * The advice for the run summary: set while the rate stays under the configured one, null once it has
   * climbed back (the 429s were transient) or was never lowered.
   */
  get advice(): string | null {
    if (this.learned === null || this.current >= this.options.requests) return null;
    return this.message(this.learned);
  }

  onRateLimited(): void {
    const now = this.options.clock();
    const { windowMs } = this.options;
    this.last429 = now;
    this.recent429.push(now);
    while (this.recent429.length > 0 && this.recent429[0]! <= now - windowMs) this.recent429.shift();
    // One decrease per burst: the 429s of requests already in flight say nothing new.
    if (this.recent429.length < DECREASE_AFTER_429S || now - this.lastChange < windowMs / 2) return;
    const observed = this.acceptedInWindow(now);
    // Just under what FMP counted, but never more than a bounded step at once (a count taken early in a run,
    // or while another user of the key drew outside our budget, can be far too low).
    const target = observed > 0 ? Math.floor(observed * UNDER_OBSERVED) : 0;
    const floor = Math.floor(this.current * MAX_DECREASE_TO);
    const ceiling = Math.floor(this.current * UNDER_OBSERVED);
    this.set(Math.max(1, Math.min(ceiling, Math.max(floor, target))));
    // The largest count is the best estimate: a later window that held a pause accepted fewer than allowed.
    if (observed > 0) this.learned = Math.min(Math.max(observed, this.learned ?? 0), this.options.requests);
    if (!this.told && this.learned !== null) {
      this.told = true;
      this.options.logger.warn(this.message(this.learned), {
        configuredPerMinute: this.perMinute(this.options.requests),
        nowPerMinute: this.perMinute(this.current),
      });
    }
  }

  /**
   * What FMP accepted in the window ending now: this client's answered requests; on a shared budget, every
   * process's starts (from Redis) less the 429s seen here, whichever is larger.
   */
  private acceptedInWindow(now: number): number {
    while (this.answered.length > 0 && this.answered[0]! <= now - this.options.windowMs)
      this.answered.shift();
    const own = this.answered.length;
    if (!this.options.gate.shared) return own;
    return Math.max(own, (this.options.gate.startsInWindow?.() ?? 0) - this.recent429.length);
  }

  /** After each answered request (not a 429): one careful step up per quiet window. */
  onAnswered(): void {
    const now = this.options.clock();
    this.answered.push(now);
    // Bounded: only a window's worth matters, and a window holds at most the configured rate.
    if (this.answered.length > 2 * this.options.requests) this.answered.shift();
    if (this.current >= this.options.requests) return;
    const { windowMs } = this.options;
    if (now - this.last429 < 2 * windowMs || now - this.lastChange < windowMs) return;
    const step = Math.max(1, Math.ceil(this.options.requests * INCREASE_SHARE));
    this.set(Math.min(this.options.requests, this.current + step));
  }

  private set(requests: number): void {
    this.current = requests;
    this.lastChange = this.options.clock();
    this.options.gate.setRequests?.(requests);
  }

  private perMinute(requests: number): number {
    return Math.round((requests * 60_000) / this.options.windowMs);
  }

  private message(observed: number): string {
    const configured = this.perMinute(this.options.requests);
    // Rounded down to a figure a person would configure; never 0.
    const perMinute = this.perMinute(observed);
    const advised = Math.max(1, perMinute >= 100 ? Math.floor(perMinute / 10) * 10 : perMinute);
    return (
      `FMP answered 429 at ${configured}/min: this key seems to allow about ${advised}/min; ` +
      `set FMP_REQUESTS_PER_MINUTE=${advised}`
    );
  }
}

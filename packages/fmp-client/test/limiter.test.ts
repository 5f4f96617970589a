import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultSleep, RequestLimiter, RollingWindowBudget } from '../src/limiter.js';
import { maxInRollingWindow } from './helpers.js';

/** Virtual time: sleeping advances the clock instantly, so minutes of pacing run in microseconds. */
function virtualTime() {
  const time = { now: 0 };
  return {
    time,
    clock: () => time.now,
    sleep: async (ms: number) => {
      time.now += ms;
    },
  };
}

async function runFor(
  budget: RollingWindowBudget,
  time: { now: number },
  untilMs: number,
  complete: boolean,
) {
  const starts: number[] = [];
  while (time.now < untilMs) {
    const ticket = await budget.acquire();
    if (time.now >= untilMs) break;
    starts.push(time.now);
    if (complete) ticket.complete();
  }
  return starts;
}

describe('maxInRollingWindow (the checker the pacing tests rely on)', () => {
  it('finds a burst that straddles two fixed windows', () => {
    // 5 at the end of one minute and 5 at the start of the next: fixed windows see 5 each, a rolling one 10.
    const times = [55_000, 56_000, 57_000, 58_000, 59_000, 60_000, 61_000, 62_000, 63_000, 64_000];
    expect(maxInRollingWindow(times, 60_000)).toBe(10);
    expect(maxInRollingWindow(times, 5_000)).toBe(5);
  });

  it('counts a window as half-open, like a server that forgets a request once a full window has passed', () => {
    expect(maxInRollingWindow([0, 1_000], 1_000)).toBe(1);
    expect(maxInRollingWindow([0, 999], 1_000)).toBe(2);
  });
});

describe('RollingWindowBudget', () => {
  it('never lets any rolling window hold more than the budget and uses at least 95% of it', async () => {
    const { time, clock, sleep } = virtualTime();
    const budget = new RollingWindowBudget({
      requests: 300,
      windowMs: 60_000,
      safetyMarginMs: 1_000,
      clock,
      sleep,
    });
    const starts = await runFor(budget, time, 10 * 60_000, true);
    expect(maxInRollingWindow(starts, 60_000)).toBeLessThanOrEqual(300);
    expect(starts.length).toBeGreaterThanOrEqual(0.95 * 300 * 10);
  });

  it('spaces starts evenly instead of spending each window in one burst, so any span runs at the plan rate', async () => {
    const { time, clock, sleep } = virtualTime();
    const budget = new RollingWindowBudget({
      requests: 300,
      windowMs: 60_000,
      safetyMarginMs: 1_000,
      clock,
      sleep,
    });
    const starts = await runFor(budget, time, 10 * 60_000, true);
    // A quarter window holds a quarter of the budget (a burst-then-idle limiter puts all 300 in one).
    expect(maxInRollingWindow(starts, 15_000)).toBeLessThanOrEqual(75 + 1);
    // And a span of 1.5 windows holds no more than 1.5 budgets: the plan's rate, not above it.
    expect(maxInRollingWindow(starts, 90_000)).toBeLessThanOrEqual(450 + 1);
  });

  it('bounds requests still in flight by start + safety margin and still reaches 95%', async () => {
    const { time, clock, sleep } = virtualTime();
    const budget = new RollingWindowBudget({
      requests: 300,
      windowMs: 60_000,
      safetyMarginMs: 1_000,
      clock,
      sleep,
    });
    const starts = await runFor(budget, time, 10 * 60_000, false);
    // If FMP counts each request up to 1 s after we sent it, arrivals still fit the budget.
    const latestArrivals = starts.map((s) => s + 1_000);
    const earliestArrivals = starts;
    const mixed = starts.map((s, i) => (i % 2 === 0 ? s : s + 1_000));
    for (const arrivals of [latestArrivals, earliestArrivals, mixed]) {
      expect(maxInRollingWindow(arrivals, 60_000)).toBeLessThanOrEqual(300);
    }
    expect(starts.length).toBeGreaterThanOrEqual(0.95 * 300 * 10);
  });

  it('holds every start until a pause ends, and a longer pause set meanwhile wins', async () => {
    const { time, clock, sleep } = virtualTime();
    const budget = new RollingWindowBudget({
      requests: 100,
      windowMs: 1_000,
      safetyMarginMs: 5,
      clock,
      sleep,
    });
    budget.pauseUntil(10_000);
    budget.pauseUntil(4_000);
    await budget.acquire();
    expect(time.now).toBe(10_000);
  });

  it('rejects a waiting acquire when its signal aborts', async () => {
    const budget = new RollingWindowBudget({
      requests: 1,
      windowMs: 60_000,
      safetyMarginMs: 5,
      clock: () => 0,
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    });
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('RequestLimiter scheduling', () => {
  it('waits on at most one timer a call: none between the steps of bottleneck', async () => {
    // Bottleneck's own store waits a setTimeout(0) (1 ms in Node) before each step of a job (submit,
    // register, free), one job at a time: about 4 timers a call, and at most ~420 calls a second whatever the
    // budget. Only its start of each job (one timer, concurrent) is left.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const limiter = new RequestLimiter({
      maxConcurrent: 50,
      budget: null,
      clock: () => 0,
      sleep: defaultSleep,
    });
    let done = 0;
    await Promise.all(
      Array.from({ length: 1000 }, () =>
        limiter.run(async () => {
          done += 1;
        }),
      ),
    );
    expect(done).toBe(1000);
    expect(timers.mock.calls.length).toBeLessThanOrEqual(1000);
  });
});

describe('RequestLimiter concurrency', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const maxConcurrent = 10;
  const callsPerCaller = 30;
  const latencyMs = 20;

  /**
   * The pipeline's shape: `maxConcurrent` callers, each awaiting one call (of `latencyMs`) and then making
   * the next, the first joining at `joinAtMs(i)`. Everything runs in virtual time, the limiter's own timers
   * included (a worker's linger, the yields between bottleneck's steps): the calls' latency and the scheduling are
   * the same on any machine, so the count of calls in flight at each start is exact, not a mean that a busy
   * CPU can push below a threshold.
   */
  async function callers(joinAtMs: (caller: number) => number) {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'], now: 0 });
    const virtualNow = () => vi.getMockedSystemTime()!.getTime();
    const limiter = new RequestLimiter({
      maxConcurrent,
      budget: null,
      // Never paused here, so the pause gate's clock is never compared with anything.
      clock: () => 0,
      sleep: defaultSleep,
    });
    let inFlight = 0;
    const atStart: number[] = [];
    const caller = async (i: number) => {
      await new Promise((resolve) => setTimeout(resolve, joinAtMs(i)));
      for (let k = 0; k < callsPerCaller; k++) {
        await limiter.run(async () => {
          inFlight += 1;
          atStart.push(inFlight);
          await new Promise((resolve) => setTimeout(resolve, latencyMs));
          inFlight -= 1;
        });
        // The caller's own step between calls (the pipeline parses the answer and hands the rows on): a
        // worker that left on finding the queue empty is gone by the time the next call is queued.
        await null;
      }
    };
    let finishedAt: number | undefined;
    const all = Promise.all(Array.from({ length: maxConcurrent }, (_, i) => caller(i))).then(() => {
      finishedAt = virtualNow();
    });
    // Timer by timer until the last caller is done, not "run every timer": files share this worker, and a
    // client of another file still waiting for a budget slot on the real clock would have its timer re-run
    // here over and over (its real clock never reaching the slot) until vitest gives up at 10,000 timers.
    for (let steps = 0; finishedAt === undefined && steps < 100_000; steps++) {
      await vi.advanceTimersToNextTimerAsync();
    }
    await all;
    expect(atStart).toHaveLength(maxConcurrent * callsPerCaller);
    expect(Math.max(...atStart)).toBe(maxConcurrent);
    return { atStart, finishedAt };
  }

  it('keeps maxConcurrent calls in flight when every caller queues its next call as its last one settles', async () => {
    // A limiter whose workers leave when the queue is empty for an instant, and are not replaced while
    // others are busy, settles near 9 of 10 in flight: a tenth of the throughput lost at any latency.
    const { atStart, finishedAt } = await callers(() => 0);
    // Each wave of calls starts together (all ten answers come back at the same virtual instant, so the
    // count at each start ramps from 1 to maxConcurrent within that instant), never more than the cap.
    for (let wave = 0; wave < callsPerCaller; wave++) {
      const starts = atStart.slice(wave * maxConcurrent, (wave + 1) * maxConcurrent);
      expect(starts).toEqual(Array.from({ length: maxConcurrent }, (_, i) => i + 1));
    }
    // No call waited for a slot: each caller's calls ran back to back, the least time possible, which is
    // maxConcurrent calls in flight all the time.
    expect(finishedAt).toBe(callsPerCaller * latencyMs);
  });

  it('starts a worker for a call queued while every worker is busy, up to maxConcurrent', async () => {
    // Callers join one virtual millisecond apart, all within the first call's latency: each one's first
    // call finds the workers started so far busy, and must get a worker of its own, not wait for theirs.
    const { atStart, finishedAt } = await callers((i) => i);
    expect(atStart.slice(0, maxConcurrent)).toEqual(Array.from({ length: maxConcurrent }, (_, i) => i + 1));
    expect(Math.min(...atStart.slice(maxConcurrent))).toBe(maxConcurrent);
    // The last caller to join ran its calls back to back.
    expect(finishedAt).toBe(maxConcurrent - 1 + callsPerCaller * latencyMs);
  });
});

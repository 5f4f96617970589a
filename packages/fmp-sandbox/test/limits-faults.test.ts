import { describe, expect, it } from 'vitest';
import {
  FAULT_KINDS,
  type FaultKind,
  parseFaults,
  SandboxCore,
  type SandboxCoreOptions,
} from '../src/index.js';
import { AFTER_CLOSE, body, get, json } from './helpers.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('the rolling-window rate limit', () => {
  it('admits rpm requests per rolling window and answers the next with 429 Limit Reach', () => {
    const c = clock();
    const core = new SandboxCore({
      tickers: 10,
      rpm: 5,
      rateWindowMs: 1000,
      wallClock: c.now,
      now: AFTER_CLOSE,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(body(get(core, '/stable/stock-list')).status);
      c.advance(100);
    }
    statuses.push(body(get(core, '/stable/stock-list')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(json(get(core, '/stable/stock-list'))).toEqual({
      'Error Message': expect.stringMatching(/^Limit Reach \./),
    });
    // A fixed window would reset at t=1000; the rolling one frees a slot only when the first request ages out.
    c.advance(500); // t = first + 1000
    expect(body(get(core, '/stable/stock-list')).status).toBe(200);
    expect(body(get(core, '/stable/stock-list')).status).toBe(429);
    expect(core.counters().rateLimited).toBe(3);
  });

  it('can be changed while running, and 0 means unlimited', () => {
    const c = clock();
    const core = new SandboxCore({ tickers: 10, rpm: 1, wallClock: c.now, now: AFTER_CLOSE });
    get(core, '/stable/stock-list');
    expect(body(get(core, '/stable/stock-list')).status).toBe(429);
    core.update({ rpm: 0 });
    for (let i = 0; i < 20; i++) expect(body(get(core, '/stable/stock-list')).status).toBe(200);
  });

  it('logs request start times so the busiest window can be measured, and resets them', () => {
    const c = clock();
    const core = new SandboxCore({ tickers: 10, rateWindowMs: 1000, wallClock: c.now, now: AFTER_CLOSE });
    for (const gap of [0, 100, 100, 700, 50, 50]) {
      c.advance(gap);
      get(core, '/stable/stock-list');
    }
    expect(core.counters().requestTimes).toHaveLength(6);
    expect(core.maxRequestsInWindow()).toBe(5);
    expect(core.maxRequestsInWindow(200)).toBe(3);
    core.resetCounters();
    expect(core.counters().requestTimes).toEqual([]);
  });
});

describe('key revocation and plans', () => {
  it('accepts N more requests after revokeKeyAfter: N, then answers 401 to all', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    core.update({ revokeKeyAfter: 3 });
    const statuses = Array.from({ length: 6 }, () => body(get(core, '/stable/stock-list')).status);
    expect(statuses).toEqual([200, 200, 200, 401, 401, 401]);
    expect(json(get(core, '/stable/stock-list'))).toEqual({
      'Error Message': expect.stringMatching(/^Invalid API KEY/),
    });
    core.update({ revokeKeyAfter: null });
    expect(body(get(core, '/stable/stock-list')).status).toBe(200);
  });

  it('switches the plan at run time', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    expect(body(get(core, '/stable/dcf-bulk')).status).toBe(200);
    core.update({ plan: 'premium' });
    expect(body(get(core, '/stable/dcf-bulk')).status).toBe(402);
  });

  it('counts requests by endpoint and status', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    get(core, '/stable/stock-list');
    get(core, '/stable/stock-list', {}, 'bad');
    get(core, '/stable/discounted-cash-flow', { symbol: 'ZZZZZ' });
    const c = core.counters();
    expect(c.requests).toBe(3);
    expect(c.byEndpoint['stock-list']).toEqual({ total: 2, byStatus: { '200': 1, '401': 1 } });
    expect(c.byEndpoint['discounted-cash-flow']).toEqual({ total: 1, byStatus: { '200': 1 } });
    expect(c.byStatus).toEqual({ '200': 2, '401': 1 });
  });
});

describe('fault injection', () => {
  it('parses the documented syntax and rejects unknown kinds, bad rates and totals above 1', () => {
    expect(
      parseFaults('5xx=0.05,429=0.02,timeout=0.005,reset=0.01,malformed=0.01,error200=0.005,badrows=0.01'),
    ).toEqual({
      '5xx': 0.05,
      '429': 0.02,
      timeout: 0.005,
      reset: 0.01,
      malformed: 0.01,
      error200: 0.005,
      badrows: 0.01,
    });
    expect(() => parseFaults('boom=0.1')).toThrow(/unknown fault kind "boom"/);
    expect(() => parseFaults('5xx=1.5')).toThrow(/"5xx" must be a number from 0 to 1/);
    expect(() => parseFaults('5xx=-0.1')).toThrow(/from 0 to 1/);
    expect(() => parseFaults('5xx=abc')).toThrow(/from 0 to 1, got abc/);
    expect(() => parseFaults('5xx')).toThrow(/expected kind=rate/);
    expect(() => parseFaults('reset=0.6,5xx=0.6')).toThrow(/more than 1/);
    expect(() => parseFaults('reset=0.1,reset=0.2')).toThrow(/twice/);
    expect(() => new SandboxCore({ faults: 'nope=1' })).toThrow(/unknown fault kind/);
  });

  const kinds: Array<{ kind: FaultKind; check: (r: ReturnType<typeof get>) => void }> = [
    { kind: '5xx', check: (r) => expect([500, 502, 503, 504]).toContain(body(r).status) },
    { kind: '429', check: (r) => expect(body(r).status).toBe(429) },
    { kind: 'timeout', check: (r) => expect(r.action).toBe('hang') },
    { kind: 'reset', check: (r) => expect(r.action).toBe('reset') },
    {
      kind: 'malformed',
      check: (r) => {
        expect(body(r).status).toBe(200);
        expect(() => JSON.parse(body(r).text)).toThrow();
      },
    },
    {
      kind: 'error200',
      check: (r) => {
        expect(body(r).status).toBe(200);
        expect(json(r)).toHaveProperty('Error Message');
      },
    },
    {
      kind: 'badrows',
      check: (r) => {
        const rows = json<Array<Record<string, number | null>>>(r);
        const bad = rows.filter(
          (b) => b.close === null || (b.volume ?? 0) < 0 || (b.high ?? 0) < (b.low ?? 0),
        );
        expect(bad).toHaveLength(1);
        expect(rows.length).toBeGreaterThan(1);
      },
    },
  ];

  for (const { kind, check } of kinds) {
    it(`injects "${kind}" at its rate, reproducibly from the seed`, () => {
      const options: SandboxCoreOptions = {
        tickers: 60,
        seed: 21,
        faults: { [kind]: 0.3 },
        now: AFTER_CLOSE,
        burst429: 1,
      };
      const run = () => {
        const core = new SandboxCore(options);
        const symbols = core.market.fmpSymbols().slice(0, 50);
        const replies = symbols.map((symbol) =>
          get(core, '/stable/historical-price-eod/full', { symbol, from: '2026-04-01', to: '2026-04-30' }),
        );
        return { core, replies };
      };
      const a = run();
      const b = run();
      const faulted = a.replies.filter(
        (_, i) => a.core.counters().faults[kind] > 0 && isFault(a.replies[i]!, kind),
      );
      expect(a.core.counters().faults[kind]).toBeGreaterThan(5);
      expect(a.core.counters().faults[kind]).toBeLessThan(30);
      for (const r of faulted) check(r);
      expect(b.replies).toEqual(a.replies);
      for (const other of FAULT_KINDS.filter((k) => k !== kind))
        expect(a.core.counters().faults[other]).toBe(0);
    });
  }

  it('decides per (request, attempt): a retry of a faulted request is a new draw', () => {
    const core = new SandboxCore({ tickers: 60, seed: 4, faults: '5xx=0.5', now: AFTER_CLOSE });
    const symbol = core.market.fmpSymbols()[0]!;
    const statuses = Array.from(
      { length: 40 },
      () => body(get(core, '/stable/discounted-cash-flow', { symbol })).status,
    );
    expect(statuses.some((s) => s >= 500)).toBe(true);
    expect(statuses.some((s) => s === 200)).toBe(true);
  });

  it('answers a 429 burst to the requests following a 429 fault', () => {
    const core = new SandboxCore({ tickers: 60, seed: 4, faults: '429=0.2', burst429: 4, now: AFTER_CLOSE });
    const statuses = core.market
      .fmpSymbols()
      .slice(0, 40)
      .map((symbol) => body(get(core, '/stable/discounted-cash-flow', { symbol })).status);
    const first = statuses.indexOf(429);
    expect(statuses.slice(first, first + 4)).toEqual([429, 429, 429, 429]);
  });

  it('spoils rows of bulk CSV answers too', () => {
    const core = new SandboxCore({ tickers: 60, seed: 4, faults: 'badrows=1', now: AFTER_CLOSE });
    const csv = body(get(core, '/stable/eod-bulk', { date: '2026-05-04' }))
      .text.trim()
      .split('\n')
      .slice(1);
    const bad = csv.filter((line) => {
      const [, , , low, high, close, , volume] = line.split(',');
      return close === '' || Number(volume) < 0 || Number(high) < Number(low);
    });
    expect(bad).toHaveLength(1);
  });

  it('can be switched off while running', () => {
    const core = new SandboxCore({ tickers: 60, faults: 'reset=1', now: AFTER_CLOSE });
    expect(get(core, '/stable/stock-list').action).toBe('reset');
    core.update({ faults: 'none' });
    expect(get(core, '/stable/stock-list').action).toBe('respond');
    expect(core.state().faults).toBe('none');
  });
});

function isFault(r: ReturnType<typeof get>, kind: FaultKind): boolean {
  if (kind === 'timeout') return r.action === 'hang';
  if (kind === 'reset') return r.action === 'reset';
  if (r.action !== 'respond') return false;
  if (kind === '5xx') return r.status >= 500;
  if (kind === '429') return r.status === 429;
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    return kind === 'malformed';
  }
  if (kind === 'error200') return !Array.isArray(parsed);
  if (kind === 'badrows') {
    return (parsed as Array<Record<string, number | null>>).some(
      (b) => b.close === null || (b.volume ?? 0) < 0 || (b.high ?? 0) < (b.low ?? 0),
    );
  }
  return false;
}

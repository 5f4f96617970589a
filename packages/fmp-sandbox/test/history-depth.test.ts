import { describe, expect, it } from 'vitest';
import { SandboxCore } from '../src/index.js';
import { AFTER_CLOSE, body, get, json } from './helpers.js';

const FULL = '/stable/historical-price-eod/full';

describe('the plan history depth (historyDepthYears)', () => {
  it('answers 402 to a history request reaching before the plan depth, and serves one within it', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE, historyDepthYears: 5 });
    const symbol = core.market.fmpSymbols()[0]!;
    const today = core.state().latestSession;
    const earliest = `${Number(today.slice(0, 4)) - 5}${today.slice(4)}`;
    const dayBefore = `${Number(today.slice(0, 4)) - 5}${today.slice(4, 8)}${String(Number(today.slice(8)) - 1).padStart(2, '0')}`;
    const deep = get(core, FULL, { symbol, from: dayBefore, to: today });
    expect(body(deep).status).toBe(402);
    expect(JSON.stringify(json(deep))).toMatch(/not available under your current subscription/);
    const within = get(core, FULL, { symbol, from: earliest, to: today });
    expect(body(within).status).toBe(200);
    expect((json(within) as unknown[]).length).toBeGreaterThan(1000);
    expect(core.state().historyDepthYears).toBe(5);
  });

  it('serves any depth by default and when the limit is lifted, and refuses a bad depth', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE, historyDepthYears: 1 });
    const symbol = core.market.fmpSymbols()[0]!;
    const url = FULL;
    const query = { symbol, from: '2015-01-02', to: '2015-01-09' };
    expect(body(get(core, url, query)).status).toBe(402);
    core.update({ historyDepthYears: null });
    expect(body(get(core, url, query)).status).toBe(200);
    expect(core.state().historyDepthYears).toBeNull();
    expect(() => new SandboxCore({ historyDepthYears: 0 })).toThrow(/historyDepthYears/);
  });
});

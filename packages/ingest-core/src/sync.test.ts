import { describe, expect, it } from 'vitest';
import { IngestError } from './errors.js';
import { defaultHistoryFrom } from './settings.js';
import { planSync } from './sync.js';

const now = new Date('2026-05-08T22:00:00Z');

function refusal(options: Parameters<typeof planSync>[0]): string {
  try {
    planSync(options, now);
  } catch (error) {
    expect(error).toBeInstanceOf(IngestError);
    expect((error as IngestError).code).toBe('INVALID_OPTIONS');
    return (error as IngestError).message;
  }
  throw new Error('expected the options to be refused');
}

describe('planSync', () => {
  it('defaults to the five tasks in order, the repair after the prices, the data checks last, over the last 5 days, per symbol', () => {
    const plan = planSync({}, now);
    expect(plan).toMatchObject({
      tasks: [
        'get_russell_2000_list',
        'ingest_market_data',
        'repair_price_gaps',
        'ingest_all_dcf',
        'check_data_quality',
      ],
      repairMaxRequests: undefined,
      tickers: null,
      backfill: false,
      mode: 'per-symbol',
      concurrency: 50,
      dcfConcurrency: 10,
      failureThreshold: 0.05,
      minTickers: 1500,
    });
    expect(plan.window.from).toBe('2026-05-03');
    expect(plan.window.closedSessions).toHaveLength(5);
  });

  it('accepts aliases in any order and runs the tasks in the canonical order', () => {
    expect(planSync({ tasks: ['dcf', 'tickers'] }, now).tasks).toEqual([
      'get_russell_2000_list',
      'ingest_all_dcf',
    ]);
    expect(planSync({ tasks: ['quality', 'prices'] }, now).tasks).toEqual([
      'ingest_market_data',
      'check_data_quality',
    ]);
  });

  it('runs the repair in the default run unless told not to, and adds it to an explicit task list when told to', () => {
    expect(planSync({ repair: false }, now).tasks).not.toContain('repair_price_gaps');
    // A backfill of a past window is no nightly run: the repair would reach from its end to today.
    expect(planSync({ from: '2026-01-05', to: '2026-01-09' }, now).tasks).not.toContain('repair_price_gaps');
    expect(planSync({ from: '2026-01-05', repair: true }, now).tasks).toContain('repair_price_gaps');
    expect(planSync({ tasks: ['prices'] }, now).tasks).toEqual(['ingest_market_data']);
    expect(planSync({ tasks: ['dcf', 'prices'], repair: true }, now).tasks).toEqual([
      'ingest_market_data',
      'repair_price_gaps',
      'ingest_all_dcf',
    ]);
    expect(planSync({ tasks: ['repair'], repairMaxRequests: 7 }, now)).toMatchObject({
      tasks: ['repair_price_gaps'],
      repairMaxRequests: 7,
    });
    expect(refusal({ tasks: ['repair'], repair: false })).toMatch(/no task selected/);
    expect(refusal({ repairMaxRequests: 0 })).toMatch(
      /invalid repairMaxRequests 0: must be a whole number >= 1/,
    );
  });

  it('backfills new members to 5 years before the run date by default, or to historyFrom', () => {
    expect(planSync({}, now).historyFrom).toBe('2021-05-08');
    expect(planSync({ historyFrom: '2015-01-02' }, now).historyFrom).toBe('2015-01-02');
    expect(refusal({ historyFrom: '2015-13-01' })).toMatch(/invalid historyFrom "2015-13-01"/);
    expect(refusal({ historyFrom: '2999-01-01' })).toMatch(
      /invalid historyFrom 2999-01-01: it is after today/,
    );
    expect(defaultHistoryFrom('2028-02-29')).toBe('2023-02-28');
  });

  it('drops the universe task for an explicit ticker list and normalises the tickers', () => {
    const plan = planSync({ tickers: ['aapl', 'BRK.B', 'MOGA', 'aapl'] }, now);
    expect(plan.tasks).toEqual([
      'ingest_market_data',
      'repair_price_gaps',
      'ingest_all_dcf',
      'check_data_quality',
    ]);
    expect(plan.tickers).toEqual(['AAPL', 'BRK-B', 'MOG-A']);
    expect(refusal({ tickers: ['AAPL'], tasks: ['tickers'] })).toMatch(/never runs the universe task/);
    expect(refusal({ tickers: [] })).toMatch(/empty/);
  });

  it('treats from/to as a backfill window', () => {
    const plan = planSync({ from: '2021-01-01' }, now);
    expect(plan.backfill).toBe(true);
    expect(plan.window).toMatchObject({ from: '2021-01-01', to: '2026-05-08' });
  });

  it('refuses bad options with a message naming the value', () => {
    expect(refusal({ tasks: ['quotes'] })).toMatch(/unknown task "quotes"/);
    expect(refusal({ days: -1 })).toMatch(/invalid days -1/);
    expect(refusal({ days: 1e12 })).toMatch(/invalid days 1000000000000/);
    expect(refusal({ days: 100_000 })).toMatch(/invalid days 100000: at most 20581 \(back to 1970-01-01\)/);
    expect(refusal({ from: '2026-02-30' })).toMatch(
      /invalid from "2026-02-30": must be a date in YYYY-MM-DD form/,
    );
    expect(refusal({ from: '2025-01-01', to: '2024-01-01' })).toMatch(
      /from 2025-01-01 is after to 2024-01-01/,
    );
    expect(refusal({ from: '2026-01-01', to: '2999-01-01' })).toMatch(
      /invalid to date 2999-01-01: after today/,
    );
    expect(refusal({ from: '1900-01-01' })).toMatch(/earlier than 1970-01-01/);
    expect(refusal({ to: '2026-01-01' })).toMatch(/`to` needs `from`/);
    expect(refusal({ mode: 'fast' as never })).toMatch(/invalid mode "fast"/);
    expect(refusal({ concurrency: 0 })).toMatch(/invalid concurrency 0/);
    expect(refusal({ failureThreshold: 2 })).toMatch(/invalid failureThreshold 2/);
    expect(refusal({ minTickers: 1.5 })).toMatch(/invalid minTickers 1.5/);
  });

  it('refuses tickers that look like SQL or paths', () => {
    expect(refusal({ tickers: ["AAPL'; DROP TABLE stock_prices;--", '../../etc/passwd'] })).toMatch(
      /invalid tickers: "AAPL'; DROP TABLE stock_prices;--", "..\/..\/etc\/passwd"/,
    );
  });

  it('takes one day as today and yesterday, and refuses zero days as the CLI and the Action do', () => {
    expect(planSync({ days: 1 }, now).window.to).toBe('2026-05-08');
    expect(refusal({ days: 0 })).toMatch(/invalid days 0: must be a whole number >= 1/);
  });
});

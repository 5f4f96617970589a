import { describe, expect, it } from 'vitest';
import { sessionsBetween } from '../calendar.js';
import { defaultRepairMaxRequests, planRequest, REPAIR_MAX_SESSIONS_PER_REQUEST } from './repair.js';

describe('the repair plan', () => {
  it('asks 10% of the active tickers a night by default, and at least one', () => {
    expect(defaultRepairMaxRequests(2_000)).toBe(200);
    expect(defaultRepairMaxRequests(1_999)).toBe(199);
    expect(defaultRepairMaxRequests(5)).toBe(1);
    expect(defaultRepairMaxRequests(0)).toBe(1);
  });

  it('merges a ticker gaps into one request from its first gap to its last, asking for the gap sessions only', () => {
    const { request, left } = planRequest('AAA', [
      { from: '2026-04-02', to: '2026-04-06', sessions: 2 },
      { from: '2026-04-20', to: '2026-04-20', sessions: 1 },
    ]);
    expect(request).toEqual({
      ticker: 'AAA',
      from: '2026-04-02',
      to: '2026-04-20',
      sessions: ['2026-04-02', '2026-04-06', '2026-04-20'],
    });
    expect(left).toBe(0);
  });

  it('caps a request at the sessions one history call serves and leaves the rest for the next night', () => {
    const old = sessionsBetween('2000-01-03', '2000-01-07');
    const { request, left } = planRequest('AAA', [
      { from: '2000-01-03', to: '2000-01-07', sessions: old.length },
      { from: '2026-04-20', to: '2026-04-21', sessions: 2 },
    ]);
    expect(request.from).toBe('2000-01-03');
    expect(sessionsBetween(request.from, request.to)).toHaveLength(REPAIR_MAX_SESSIONS_PER_REQUEST);
    expect(request.sessions).toEqual(old);
    expect(left).toBe(2);
  });
});

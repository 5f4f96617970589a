import { isNyseSession } from '@smartstock/fmp-sandbox';
import { describe, expect, it } from 'vitest';
import { addDays, isSession } from '../src/calendar.js';

describe('the NYSE calendar', () => {
  it("agrees with the sandbox's own calendar on every day from 2000 to 2035", () => {
    const disagreements: string[] = [];
    let sessions = 0;
    for (let d = '2000-01-01'; d <= '2035-12-31'; d = addDays(d, 1)) {
      const ours = isSession(d);
      if (ours) sessions++;
      if (ours !== isNyseSession(d)) disagreements.push(`${d}: ours ${ours}, sandbox ${isNyseSession(d)}`);
    }
    expect(disagreements).toEqual([]);
    expect(sessions).toBeGreaterThan(36 * 248);
  });
});

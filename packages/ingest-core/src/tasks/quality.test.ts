import { describe, expect, it } from 'vitest';
import { staleFromSession } from './quality.js';

describe('the stale check’s first session', () => {
  it('is the third-last closed session, counted on the NYSE calendar across a weekend and a holiday', () => {
    // Friday 2026-05-08 after the close: May 6, 7 and 8.
    expect(staleFromSession(new Date('2026-05-08T22:00:00Z'))).toBe('2026-05-06');
    // Monday 2026-07-06 before the close: Friday July 3 is a holiday (the 4th is a Saturday), so July 1, 2, 6
    // would be the last three once Monday closes; before it closes, June 30, July 1 and 2.
    expect(staleFromSession(new Date('2026-07-06T15:00:00Z'))).toBe('2026-06-30');
    expect(staleFromSession(new Date('2026-07-06T21:00:00Z'))).toBe('2026-07-01');
  });

  it('follows the number of sessions asked for', () => {
    expect(staleFromSession(new Date('2026-05-08T22:00:00Z'), 1)).toBe('2026-05-08');
    expect(staleFromSession(new Date('2026-05-08T22:00:00Z'), 10)).toBe('2026-04-27');
  });
});

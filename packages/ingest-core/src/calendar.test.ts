import { describe, expect, it } from 'vitest';
import {
  closeHour,
  easterSunday,
  explicitWindow,
  hasSessionClosed,
  holidayName,
  isEarlyClose,
  isSession,
  lastClosedSession,
  lastNDaysWindow,
  newYorkDate,
  nyseHolidays,
  parseIsoDate,
  previousSession,
  sessionsBetween,
} from './calendar.js';

describe('NYSE holidays', () => {
  it('lists the published 2024, 2025 and 2026 holidays exactly', () => {
    expect([...nyseHolidays(2024).keys()].sort()).toEqual([
      '2024-01-01',
      '2024-01-15',
      '2024-02-19',
      '2024-03-29',
      '2024-05-27',
      '2024-06-19',
      '2024-07-04',
      '2024-09-02',
      '2024-11-28',
      '2024-12-25',
    ]);
    expect([...nyseHolidays(2025).keys()].sort()).toEqual([
      '2025-01-01',
      '2025-01-09',
      '2025-01-20',
      '2025-02-17',
      '2025-04-18',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-11-27',
      '2025-12-25',
    ]);
    expect([...nyseHolidays(2026).keys()].sort()).toEqual([
      '2026-01-01',
      '2026-01-19',
      '2026-02-16',
      '2026-04-03',
      '2026-05-25',
      '2026-06-19',
      '2026-07-03',
      '2026-09-07',
      '2026-11-26',
      '2026-12-25',
    ]);
  });

  it('computes Easter Sunday for known years', () => {
    expect(easterSunday(2000)).toBe('2000-04-23');
    expect(easterSunday(2019)).toBe('2019-04-21');
    expect(easterSunday(2024)).toBe('2024-03-31');
    expect(easterSunday(2035)).toBe('2035-03-25');
  });

  it('observes Saturday holidays on Friday and Sunday holidays on Monday', () => {
    expect(holidayName('2021-12-24')).toBe('Christmas Day');
    expect(holidayName('2022-12-26')).toBe('Christmas Day');
    expect(holidayName('2021-07-05')).toBe('Independence Day');
    expect(holidayName('2022-06-20')).toBe('Juneteenth National Independence Day');
    expect(holidayName('2027-06-18')).toBe('Juneteenth National Independence Day');
    expect(holidayName('2023-01-02')).toBe("New Year's Day");
  });

  it('keeps Dec 31 a session when New Year falls on a Saturday', () => {
    expect(isSession('2021-12-31')).toBe(true);
    expect(isSession('2010-12-31')).toBe(true);
    expect(nyseHolidays(2022).has('2022-01-01')).toBe(false);
  });

  it('observes Juneteenth only from 2022', () => {
    expect(isSession('2021-06-18')).toBe(true);
    expect(isSession('2020-06-19')).toBe(true);
    expect(isSession('2023-06-19')).toBe(false);
  });

  it('closes on every special closure', () => {
    for (const d of [
      '2001-09-11',
      '2001-09-12',
      '2001-09-13',
      '2001-09-14',
      '2004-06-11',
      '2007-01-02',
      '2012-10-29',
      '2012-10-30',
      '2018-12-05',
      '2025-01-09',
    ]) {
      expect(isSession(d), d).toBe(false);
    }
    expect(isSession('2001-09-17')).toBe(true);
  });

  it('has no sessions on weekends', () => {
    expect(isSession('2024-06-08')).toBe(false);
    expect(isSession('2024-06-09')).toBe(false);
    expect(isSession('2024-06-10')).toBe(true);
  });

  it('counts 252 sessions in 2024 and 250 in 2025', () => {
    expect(sessionsBetween('2024-01-01', '2024-12-31')).toHaveLength(252);
    expect(sessionsBetween('2025-01-01', '2025-12-31')).toHaveLength(250);
  });
});

describe('early closes', () => {
  it('closes at 13:00 on Jul 3, the day after Thanksgiving and Dec 24', () => {
    for (const d of [
      '2024-07-03',
      '2024-11-29',
      '2024-12-24',
      '2025-07-03',
      '2025-11-28',
      '2025-12-24',
      '2026-12-24',
    ]) {
      expect(isEarlyClose(d), d).toBe(true);
      expect(closeHour(d)).toBe(13);
    }
  });

  it('has no early close when Jul 3 or Dec 24 is itself the holiday or a Friday', () => {
    expect(isEarlyClose('2026-07-02')).toBe(false);
    expect(isEarlyClose('2026-07-03')).toBe(false);
    expect(isEarlyClose('2021-12-24')).toBe(false);
    expect(closeHour('2024-07-05')).toBe(16);
    expect(closeHour('2024-07-04')).toBeNull();
  });
});

describe('New York time', () => {
  it('uses New York dates, not UTC dates', () => {
    expect(newYorkDate(new Date('2024-06-04T02:00:00Z'))).toBe('2024-06-03');
    expect(newYorkDate(new Date('2024-01-09T04:59:00Z'))).toBe('2024-01-08');
    expect(newYorkDate(new Date('2024-01-09T05:00:00Z'))).toBe('2024-01-09');
  });

  it('closes sessions at 16:00 New York in summer and in winter', () => {
    expect(hasSessionClosed('2024-03-11', new Date('2024-03-11T19:59:59Z'))).toBe(false);
    expect(hasSessionClosed('2024-03-11', new Date('2024-03-11T20:00:00Z'))).toBe(true);
    expect(hasSessionClosed('2024-01-08', new Date('2024-01-08T20:59:59Z'))).toBe(false);
    expect(hasSessionClosed('2024-01-08', new Date('2024-01-08T21:00:00Z'))).toBe(true);
  });

  it('closes early sessions at 13:00 New York', () => {
    expect(hasSessionClosed('2024-11-29', new Date('2024-11-29T17:59:59Z'))).toBe(false);
    expect(hasSessionClosed('2024-11-29', new Date('2024-11-29T18:00:00Z'))).toBe(true);
  });

  it('never reports a holiday or a future day as closed', () => {
    expect(hasSessionClosed('2024-07-04', new Date('2024-07-05T00:00:00Z'))).toBe(false);
    expect(hasSessionClosed('2024-07-05', new Date('2024-07-04T23:00:00Z'))).toBe(false);
  });
});

describe('the last N days window', () => {
  it('spans today - N .. today in New York with the closed sessions as expected bars', () => {
    const w = lastNDaysWindow(5, new Date('2024-06-07T22:00:00Z'));
    expect(w).toEqual({
      from: '2024-06-02',
      to: '2024-06-07',
      closedSessions: ['2024-06-03', '2024-06-04', '2024-06-05', '2024-06-06', '2024-06-07'],
    });
  });

  it('leaves out the session still trading at the clock instant', () => {
    const w = lastNDaysWindow(5, new Date('2024-06-07T15:00:00Z'));
    expect(w.closedSessions).toEqual(['2024-06-03', '2024-06-04', '2024-06-05', '2024-06-06']);
  });

  it('takes "today" from New York when UTC has already moved on', () => {
    const w = lastNDaysWindow(0, new Date('2024-06-08T01:00:00Z'));
    expect(w).toEqual({ from: '2024-06-07', to: '2024-06-07', closedSessions: ['2024-06-07'] });
  });

  it('holds no session over a holiday weekend window', () => {
    expect(lastNDaysWindow(2, new Date('2024-07-07T12:00:00Z')).closedSessions).toEqual(['2024-07-05']);
    expect(lastNDaysWindow(1, new Date('2024-03-31T12:00:00Z')).closedSessions).toEqual([]);
  });

  it('refuses a negative or fractional day count and a reversed window', () => {
    const at = new Date('2024-02-05T12:00:00Z');
    expect(() => lastNDaysWindow(-1, at)).toThrow(/invalid days -1/);
    expect(() => lastNDaysWindow(1.5, at)).toThrow(/invalid days/);
    expect(() => explicitWindow('2024-02-02', '2024-02-01', at)).toThrow(/after/);
  });
});

describe('dates', () => {
  it('rejects malformed and impossible dates with the value in the message', () => {
    expect(() => parseIsoDate('2024-02-30')).toThrow(/2024-02-30/);
    expect(() => parseIsoDate('20240101')).toThrow(/expected YYYY-MM-DD/);
    expect(() => isSession('yesterday')).toThrow(/yesterday/);
  });

  it('finds the previous session across a holiday', () => {
    expect(previousSession('2024-07-05')).toBe('2024-07-03');
    expect(previousSession('2024-04-01')).toBe('2024-03-28');
  });

  it('takes the last closed session: today after its close, else the session before', () => {
    // Friday 2024-07-05: closes 16:00 New York (20:00 UTC in summer).
    expect(lastClosedSession(new Date('2024-07-05T19:59:00Z'))).toBe('2024-07-03');
    expect(lastClosedSession(new Date('2024-07-05T20:00:00Z'))).toBe('2024-07-05');
    // On Saturday, and on Monday before its close, the last closed session is Friday.
    expect(lastClosedSession(new Date('2024-07-06T15:00:00Z'))).toBe('2024-07-05');
    expect(lastClosedSession(new Date('2024-07-08T13:00:00Z'))).toBe('2024-07-05');
    // The day after Thanksgiving closes early, at 13:00 New York (18:00 UTC in winter).
    expect(lastClosedSession(new Date('2024-11-29T18:00:00Z'))).toBe('2024-11-29');
  });
});

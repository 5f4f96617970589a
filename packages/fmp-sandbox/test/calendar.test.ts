import { describe, expect, it } from 'vitest';
import {
  isNyseEarlyClose,
  isNyseSession,
  nyseHolidayName,
  nyseSessionClose,
  nyseSessions,
} from '../src/index.js';

describe('the NYSE calendar', () => {
  it('closes on weekends and on every regular holiday of 2025', () => {
    for (const date of ['2025-05-03', '2025-05-04']) expect(isNyseSession(date)).toBe(false);
    const holidays2025 = [
      '2025-01-01',
      '2025-01-20',
      '2025-02-17',
      '2025-04-18',
      '2025-05-26',
      '2025-06-19',
      '2025-07-04',
      '2025-09-01',
      '2025-11-27',
      '2025-12-25',
    ];
    for (const date of holidays2025) expect(isNyseSession(date), date).toBe(false);
    // 252 sessions in 2025 minus the Carter closure = 250, as the NYSE published.
    expect(nyseSessions('2025-01-01', '2025-12-31')).toHaveLength(250);
  });

  it('observes Good Friday, and Juneteenth only from 2022', () => {
    expect(nyseHolidayName('2024-03-29')).toBe('Good Friday');
    expect(nyseHolidayName('2016-03-25')).toBe('Good Friday');
    expect(isNyseSession('2021-06-18')).toBe(true);
    expect(isNyseSession('2021-06-21')).toBe(true);
    expect(isNyseSession('2022-06-20')).toBe(false); // 2022-06-19 fell on a Sunday
    expect(isNyseSession('2027-06-18')).toBe(false); // 2027-06-19 falls on a Saturday
  });

  it('moves Saturday holidays to Friday and Sunday ones to Monday, except New Year on a Saturday', () => {
    expect(isNyseSession('2020-07-03')).toBe(false);
    expect(isNyseSession('2021-07-05')).toBe(false);
    expect(isNyseSession('2021-12-24')).toBe(false);
    expect(isNyseSession('2022-12-26')).toBe(false);
    expect(isNyseSession('2023-01-02')).toBe(false);
    expect(isNyseSession('2021-12-31')).toBe(true); // New Year 2022 was a Saturday: no Friday holiday
    expect(isNyseSession('2011-01-01')).toBe(false); // the Saturday itself
  });

  it('knows the special closures', () => {
    for (const date of [
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
      expect(isNyseSession(date), date).toBe(false);
    }
    expect(isNyseSession('2001-09-17')).toBe(true);
    expect(isNyseSession('2012-10-31')).toBe(true);
  });

  it('closes at 13:00 New York time before Independence Day, after Thanksgiving and on Christmas Eve', () => {
    expect(nyseSessionClose('2025-07-03')?.toISOString()).toBe('2025-07-03T17:00:00.000Z');
    expect(nyseSessionClose('2025-11-28')?.toISOString()).toBe('2025-11-28T18:00:00.000Z');
    expect(nyseSessionClose('2025-12-24')?.toISOString()).toBe('2025-12-24T18:00:00.000Z');
    expect(isNyseEarlyClose('2019-07-03')).toBe(true); // a Wednesday, half day since 2013
    expect(isNyseEarlyClose('2002-07-03')).toBe(false); // a Wednesday before 2013: the Friday was the half day
    expect(isNyseEarlyClose('2002-07-05')).toBe(true);
    expect(isNyseEarlyClose('2013-07-05')).toBe(false);
    expect(isNyseEarlyClose('2026-07-02')).toBe(false); // July 3, 2026 is the observed holiday itself
    expect(isNyseEarlyClose('2022-07-01')).toBe(false);
    expect(isNyseEarlyClose('2022-12-23')).toBe(false); // Christmas Eve on a Saturday: no half day
    expect(isNyseEarlyClose('2003-12-26')).toBe(true);
  });

  it('puts the regular close at 16:00 New York time on both sides of a DST change', () => {
    expect(nyseSessionClose('2025-03-07')?.toISOString()).toBe('2025-03-07T21:00:00.000Z'); // EST
    expect(nyseSessionClose('2025-03-10')?.toISOString()).toBe('2025-03-10T20:00:00.000Z'); // EDT
    expect(nyseSessionClose('2025-10-31')?.toISOString()).toBe('2025-10-31T20:00:00.000Z');
    expect(nyseSessionClose('2025-11-03')?.toISOString()).toBe('2025-11-03T21:00:00.000Z');
    expect(nyseSessionClose('2025-12-25')).toBeNull();
  });

  it('rejects dates that are not dates, naming the input', () => {
    expect(() => isNyseSession('2025-02-30')).toThrow(/"2025-02-30"/);
    expect(() => isNyseSession('yesterday')).toThrow(/YYYY-MM-DD/);
  });

  it('counts the published number of sessions for recent years', () => {
    expect(nyseSessions('2023-01-01', '2023-12-31')).toHaveLength(250);
    expect(nyseSessions('2024-01-01', '2024-12-31')).toHaveLength(252);
    expect(nyseSessions('2019-01-01', '2019-12-31')).toHaveLength(252);
  });
});

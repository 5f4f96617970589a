import { dayNumber, isoFromDay, newYorkTime, weekdayOf } from './dates.js';

/**
 * The sandbox's own NYSE calendar (it shares nothing with ingest-core's, so a test comparing the two can catch
 * a misreading in either). Rules follow the NYSE's published closings; years before 1995 use the modern rules.
 */

const SUN = 0;
const MON = 1;
const TUE = 2;
const WED = 3;
const THU = 4;
const FRI = 5;
const SAT = 6;

/** Unscheduled full-day closures (national days of mourning, weather, 9/11). */
const SPECIAL_CLOSURES: Record<string, string> = {
  '1985-09-27': 'Hurricane Gloria',
  '1994-04-27': 'Funeral of President Nixon',
  '2001-09-11': 'September 11 attacks',
  '2001-09-12': 'September 11 attacks',
  '2001-09-13': 'September 11 attacks',
  '2001-09-14': 'September 11 attacks',
  '2004-06-11': 'Funeral of President Reagan',
  '2007-01-02': 'Funeral of President Ford',
  '2012-10-29': 'Hurricane Sandy',
  '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'Funeral of President George H. W. Bush',
  '2025-01-09': 'Funeral of President Carter',
};

/** One-off 13:00 closes that no recurring rule produces. */
const SPECIAL_EARLY_CLOSES = new Set(['1996-12-24', '1997-12-24', '1998-12-24', '1997-12-26', '2003-12-26']);

function ymd(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / 86_400_000;
}

function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = ymd(year, month, 1);
  return first + ((weekday - weekdayOf(first) + 7) % 7) + (n - 1) * 7;
}

function lastWeekday(year: number, month: number, weekday: number): number {
  const last = ymd(year, month + 1, 1) - 1;
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** Saturday holidays move to Friday, Sunday holidays to Monday. */
function nearestWorkday(day: number): number {
  const w = weekdayOf(day);
  if (w === SAT) return day - 1;
  if (w === SUN) return day + 1;
  return day;
}

function easterSunday(year: number): number {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return ymd(year, month, day);
}

interface YearTable {
  holidays: Map<number, string>;
  earlyCloses: Set<number>;
}

const tables = new Map<number, YearTable>();

function yearTable(year: number): YearTable {
  const cached = tables.get(year);
  if (cached) return cached;
  const holidays = new Map<number, string>();
  const newYear = ymd(year, 1, 1);
  // New Year's Day on a Saturday is not observed on the Friday before (NYSE rule 7.2).
  if (weekdayOf(newYear) === SUN) holidays.set(newYear + 1, "New Year's Day");
  else if (weekdayOf(newYear) !== SAT) holidays.set(newYear, "New Year's Day");
  if (year >= 1998) holidays.set(nthWeekday(year, 1, MON, 3), 'Martin Luther King Jr. Day');
  holidays.set(nthWeekday(year, 2, MON, 3), "Washington's Birthday");
  holidays.set(easterSunday(year) - 2, 'Good Friday');
  holidays.set(lastWeekday(year, 5, MON), 'Memorial Day');
  if (year >= 2022) holidays.set(nearestWorkday(ymd(year, 6, 19)), 'Juneteenth');
  holidays.set(nearestWorkday(ymd(year, 7, 4)), 'Independence Day');
  holidays.set(nthWeekday(year, 9, MON, 1), 'Labor Day');
  const thanksgiving = nthWeekday(year, 11, THU, 4);
  holidays.set(thanksgiving, 'Thanksgiving Day');
  holidays.set(nearestWorkday(ymd(year, 12, 25)), 'Christmas Day');
  for (const [iso, name] of Object.entries(SPECIAL_CLOSURES)) {
    if (iso.startsWith(`${year}-`)) holidays.set(dayNumber(iso), name);
  }

  const earlyCloses = new Set<number>();
  const july3 = ymd(year, 7, 3);
  const w3 = weekdayOf(july3);
  if (year >= 1995 && (w3 === MON || w3 === TUE || w3 === THU)) earlyCloses.add(july3);
  // A Wednesday July 3 became a half day in 2013; before that the Friday after a Thursday July 4 was.
  if (year >= 2013 && w3 === WED) earlyCloses.add(july3);
  const july5 = ymd(year, 7, 5);
  if (year >= 1996 && year <= 2012 && weekdayOf(july5) === FRI) earlyCloses.add(july5);
  if (year >= 1993) earlyCloses.add(thanksgiving + 1);
  const dec24 = ymd(year, 12, 24);
  const w24 = weekdayOf(dec24);
  if (year >= 1999 && w24 >= MON && w24 <= THU) earlyCloses.add(dec24);
  for (const iso of SPECIAL_EARLY_CLOSES) if (iso.startsWith(`${year}-`)) earlyCloses.add(dayNumber(iso));
  for (const day of holidays.keys()) earlyCloses.delete(day);

  const table = { holidays, earlyCloses };
  tables.set(year, table);
  return table;
}

function yearOfDay(day: number): number {
  return new Date(day * 86_400_000).getUTCFullYear();
}

function sessionDay(day: number): boolean {
  const w = weekdayOf(day);
  if (w === SAT || w === SUN) return false;
  return !yearTable(yearOfDay(day)).holidays.has(day);
}

/** True when the NYSE holds a regular or shortened session on `date` (YYYY-MM-DD). */
export function isNyseSession(date: string): boolean {
  return sessionDay(dayNumber(date));
}

/** The holiday's name when `date` is a weekday the NYSE is closed, else null. */
export function nyseHolidayName(date: string): string | null {
  const day = dayNumber(date);
  return yearTable(yearOfDay(day)).holidays.get(day) ?? null;
}

/** True when the session on `date` closes at 13:00 New York time. */
export function isNyseEarlyClose(date: string): boolean {
  const day = dayNumber(date);
  return sessionDay(day) && yearTable(yearOfDay(day)).earlyCloses.has(day);
}

/** The instant the session on `date` closes (16:00 or 13:00 New York time), or null on a non-session day. */
export function nyseSessionClose(date: string): Date | null {
  const day = dayNumber(date);
  if (!sessionDay(day)) return null;
  return newYorkTime(date, yearTable(yearOfDay(day)).earlyCloses.has(day) ? 13 : 16);
}

/** Session dates in [from, to], oldest first. */
export function nyseSessions(from: string, to: string): string[] {
  const out: string[] = [];
  const end = dayNumber(to, 'to');
  for (let day = dayNumber(from, 'from'); day <= end; day++) if (sessionDay(day)) out.push(isoFromDay(day));
  return out;
}

/** Internal fast path for the market generator (day numbers, no string parsing). */
export function isSessionDay(day: number): boolean {
  return sessionDay(day);
}

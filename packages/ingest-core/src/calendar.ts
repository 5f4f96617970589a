/**
 * The NYSE calendar: which days are sessions, when each closes, and "the last N days" window.
 *
 * Dates are plain `YYYY-MM-DD` strings in New York time. Arithmetic on them uses UTC midnight so no
 * local time zone or DST change can shift a day.
 */

export const NEW_YORK_TIME_ZONE = 'America/New_York';
/** Regular close, New York wall-clock hour. */
export const REGULAR_CLOSE_HOUR = 16;
/** Early close (Jul 3, the day after Thanksgiving, Dec 24), New York wall-clock hour. */
export const EARLY_CLOSE_HOUR = 13;

/** Unscheduled full-day closures (national mourning, 9/11, Hurricane Sandy). */
export const SPECIAL_CLOSURES: Readonly<Record<string, string>> = Object.freeze({
  '2001-09-11': 'September 11 attacks',
  '2001-09-12': 'September 11 attacks',
  '2001-09-13': 'September 11 attacks',
  '2001-09-14': 'September 11 attacks',
  '2004-06-11': 'National Day of Mourning for Ronald Reagan',
  '2007-01-02': 'National Day of Mourning for Gerald Ford',
  '2012-10-29': 'Hurricane Sandy',
  '2012-10-30': 'Hurricane Sandy',
  '2018-12-05': 'National Day of Mourning for George H. W. Bush',
  '2025-01-09': 'National Day of Mourning for Jimmy Carter',
});

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

/** Parses `YYYY-MM-DD` strictly (rejects 2025-02-30); returns UTC midnight in ms. */
export function parseIsoDate(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`invalid date "${date}": expected YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`invalid date "${date}": no such calendar day`);
  }
  return ms;
}

export function isValidIsoDate(date: string): boolean {
  try {
    parseIsoDate(date);
    return true;
  } catch {
    return false;
  }
}

function fromMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function ymd(y: number, month: number, day: number): string {
  return fromMs(Date.UTC(y, month - 1, day));
}

/**
 * Calendar arithmetic on YYYY-MM-DD dates (not sessions): `addDays('2024-03-01', -1)` is `'2024-02-29'`. Use
 * `previousSession`/`sessionsBetween` for trading days.
 */
export function addDays(date: string, days: number): string {
  return fromMs(parseIsoDate(date) + days * DAY_MS);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: string): number {
  return new Date(parseIsoDate(date)).getUTCDay();
}

/** The n-th (1-based) given weekday of a month; n = -1 for the last one. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  if (n > 0) {
    const firstDow = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
    const day = 1 + ((weekday - firstDow + 7) % 7) + (n - 1) * 7;
    return ymd(year, month, day);
  }
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const lastDow = new Date(Date.UTC(year, month - 1, lastDay)).getUTCDay();
  return ymd(year, month, lastDay - ((lastDow - weekday + 7) % 7));
}

/** Western (Gregorian) Easter Sunday, anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
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

/**
 * NYSE observance of a fixed-date holiday: Saturday moves to Friday, Sunday to Monday. New Year's Day is
 * the exception (NYSE Rule 7.2): when it falls on a Saturday the preceding Friday (Dec 31, the end of an
 * accounting year) stays a session, so nothing is observed.
 */
function observed(date: string, saturdayToFriday = true): string | null {
  const dow = dayOfWeek(date);
  if (dow === 6) return saturdayToFriday ? addDays(date, -1) : null;
  if (dow === 0) return addDays(date, 1);
  return date;
}

const holidayCache = new Map<number, ReadonlyMap<string, string>>();

/** Full-day NYSE holidays of a year (regular rules plus special closures), date → name. */
export function nyseHolidays(year: number): ReadonlyMap<string, string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const out = new Map<string, string>();
  const add = (date: string | null, name: string) => {
    if (date?.startsWith(`${year}-`)) out.set(date, name);
  };
  add(observed(ymd(year, 1, 1), false), "New Year's Day");
  add(nthWeekday(year, 1, 1, 3), 'Martin Luther King Jr. Day');
  add(nthWeekday(year, 2, 1, 3), "Washington's Birthday");
  add(addDays(easterSunday(year), -2), 'Good Friday');
  add(nthWeekday(year, 5, 1, -1), 'Memorial Day');
  if (year >= 2022) add(observed(ymd(year, 6, 19)), 'Juneteenth National Independence Day');
  add(observed(ymd(year, 7, 4)), 'Independence Day');
  add(nthWeekday(year, 9, 1, 1), 'Labor Day');
  add(nthWeekday(year, 11, 4, 4), 'Thanksgiving Day');
  add(observed(ymd(year, 12, 25)), 'Christmas Day');
  for (const [date, name] of Object.entries(SPECIAL_CLOSURES)) add(date, name);
  holidayCache.set(year, out);
  return out;
}

/** The holiday's name when `date` is a weekday the exchange is closed, else null. */
export function holidayName(date: string): string | null {
  const year = Number(date.slice(0, 4));
  parseIsoDate(date);
  return nyseHolidays(year).get(date) ?? null;
}

/** True when NYSE holds a regular trading session on `date` (a New York calendar day). */
export function isSession(date: string): boolean {
  const dow = dayOfWeek(date);
  if (dow === 0 || dow === 6) return false;
  return holidayName(date) === null;
}

/**
 * Early closes at 13:00 under NYSE's current rules: Jul 3 when it is a Monday–Thursday session (when Jul 4
 * is a Saturday, Jul 3 is the holiday itself), the day after Thanksgiving, and Dec 24 when it is a
 * Monday–Thursday session. Applied uniformly to every year (before 2013 the Jul 3 rule varied).
 */
export function isEarlyClose(date: string): boolean {
  if (!isSession(date)) return false;
  const md = date.slice(5);
  const dow = dayOfWeek(date);
  if (md === '07-03' || md === '12-24') return dow >= 1 && dow <= 4;
  const year = Number(date.slice(0, 4));
  return date === addDays(nthWeekday(year, 11, 4, 4), 1);
}

/** The session's closing hour in New York (13 or 16), or null when `date` is not a session. */
export function closeHour(date: string): number | null {
  if (!isSession(date)) return null;
  return isEarlyClose(date) ? EARLY_CLOSE_HOUR : REGULAR_CLOSE_HOUR;
}

const nyFormatter = new Intl.DateTimeFormat('en-US', {
  timeZone: NEW_YORK_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** New York wall-clock date and time of an instant (DST-aware through Intl's tz database). */
export function newYorkTime(instant: Date): { date: string; hour: number; minute: number; second: number } {
  const parts: Record<string, string> = {};
  for (const p of nyFormatter.formatToParts(instant)) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

/** Today's date in New York at `instant`. */
export function newYorkDate(instant: Date): string {
  return newYorkTime(instant).date;
}

/** True when the session on `date` has closed at `instant` (false for non-sessions). */
export function hasSessionClosed(date: string, instant: Date): boolean {
  const hour = closeHour(date);
  if (hour === null) return false;
  const now = newYorkTime(instant);
  if (now.date !== date) return now.date > date;
  return now.hour >= hour;
}

/** Sessions in [from, to], both included, ascending. */
export function sessionsBetween(from: string, to: string): string[] {
  const start = parseIsoDate(from);
  const end = parseIsoDate(to);
  const out: string[] = [];
  for (let ms = start; ms <= end; ms += DAY_MS) {
    const date = fromMs(ms);
    if (isSession(date)) out.push(date);
  }
  return out;
}

/** The latest session strictly before `date`. */
export function previousSession(date: string): string {
  let d = addDays(date, -1);
  while (!isSession(d)) d = addDays(d, -1);
  return d;
}

/** The latest session that has closed at `instant` (today's once it has closed, else an earlier one). */
export function lastClosedSession(instant: Date): string {
  const today = newYorkDate(instant);
  return hasSessionClosed(today, instant) ? today : previousSession(today);
}

export interface SyncWindow {
  from: string;
  to: string;
  /** Sessions in the window that have closed at the instant the window was computed: the bars expected. */
  closedSessions: string[];
}

/**
 * "The last N days": the calendar window from today − N to today in New York, both ends included. The bars
 * expected in it are its sessions that have closed at `instant`.
 */
export function lastNDaysWindow(days: number, instant: Date): SyncWindow {
  if (!Number.isInteger(days) || days < 0) {
    throw new RangeError(`invalid days ${days}: expected a whole number of days >= 0`);
  }
  const to = newYorkDate(instant);
  const from = addDays(to, -days);
  return explicitWindow(from, to, instant);
}

/** An explicit from/to window, both ends included; `closedSessions` are those closed at `instant`. */
export function explicitWindow(from: string, to: string, instant: Date): SyncWindow {
  if (parseIsoDate(from) > parseIsoDate(to)) {
    throw new RangeError(`invalid window: from ${from} is after to ${to}`);
  }
  const closedSessions = sessionsBetween(from, to).filter((d) => hasSessionClosed(d, instant));
  return { from, to, closedSessions };
}

import { SandboxError } from './errors.js';

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since 1970-01-01 for a strict `YYYY-MM-DD` date; throws a SandboxError naming `what` otherwise. */
export function dayNumber(date: string, what = 'date'): number {
  const m = ISO_DATE.exec(date);
  if (!m)
    throw new SandboxError(
      'INVALID_DATE',
      `${what} must be a date written YYYY-MM-DD, got ${JSON.stringify(date)}`,
    );
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new SandboxError('INVALID_DATE', `${what} is not a calendar date: ${JSON.stringify(date)}`);
  }
  return ms / DAY_MS;
}

export function isoFromDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function isValidIsoDate(date: string): boolean {
  try {
    dayNumber(date);
    return true;
  } catch {
    return false;
  }
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

const nyParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

function newYorkFields(instant: Date): {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
} {
  const f: Record<string, number> = {};
  for (const p of nyParts.formatToParts(instant)) if (p.type !== 'literal') f[p.type] = Number(p.value);
  return {
    y: f.year ?? 0,
    mo: f.month ?? 0,
    d: f.day ?? 0,
    h: f.hour ?? 0,
    mi: f.minute ?? 0,
    s: f.second ?? 0,
  };
}

/** The New York calendar date of an instant. */
export function newYorkDate(instant: Date): string {
  const f = newYorkFields(instant);
  return `${String(f.y).padStart(4, '0')}-${String(f.mo).padStart(2, '0')}-${String(f.d).padStart(2, '0')}`;
}

/**
 * The UTC instant of a wall-clock time in New York on `date`. Intl supplies the offset (EST or EDT) so that
 * DST transitions follow the tz database rather than a hard-coded rule.
 */
export function newYorkTime(date: string, hour: number, minute = 0): Date {
  const day = dayNumber(date);
  const wanted = day * DAY_MS + (hour * 60 + minute) * 60_000;
  // Start from UTC-5 and correct by the offset Intl reports at that instant (two rounds settle DST edges).
  let guess = wanted + 5 * 3_600_000;
  for (let i = 0; i < 2; i++) {
    const f = newYorkFields(new Date(guess));
    const shown = Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s);
    guess += wanted - shown;
  }
  return new Date(guess);
}

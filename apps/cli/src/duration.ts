import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `26h`, `90m`, `2d`, `45s` or `1.5h` into milliseconds. A bare number is in `bareUnit` (hours). */
export function parseDuration(
  value: string,
  origin = '--max-age',
  bareUnit: 's' | 'm' | 'h' | 'd' = 'h',
): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(value);
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !(amount > 0)) {
    throw new UsageError(`${origin} must be a positive duration such as 26h, 90m or 2d (got "${value}")`);
  }
  const unit = (match[2] || bareUnit).toLowerCase();
  return Math.round(amount * (UNIT_MS[unit] ?? UNIT_MS.h!));
}

/** 3725 s → `1h 2m`, 75 s → `1m 15s`, 4.2 s → `4.2s`: short enough for a table cell. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}

export function formatAge(ms: number): string {
  return formatSeconds(ms / 1000);
}

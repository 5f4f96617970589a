import { DatabaseError } from './errors.js';

// Upper-case letters and digits, with '.', '-' or '^' as FMP spells share classes and indices (BRK-B, BF.B,
// ^RUT); at most 20 characters (the column is VARCHAR(20)). Rules out SQL, paths and whitespace.
const TICKER = /^[A-Z0-9^][A-Z0-9.\-^]{0,19}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * True for a ticker the writers accept: upper-case letters, digits, `.`, `-`, `^`, at most 20 characters (a
 * column-safe shape, not a listing check).
 */
export function isValidTicker(value: unknown): value is string {
  return typeof value === 'string' && TICKER.test(value);
}

/**
 * True for a real calendar date written YYYY-MM-DD (`2023-02-29` is false); the writers' check, for validating
 * CLI input the same way.
 */
export function isValidDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1900 && year <= 2999 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export interface RowContext {
  what: string;
  index: number;
  ticker?: unknown | undefined;
  date?: unknown | undefined;
}

export function invalidRow(
  context: RowContext,
  field: string,
  problem: string,
  value: unknown,
): DatabaseError {
  const where = [
    typeof context.ticker === 'string' && context.ticker.length <= 40
      ? `ticker ${JSON.stringify(context.ticker)}`
      : null,
    typeof context.date === 'string' && context.date.length <= 40 ? `date ${context.date}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : String(value);
  return new DatabaseError(
    'INVALID_ROW',
    `${context.what} row ${context.index}${where ? ` (${where})` : ''}: ${field} ${problem} (got ${shown}); nothing was written`,
  );
}

export function checkTicker(context: RowContext, value: unknown): string {
  if (!isValidTicker(value)) {
    throw invalidRow(context, 'ticker', 'must be 1-20 upper-case letters, digits, ".", "-" or "^"', value);
  }
  return value;
}

export function checkDate(context: RowContext, field: string, value: unknown): string {
  if (!isValidDate(value)) throw invalidRow(context, field, 'must be a calendar date YYYY-MM-DD', value);
  return value;
}

export function checkNumber(context: RowContext, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidRow(context, field, 'must be a finite number', value);
  }
  return value;
}

export function checkNullableNumber(context: RowContext, field: string, value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return checkNumber(context, field, value);
}

export function checkVolume(context: RowContext, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidRow(context, 'volume', 'must be a non-negative integer', value);
  }
  return value;
}

export function checkSource(context: RowContext, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 32 || /[\u0000-\u001f]/.test(value)) {
    throw invalidRow(context, 'source', 'must be 1-32 printable characters', value);
  }
  return value;
}

export function checkNullableText(
  context: RowContext,
  field: string,
  value: unknown,
  max: number,
): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value.length > max) {
    throw invalidRow(context, field, `must be text of at most ${max} characters or null`, value);
  }
  return value;
}

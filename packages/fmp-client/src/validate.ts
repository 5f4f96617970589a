import { z } from 'zod';
import type { DailyBar, DcfValue, InvalidRow, StockListEntry, SymbolChange, Validated } from './types.js';

function describe(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

// CSV values arrive as strings and JSON values as numbers; both normalise to numbers here.
function toNumberLike(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'null') return undefined;
  const parsed = Number(trimmed);
  return Number.isNaN(parsed) ? value : parsed;
}

const numberError = {
  error: (issue: { input?: unknown }) =>
    issue.input === undefined || issue.input === null
      ? 'is missing'
      : `is not a number (${describe(issue.input)})`,
};

const requiredNumber = z.preprocess(toNumberLike, z.number(numberError));
const nonNegativeNumber = z.preprocess(
  toNumberLike,
  z.number(numberError).refine((v) => v >= 0, { error: (issue) => `is negative (${describe(issue.input)})` }),
);
const optionalNumber = z.preprocess(toNumberLike, z.number(numberError).nullish());

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

export function isIsoDate(value: string): boolean {
  const match = DATE_RE.exec(value);
  if (!match || value.length !== 10) return false;
  return isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]));
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

const isoDate = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim() : v),
  z
    .string({
      error: (issue) => (issue.input == null ? 'is missing' : `is not a date (${describe(issue.input)})`),
    })
    .transform((value, ctx) => {
      const match = DATE_RE.exec(value);
      if (!match || !isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
        ctx.addIssue({ code: 'custom', message: `is not a date (${describe(value)})` });
        return z.NEVER;
      }
      return value.slice(0, 10);
    }),
);

const symbol = z
  .string({
    error: (issue) => (issue.input == null ? 'is missing' : `is not a symbol (${describe(issue.input)})`),
  })
  .trim()
  .min(1, { error: 'is empty' })
  .transform((s) => s.toUpperCase());

const barSchema = z
  .object({
    symbol,
    date: isoDate,
    open: nonNegativeNumber,
    high: nonNegativeNumber,
    low: nonNegativeNumber,
    close: nonNegativeNumber,
    volume: nonNegativeNumber,
    vwap: optionalNumber,
    change: optionalNumber,
    changePercent: optionalNumber,
  })
  .superRefine((bar, ctx) => {
    if (bar.high < bar.low) {
      ctx.addIssue({ code: 'custom', path: [], message: `high (${bar.high}) is below low (${bar.low})` });
    }
  });

const dcfSchema = z.object({
  symbol,
  date: isoDate,
  dcf: requiredNumber,
  stockPrice: optionalNumber,
});

const stockListSchema = z.object({
  symbol,
  companyName: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null),
    z.string().nullable(),
  ),
});

const symbolChangeSchema = z
  .object({
    date: isoDate,
    companyName: z.preprocess(
      (v) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null),
      z.string().nullable(),
    ),
    oldSymbol: symbol,
    newSymbol: symbol,
  })
  .superRefine((change, ctx) => {
    if (change.oldSymbol === change.newSymbol) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `oldSymbol and newSymbol are both ${change.oldSymbol}`,
      });
    }
  });

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/**
 * FMP's definitions on `/stable/historical-price-eod/full` (checked on every row of the real recording):
 * vwap = (open + high + low + close) / 4, change = close - open, changePercent = change / open * 100.
 * FMP prints changePercent with 5 decimals; vwap and change are rounded only to drop binary-float noise.
 */
export function deriveBarFields(bar: { open: number; high: number; low: number; close: number }): {
  vwap: number;
  change: number;
  changePercent: number | null;
} {
  const change = bar.close - bar.open;
  return {
    vwap: round((bar.open + bar.high + bar.low + bar.close) / 4, 8),
    change: round(change, 8),
    changePercent: bar.open === 0 ? null : round((change / bar.open) * 100, 5),
  };
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path} ${issue.message}` : issue.message;
    })
    .join('; ');
}

function identify(raw: unknown): { symbol?: string; date?: string } {
  if (raw === null || typeof raw !== 'object') return {};
  const row = raw as Record<string, unknown>;
  const out: { symbol?: string; date?: string } = {};
  const named = typeof row.symbol === 'string' ? row.symbol : row.newSymbol;
  if (typeof named === 'string' && named.trim() !== '') out.symbol = named.trim().toUpperCase();
  if (typeof row.date === 'string' && row.date.trim() !== '') out.date = row.date.trim().slice(0, 10);
  return out;
}

function validateEach<S extends z.ZodType, T>(
  rows: readonly unknown[],
  schema: S,
  prepare: (row: Record<string, unknown>) => Record<string, unknown>,
  finish: (parsed: z.output<S>) => T,
  preInvalid: ReadonlyMap<number, string> = new Map(),
): Validated<T> {
  const out: Validated<T> = { rows: [], invalid: [] };
  rows.forEach((raw, index) => {
    const early = preInvalid.get(index);
    if (early !== undefined) {
      out.invalid.push({ index, ...identify(raw), reason: early });
      return;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      out.invalid.push({ index, reason: `row is not an object (${describe(raw)})` });
      return;
    }
    const result = schema.safeParse(prepare(raw as Record<string, unknown>));
    if (result.success) out.rows.push(finish(result.data));
    else out.invalid.push({ index, ...identify(raw), reason: formatIssues(result.error) });
  });
  return out;
}

function finishBar(bar: z.output<typeof barSchema>): DailyBar {
  const derived = deriveBarFields(bar);
  return {
    symbol: bar.symbol,
    date: bar.date,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    // FMP sends these on /full; when a row lacks one it is derived the same way FMP computes it.
    vwap: bar.vwap ?? derived.vwap,
    change: bar.change ?? derived.change,
    changePercent: bar.changePercent ?? derived.changePercent,
  };
}

/** Rows of `/historical-price-eod/full` (JSON). A row without `symbol` takes the requested one. */
export function validateDailyBars(rows: readonly unknown[], requestedSymbol?: string): Validated<DailyBar> {
  return validateEach(
    rows,
    barSchema,
    (row) => (row.symbol === undefined && requestedSymbol ? { ...row, symbol: requestedSymbol } : row),
    finishBar,
  );
}

/** Rows of `/eod-bulk` (CSV objects, string values): FMP's adjClose is dropped, vwap/change derived. */
export function validateBulkBars(
  rows: readonly unknown[],
  preInvalid?: ReadonlyMap<number, string>,
): Validated<DailyBar> {
  return validateEach(
    rows,
    barSchema,
    ({ vwap: _v, change: _c, changePercent: _p, ...row }) => row,
    finishBar,
    preInvalid,
  );
}

/** Rows of `/discounted-cash-flow` (JSON) and `/dcf-bulk` (CSV). The price key really is "Stock Price". */
export function validateDcfRows(
  rows: readonly unknown[],
  preInvalid?: ReadonlyMap<number, string>,
): Validated<DcfValue> {
  return validateEach(
    rows,
    dcfSchema,
    (row) => ({
      symbol: row.symbol,
      date: row.date,
      dcf: row.dcf,
      stockPrice: row['Stock Price'] !== undefined ? row['Stock Price'] : row.stockPrice,
    }),
    (dcf): DcfValue => ({
      symbol: dcf.symbol,
      date: dcf.date,
      dcf: dcf.dcf,
      stockPrice: dcf.stockPrice ?? null,
    }),
    preInvalid,
  );
}

export function validateStockList(rows: readonly unknown[]): Validated<StockListEntry> {
  return validateEach(
    rows,
    stockListSchema,
    (row) => row,
    (entry): StockListEntry => ({ symbol: entry.symbol, companyName: entry.companyName }),
  );
}

/** Rows of `/symbol-change` (JSON): `{ date, companyName, oldSymbol, newSymbol }`, symbols upper-cased. */
export function validateSymbolChanges(rows: readonly unknown[]): Validated<SymbolChange> {
  return validateEach(
    rows,
    symbolChangeSchema,
    (row) => row,
    (change): SymbolChange => ({
      date: change.date,
      companyName: change.companyName,
      oldSymbol: change.oldSymbol,
      newSymbol: change.newSymbol,
    }),
  );
}

export type { InvalidRow };

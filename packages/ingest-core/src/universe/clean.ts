// One CSV reader for the whole pipeline (RFC 4180: quoted commas and line breaks, BOM, CRLF or lone CR).
import { parseCsv } from '@smartstock/fmp-client';
import { IngestError } from '../errors.js';
import { DEFAULTS } from '../settings.js';
import { CLASS_TICKER_OVERRIDES } from './classes.js';

/** One ticker of the universe (structurally the db package's UniverseEntry). */
export interface UniverseEntry {
  ticker: string;
  name: string | null;
  sector: string | null;
  exchange: string | null;
  weight: number | null;
}

/** Why the cleaner dropped a holdings row (counted per reason in UniverseCounts). */
export type DropReason =
  | 'blank'
  | 'not_equity'
  | 'no_ticker'
  | 'cvr'
  | 'escrow'
  | 'rights'
  | 'unlisted'
  | 'zero_price'
  | 'duplicate'
  | 'junk';

/** Every DropReason, for iterating over UniverseCounts.dropped. */
export const DROP_REASONS: readonly DropReason[] = [
  'blank',
  'not_equity',
  'no_ticker',
  'cvr',
  'escrow',
  'rights',
  'unlisted',
  'zero_price',
  'duplicate',
  'junk',
];

/**
 * The source shape `parseUniverse` recognised: an iShares holdings CSV, a CSV with a ticker column, or one
 * ticker a line.
 */
export type UniverseFormat = 'ishares' | 'csv-column' | 'plain';

/** Rows read, kept and dropped (per reason) by `parseUniverse`. */
export interface UniverseCounts {
  /** Holdings rows (or list lines) read, excluding the preamble, header, blank lines and footer. */
  read: number;
  kept: number;
  dropped: Record<DropReason, number>;
}

/** The cleaned universe `parseUniverse` returns, for `validateUniverse` and the tickers table. */
export interface ParsedUniverse {
  format: UniverseFormat;
  /** Sorted by ticker, one per ticker. */
  entries: UniverseEntry[];
  counts: UniverseCounts;
  /** Class tickers rewritten to FMP's dash form (`MOGA` → `MOG-A`, `BRK.B` → `BRK-B`). */
  mapped: { from: string; to: string }[];
  /** The holdings file's "Fund Holdings as of" date, when present (YYYY-MM-DD). */
  holdingsAsOf: string | null;
}

/** Options of `parseUniverse`. */
export interface CleanOptions {
  /** Class rewrite table; defaults to CLASS_TICKER_OVERRIDES. */
  classOverrides?: Readonly<Record<string, string>> | undefined;
}

/** A US listing as FMP writes it: 1–5 letters, optionally a dash and a 1–2 letter class. */
export const TICKER_SHAPE = /^[A-Z]{1,5}(-[A-Z]{1,2})?$/;

const UNLISTED_EXCHANGE = /no market|unlisted|non-nms|nnqs|\botc\b|pink|grey market/i;
const ESCROW_TICKER = /^(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{6}$/;
/**
 * Rows that published ticker lists carry beside the members: placeholders (`--`), escrow CUSIPs (`P5N994`)
 * and index futures (`RTYZ5`: a root, a month code and a year digit). Dropped and counted as `junk`; a list is
 * refused only when they are more than JUNK_LIMIT of its rows.
 */
const JUNK_TICKER = /^(?:-{2,}|[A-Z]{1,3}[FGHJKMNQUVXZ]\d{1,2})$/;
/** The share of a list's rows that may be junk before the list is refused as a whole. */
export const JUNK_LIMIT = 0.02;
const CVR_NAME = /\bCVR\b|CONTINGENT VALUE/i;
const MONTHS: Record<string, string> = {
  jan: '01',
  feb: '02',
  mar: '03',
  apr: '04',
  may: '05',
  jun: '06',
  jul: '07',
  aug: '08',
  sep: '09',
  oct: '10',
  nov: '11',
  dec: '12',
};

/** Trims whitespace (incl. NBSP and CR) and upper-cases; rewrites dotted or slashed classes to a dash. */
export function normalizeTicker(
  raw: string,
  overrides: Readonly<Record<string, string>> = CLASS_TICKER_OVERRIDES,
): string {
  const t = raw
    .replace(/[\s\u00a0\ufeff]+$/u, '')
    .replace(/^[\s\u00a0\ufeff]+/u, '')
    .toUpperCase();
  const dotted = /^([A-Z]{1,5})[./]([A-Z])$/.exec(t);
  if (dotted) return `${dotted[1]}-${dotted[2]}`;
  return overrides[t] ?? t;
}

function emptyDropped(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
}

function clean(cell: string | undefined): string {
  return (cell ?? '').replace(/^[\s\u00a0]+|[\s\u00a0]+$/gu, '');
}

function parseNumber(cell: string | undefined): number | null {
  const t = clean(cell).replace(/,/g, '');
  if (t === '' || t === '-') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function orNull(cell: string | undefined): string | null {
  const t = clean(cell);
  return t === '' || t === '-' ? null : t;
}

function parseAsOf(cell: string | undefined): string | null {
  const m = /^([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})$/.exec(clean(cell));
  if (!m) return null;
  const month = MONTHS[m[1]!.toLowerCase()];
  return month ? `${m[3]}-${month}-${m[2]!.padStart(2, '0')}` : null;
}

class Collector {
  readonly byTicker = new Map<string, UniverseEntry>();
  readonly dropped = emptyDropped();
  readonly mapped = new Map<string, string>();
  read = 0;

  constructor(private readonly overrides: Readonly<Record<string, string>>) {}

  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }

  keep(rawTicker: string, entry: Omit<UniverseEntry, 'ticker'>): void {
    const raw = clean(rawTicker).toUpperCase();
    const ticker = normalizeTicker(raw, this.overrides);
    if (ticker !== raw) this.mapped.set(raw, ticker);
    const seen = this.byTicker.get(ticker);
    if (seen) {
      // The same listing twice (e.g. two lots): one entry, weights added up.
      this.drop('duplicate');
      if (entry.weight !== null) seen.weight = (seen.weight ?? 0) + entry.weight;
      return;
    }
    this.byTicker.set(ticker, { ticker, ...entry });
  }

  result(format: UniverseFormat, holdingsAsOf: string | null): ParsedUniverse {
    const entries = [...this.byTicker.values()].sort((a, b) =>
      a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0,
    );
    return {
      format,
      entries,
      counts: { read: this.read, kept: entries.length, dropped: this.dropped },
      mapped: [...this.mapped].map(([from, to]) => ({ from, to })).sort((a, b) => (a.from < b.from ? -1 : 1)),
      holdingsAsOf,
    };
  }
}

function isBlankRecord(record: string[]): boolean {
  return record.every((c) => clean(c) === '');
}

function findColumn(header: string[], ...names: string[]): number {
  const wanted = names.map((n) => n.toLowerCase());
  return header.findIndex((h) => wanted.includes(clean(h).toLowerCase()));
}

/**
 * Parses and cleans a universe source: an iShares holdings CSV (found by its header columns wherever the
 * header sits), a CSV with a `Ticker`/`Symbol` column, or a plain list with one ticker per line.
 * Cleaning never throws; `validateUniverse` decides whether the result may replace the current universe.
 */
export function parseUniverse(text: string, options: CleanOptions = {}): ParsedUniverse {
  const overrides = options.classOverrides ?? CLASS_TICKER_OVERRIDES;
  // A file cut short inside a quoted cell loses only that last record (the footer, in a holdings file).
  const { records } = parseCsv(text);
  const out = new Collector(overrides);

  const headerIndex = records.findIndex(
    (r) => findColumn(r, 'ticker', 'symbol') >= 0 && findColumn(r, 'asset class') >= 0,
  );
  if (headerIndex >= 0) {
    const header = records[headerIndex]!;
    const col = {
      ticker: findColumn(header, 'ticker', 'symbol'),
      name: findColumn(header, 'name'),
      sector: findColumn(header, 'sector'),
      assetClass: findColumn(header, 'asset class'),
      weight: findColumn(header, 'weight (%)', 'weight'),
      price: findColumn(header, 'price'),
      exchange: findColumn(header, 'exchange'),
    };
    let holdingsAsOf: string | null = null;
    for (const r of records.slice(0, headerIndex)) {
      if (/fund holdings as of/i.test(clean(r[0]))) holdingsAsOf = parseAsOf(r[1]);
    }
    for (const r of records.slice(headerIndex + 1)) {
      // The NBSP separator lines and the one-cell disclaimer footer are not holdings rows.
      if (isBlankRecord(r) || r.length < 3) continue;
      out.read++;
      const rawTicker = clean(r[col.ticker]);
      const name = orNull(r[col.name]);
      const exchange = orNull(r[col.exchange]);
      if (col.assetClass >= 0 && clean(r[col.assetClass]).toLowerCase() !== 'equity') out.drop('not_equity');
      else if (rawTicker === '') out.drop('blank');
      else if (rawTicker === '-') out.drop('no_ticker');
      else if (name !== null && CVR_NAME.test(name)) out.drop('cvr');
      else if (/\s/u.test(rawTicker)) out.drop('rights');
      else if (ESCROW_TICKER.test(rawTicker.toUpperCase())) out.drop('escrow');
      else if (col.exchange >= 0 && (exchange === null || UNLISTED_EXCHANGE.test(exchange)))
        out.drop('unlisted');
      else if (col.price >= 0 && parseNumber(r[col.price]) === 0) out.drop('zero_price');
      else {
        out.keep(rawTicker, {
          name,
          sector: orNull(r[col.sector]),
          exchange,
          weight: col.weight >= 0 ? parseNumber(r[col.weight]) : null,
        });
      }
    }
    return out.result('ishares', holdingsAsOf);
  }

  const firstIndex = records.findIndex((r) => !isBlankRecord(r));
  const first = records[firstIndex] ?? [];
  const listColumn = findColumn(first, 'ticker', 'symbol');
  const format: UniverseFormat = listColumn >= 0 ? 'csv-column' : 'plain';
  const col = Math.max(listColumn, 0);
  const nameCol = listColumn >= 0 ? findColumn(first, 'name', 'company name', 'companyname') : -1;
  const body = listColumn >= 0 ? records.slice(firstIndex + 1) : records;
  for (const r of body) {
    if (isBlankRecord(r) || clean(r[0]).startsWith('#')) continue;
    out.read++;
    const rawTicker = clean(r[col]);
    if (rawTicker === '') out.drop('blank');
    else if (rawTicker === '-') out.drop('no_ticker');
    else if (/\s/u.test(rawTicker)) out.drop('rights');
    else if (JUNK_TICKER.test(rawTicker.toUpperCase()) || ESCROW_TICKER.test(rawTicker.toUpperCase()))
      out.drop('junk');
    else
      out.keep(rawTicker, {
        name: nameCol >= 0 ? orNull(r[nameCol]) : null,
        sector: null,
        exchange: null,
        weight: null,
      });
  }
  return out.result(format, null);
}

/** Options of `validateUniverse`. */
export interface ValidateOptions {
  /** Fewest tickers a source may hold to replace the universe (default 1,500). */
  minTickers?: number | undefined;
  /** The fund the source stands for, named when it is refused as truncated. */
  fund?: string | undefined;
}

/**
 * Fewest tickers a universe source must hold to replace the current one (1,500), so a truncated download cannot
 * shrink the universe.
 */
export const DEFAULT_MIN_TICKERS = DEFAULTS.minTickers;

function shapeHint(bad: string[]): string {
  const sedol = bad.filter((t) => /^[0-9B-DF-HJ-NP-TV-Z]{6}\d$/.test(t)).length;
  const isin = bad.filter((t) => /^[A-Z]{2}[A-Z0-9]{9}\d$/.test(t)).length;
  const words = bad.filter((t) => /^[A-Z]{6,}$/.test(t)).length;
  const hints: string[] = [];
  if (sedol > 0) hints.push(`${sedol} look like SEDOL codes`);
  if (isin > 0) hints.push(`${isin} look like ISINs`);
  if (words > 0) hints.push(`${words} look like words from company names`);
  return hints.length > 0 ? ` (${hints.join('; ')})` : '';
}

/**
 * Refuses a cleaned universe that must not replace the current one: too few tickers, or any ticker whose
 * shape is not a US listing. Throws IngestError UNIVERSE_INVALID naming every problem found.
 */
export function validateUniverse(parsed: ParsedUniverse, options: ValidateOptions = {}): void {
  const minTickers = options.minTickers ?? DEFAULT_MIN_TICKERS;
  if (!Number.isInteger(minTickers) || minTickers < 1) {
    throw new IngestError(
      'INVALID_OPTIONS',
      `invalid minTickers ${minTickers}: expected a whole number >= 1`,
    );
  }
  const problems: string[] = [];
  const bad = parsed.entries.map((e) => e.ticker).filter((t) => !TICKER_SHAPE.test(t));
  if (bad.length > 0) {
    const examples = bad
      .slice(0, 5)
      .map((t) => JSON.stringify(t))
      .join(', ');
    problems.push(
      `${bad.length} of ${parsed.entries.length} tickers have an invalid shape${shapeHint(bad)}, e.g. ${examples}` +
        ' (expected 1-5 capital letters, optionally a dash and a share class, like BRK-B)',
    );
  }
  const junk = parsed.counts.dropped.junk ?? 0;
  if (junk > JUNK_LIMIT * parsed.counts.read) {
    problems.push(
      `${junk} of ${parsed.counts.read} rows are not tickers (placeholders, escrow CUSIPs, futures), more than ` +
        `${JUNK_LIMIT * 100}%: is this the right file?`,
    );
  }
  if (parsed.entries.length < minTickers) {
    problems.push(
      `only ${parsed.entries.length} tickers after cleaning, at least ${minTickers} required` +
        `${options.fund ? ` for ${options.fund}` : ''} (minTickers): a truncated download?`,
    );
  }
  if (problems.length > 0) {
    throw new IngestError('UNIVERSE_INVALID', `universe refused: ${problems.join('; ')}`, {
      details: { format: parsed.format, counts: parsed.counts, invalidTickers: bad.slice(0, 20) },
    });
  }
}

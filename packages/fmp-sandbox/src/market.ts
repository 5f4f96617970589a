import { isSessionDay, nyseSessionClose } from './calendar.js';
import { dayNumber, isoFromDay, newYorkDate } from './dates.js';
import { SandboxError, type SandboxErrorCode } from './errors.js';
import { gaussian, mix, mixAll, unit } from './hash.js';
import { renderHoldingsCsv } from './holdings.js';
import { type GeneratedUniverse, generateUniverse, symbolHash, type UniverseTicker } from './universe.js';

/** One row of `/stable/historical-price-eod/full`, keys in FMP's order. */
export interface FmpBar {
  symbol: string;
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  change: number;
  changePercent: number;
  vwap: number;
}

/** One row of `/stable/discounted-cash-flow` (FMP really spells the last key with a space). */
export interface FmpDcf {
  symbol: string;
  date: string;
  dcf: number;
  'Stock Price': number;
}

/** A stock split: from `date` on, FMP restates the ticker's whole history (prices / ratio, volume × ratio). */
export interface SplitSpec {
  symbol: string;
  date: string;
  /** 2 for a 2-for-1 split, 0.1 for a 1-for-10 reverse split. */
  ratio: number;
}

/**
 * A bad print: FMP serves `symbol`'s bar of `date` with open, high, low and close multiplied by `factor` (3 for a
 * close 200% above the day before), every other bar unchanged: a close-to-close move no split explains.
 */
export interface BadPrintSpec {
  symbol: string;
  date: string;
  /** Positive, not 1: the bar's prices are multiplied by it. */
  factor: number;
  /**
   * True: every bar from `date` on is multiplied, not that one alone: an unrecorded split (0.5 for a 2-for-1 FMP
   * never adjusted), a lasting step in the closes with no restated history for the split check to find.
   */
  onward?: boolean | undefined;
}

/**
 * A halted session: FMP has no bar of `symbol` for `date` (a trading halt, a suspension) and never serves one, on
 * any endpoint. The ticker's other bars are unchanged (each bar is a function of its own day).
 */
export interface HaltSpec {
  symbol: string;
  date: string;
}

/**
 * A rename as FMP's `/stable/symbol-change` lists it: `oldSymbol` trades as `newSymbol` from `date`. Listed once
 * the sandbox clock's New York date reaches `date`; `companyName` defaults to the universe's name of the new
 * symbol (or of the old one), else null.
 */
export interface RenameSpec {
  date: string;
  oldSymbol: string;
  newSymbol: string;
  companyName?: string | null | undefined;
}

/** One row of `/stable/symbol-change`, keys in FMP's order. */
export interface FmpSymbolChange {
  date: string;
  companyName: string | null;
  oldSymbol: string;
  newSymbol: string;
}

/** A spec's `date`: a real calendar day YYYY-MM-DD, or a SandboxError of `code` naming the field. */
function specDate(code: SandboxErrorCode, where: string, date: unknown): string {
  if (typeof date !== 'string') throw new SandboxError(code, `${where}.date must be YYYY-MM-DD`);
  try {
    dayNumber(date, `${where}.date`);
  } catch (error) {
    throw new SandboxError(code, (error as Error).message, { cause: error });
  }
  return date;
}

/** A spec's symbol field: a non-empty string, upper-cased, or a SandboxError of `code` naming the field. */
function specSymbol(code: SandboxErrorCode, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SandboxError(code, `${field} must be a non-empty string`);
  return value.trim().toUpperCase();
}

/** Checks renames as `validateSplits` checks splits: `{ date, oldSymbol, newSymbol, companyName? }`, two symbols. */
export function validateRenames(renames: unknown): RenameSpec[] {
  if (!Array.isArray(renames))
    throw new SandboxError('INVALID_OPTION', 'renames must be an array of { date, oldSymbol, newSymbol }');
  return renames.map((r, i) => {
    const where = `renames[${i}]`;
    if (typeof r !== 'object' || r === null)
      throw new SandboxError('INVALID_OPTION', `${where} must be an object`);
    const { date, oldSymbol, newSymbol, companyName } = r as Record<string, unknown>;
    const from = specSymbol('INVALID_OPTION', `${where}.oldSymbol`, oldSymbol);
    const to = specSymbol('INVALID_OPTION', `${where}.newSymbol`, newSymbol);
    if (from === to)
      throw new SandboxError('INVALID_OPTION', `${where}: oldSymbol and newSymbol are both ${from}`);
    const day = specDate('INVALID_OPTION', where, date);
    if (companyName !== undefined && companyName !== null && typeof companyName !== 'string')
      throw new SandboxError('INVALID_OPTION', `${where}.companyName must be a string or null`);
    return { date: day, oldSymbol: from, newSymbol: to, companyName: companyName ?? null };
  });
}

/** A synthetic market: seed (default 1), universe size (default 2,000), clock (default real time) and splits. */
export interface SyntheticMarketOptions {
  seed?: number | undefined;
  tickers?: number | undefined;
  now?: (() => Date) | undefined;
  splits?: SplitSpec[] | undefined;
  /** Bars served wrong (default none). */
  badPrints?: BadPrintSpec[] | undefined;
  /** Sessions never served (default none). */
  halts?: HaltSpec[] | undefined;
  /** Renames listed by `/stable/symbol-change` (default none). */
  renames?: RenameSpec[] | undefined;
}

interface Series {
  h: number;
  level: number;
  baseVolume: number;
  hasDcf: boolean;
}

// The latent log price is a Brownian bridge between independent anchors every BLOCK calendar days: a random
// walk day to day, bounded over decades, and computable for any range at O(days + BLOCK) cost.
const BLOCK = 128;
const DAILY_VOL = 0.018;
const ANCHOR_VOL = 0.22;

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function price(value: number): number {
  return Math.max(0.01, round(value, 2));
}

export function validateSplits(splits: unknown): SplitSpec[] {
  if (!Array.isArray(splits))
    throw new SandboxError('INVALID_SPLIT', 'splits must be an array of { symbol, date, ratio }');
  return splits.map((s, i) => {
    const where = `splits[${i}]`;
    if (typeof s !== 'object' || s === null)
      throw new SandboxError('INVALID_SPLIT', `${where} must be an object`);
    const { symbol, date, ratio } = s as Record<string, unknown>;
    const sym = specSymbol('INVALID_SPLIT', `${where}.symbol`, symbol);
    const day = specDate('INVALID_SPLIT', where, date);
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio <= 0) {
      throw new SandboxError(
        'INVALID_SPLIT',
        `${where}.ratio must be a positive number, got ${String(ratio)}`,
      );
    }
    return { symbol: sym, date: day, ratio };
  });
}

/** Checks bad prints as `validateSplits` checks splits: `{ symbol, date, factor }` with a positive factor. */
export function validateBadPrints(prints: unknown): BadPrintSpec[] {
  if (!Array.isArray(prints))
    throw new SandboxError('INVALID_OPTION', 'badPrints must be an array of { symbol, date, factor }');
  return prints.map((p, i) => {
    const where = `badPrints[${i}]`;
    if (typeof p !== 'object' || p === null)
      throw new SandboxError('INVALID_OPTION', `${where} must be an object`);
    const { symbol, date, factor, onward } = p as Record<string, unknown>;
    const sym = specSymbol('INVALID_OPTION', `${where}.symbol`, symbol);
    const day = specDate('INVALID_OPTION', where, date);
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0 || factor === 1) {
      throw new SandboxError(
        'INVALID_OPTION',
        `${where}.factor must be a positive number other than 1, got ${String(factor)}`,
      );
    }
    if (onward !== undefined && typeof onward !== 'boolean')
      throw new SandboxError(
        'INVALID_OPTION',
        `${where}.onward must be true or false, got ${String(onward)}`,
      );
    return { symbol: sym, date: day, factor, ...(onward ? { onward } : {}) };
  });
}

/** Checks halts as `validateSplits` checks splits: `{ symbol, date }`, the symbol upper-cased. */
export function validateHalts(halts: unknown): HaltSpec[] {
  if (!Array.isArray(halts))
    throw new SandboxError('INVALID_OPTION', 'halts must be an array of { symbol, date }');
  return halts.map((p, i) => {
    const where = `halts[${i}]`;
    if (typeof p !== 'object' || p === null)
      throw new SandboxError('INVALID_OPTION', `${where} must be an object`);
    const { symbol, date } = p as Record<string, unknown>;
    const sym = specSymbol('INVALID_OPTION', `${where}.symbol`, symbol);
    const day = specDate('INVALID_OPTION', where, date);
    return { symbol: sym, date: day };
  });
}

/**
 * A deterministic market: every value is a pure function of (seed, symbol, date) and of the sandbox clock
 * (which decides which sessions have closed and which splits are in effect).
 */
export class SyntheticMarket {
  readonly seed: number;
  readonly size: number;
  private readonly universe: GeneratedUniverse;
  private readonly series = new Map<string, Series>();
  private readonly knownUniverse: string[];
  private clock: () => Date;
  private splitList: SplitSpec[];
  private badPrintList: BadPrintSpec[];
  /** `SYMBOL|day number` of each halted session. */
  private haltSet = new Set<string>();
  private renameList: RenameSpec[];

  constructor(options: SyntheticMarketOptions = {}) {
    const seed = options.seed ?? 1;
    const size = options.tickers ?? 2000;
    if (!Number.isSafeInteger(seed))
      throw new SandboxError('INVALID_OPTION', `seed must be an integer, got ${seed}`);
    if (!Number.isInteger(size) || size < 1 || size > 100_000) {
      throw new SandboxError('INVALID_OPTION', `tickers must be an integer from 1 to 100000, got ${size}`);
    }
    this.seed = seed;
    this.size = size;
    this.clock = options.now ?? (() => new Date());
    this.splitList = validateSplits(options.splits ?? []);
    this.badPrintList = validateBadPrints(options.badPrints ?? []);
    this.setHalts(options.halts ?? []);
    this.renameList = validateRenames(options.renames ?? []);
    this.universe = generateUniverse(seed, size);
    const addSeries = (symbol: string, hasDcf: boolean) => {
      const h = symbolHash(seed, symbol);
      this.series.set(symbol, {
        h,
        level: Math.log(3) + unit(mix(h, 101)) * Math.log(100),
        baseVolume: 40_000 + unit(mix(h, 102)) ** 2 * 3_000_000,
        hasDcf,
      });
    };
    for (const t of this.universe.tickers) if (t.knownToFmp) addSeries(t.fmpSymbol, t.hasDcf);
    for (const e of this.universe.extras)
      addSeries(e.symbol, unit(mixAll(seed, 'extra-dcf', e.symbol)) < 0.5);
    this.knownUniverse = this.universe.tickers.filter((t) => t.knownToFmp).map((t) => t.fmpSymbol);
  }

  /** The universe (what the holdings file lists as tradable equities), sorted by FMP symbol. */
  tickers(): readonly UniverseTicker[] {
    return this.universe.tickers;
  }

  /** FMP symbols of the universe listings FMP knows (the ones with bars). */
  fmpSymbols(): string[] {
    return [...this.knownUniverse];
  }

  /** Universe listings FMP does not know: every FMP endpoint answers `[]` for them. */
  unknownSymbols(): string[] {
    return this.universe.tickers.filter((t) => !t.knownToFmp).map((t) => t.fmpSymbol);
  }

  /** Symbols with a DCF (universe and extras). */
  dcfSymbols(): string[] {
    return [...this.series].filter(([, s]) => s.hasDcf).map(([sym]) => sym);
  }

  /** FMP's stock list: the known universe plus listings outside the index. */
  stockList(): { symbol: string; companyName: string }[] {
    const list = this.universe.tickers
      .filter((t) => t.knownToFmp)
      .map((t) => ({ symbol: t.fmpSymbol, companyName: t.companyName }));
    return list.concat(this.universe.extras.map((e) => ({ ...e })));
  }

  isKnown(symbol: string): boolean {
    return this.series.has(symbol);
  }

  now(): Date {
    return this.clock();
  }

  setClock(now: () => Date): void {
    this.clock = now;
  }

  splits(): SplitSpec[] {
    return this.splitList.map((s) => ({ ...s }));
  }

  setSplits(splits: SplitSpec[]): void {
    this.splitList = validateSplits(splits);
  }

  badPrints(): BadPrintSpec[] {
    return this.badPrintList.map((p) => ({ ...p }));
  }

  setBadPrints(prints: BadPrintSpec[]): void {
    this.badPrintList = validateBadPrints(prints);
  }

  /** The halted sessions, sorted by symbol and date. */
  halts(): HaltSpec[] {
    return [...this.haltSet]
      .map((key) => {
        const [symbol, day] = key.split('|') as [string, string];
        return { symbol, date: isoFromDay(Number(day)) };
      })
      .sort((a, b) => (a.symbol === b.symbol ? a.date.localeCompare(b.date) : a.symbol < b.symbol ? -1 : 1));
  }

  /** Replaces the halted sessions (validated first: a bad list changes nothing). */
  setHalts(halts: HaltSpec[]): void {
    const list = validateHalts(halts);
    this.haltSet = new Set(list.map((h) => `${h.symbol}|${dayNumber(h.date)}`));
  }

  /** The renames `/stable/symbol-change` can list (whatever the clock), in the order given. */
  renames(): RenameSpec[] {
    return this.renameList.map((r) => ({ ...r }));
  }

  setRenames(renames: RenameSpec[]): void {
    this.renameList = validateRenames(renames);
  }

  /**
   * `/stable/symbol-change` as the sandbox serves it: the renames whose date the clock's New York date has
   * reached, newest first (then by old symbol), at most `limit`.
   */
  symbolChanges(limit?: number): FmpSymbolChange[] {
    const today = newYorkDate(this.clock());
    const names = new Map(this.universe.tickers.map((t) => [t.fmpSymbol, t.companyName]));
    const rows = this.renameList
      .filter((r) => r.date <= today)
      .map(
        (r): FmpSymbolChange => ({
          date: r.date,
          companyName: r.companyName ?? names.get(r.newSymbol) ?? names.get(r.oldSymbol) ?? null,
          oldSymbol: r.oldSymbol,
          newSymbol: r.newSymbol,
        }),
      )
      .sort((a, b) =>
        a.date !== b.date
          ? a.date < b.date
            ? 1
            : -1
          : a.oldSymbol < b.oldSymbol
            ? -1
            : a.oldSymbol > b.oldSymbol
              ? 1
              : 0,
      );
    return limit === undefined ? rows : rows.slice(0, limit);
  }

  /** The bad prints' factor for `symbol` on day `d` (1 when its bar is served right). */
  private printFactor(symbol: string, d: number): number {
    if (this.badPrintList.length === 0) return 1;
    let factor = 1;
    for (const p of this.badPrintList) {
      if (p.symbol !== symbol) continue;
      const from = dayNumber(p.date);
      if (d === from || (p.onward && d > from)) factor *= p.factor;
    }
    return factor;
  }

  /** The most recent session that has closed by the sandbox clock (YYYY-MM-DD). */
  latestSession(): string {
    return isoFromDay(this.latestClosedDay(this.clock()));
  }

  private latestClosedDay(now: Date): number {
    let day = dayNumber(newYorkDate(now));
    if (isSessionDay(day)) {
      const close = nyseSessionClose(isoFromDay(day));
      if (close && close.getTime() <= now.getTime()) return day;
    }
    day--;
    while (!isSessionDay(day)) day--;
    return day;
  }

  /** What the clock decides, computed once per answer (Intl calls are the costly part). */
  private snapshot(): { today: number; lastClosed: number } {
    const now = this.clock();
    return { today: dayNumber(newYorkDate(now)), lastClosed: this.latestClosedDay(now) };
  }

  /** Price divisor of the splits in effect: the New York date of the clock has reached their date. */
  private splitFactor(symbol: string, today: number): number {
    if (this.splitList.length === 0) return 1;
    let factor = 1;
    for (const s of this.splitList) if (s.symbol === symbol && dayNumber(s.date) <= today) factor *= s.ratio;
    return factor;
  }

  private anchor(s: Series, block: number): number {
    const h = mix(mix(s.h, 7), block);
    return s.level + ANCHOR_VOL * gaussian(h, mix(h, 1));
  }

  /** Latent (unsplit) log closes for calendar days d0..d1 inclusive. */
  private logCloses(s: Series, d0: number, d1: number): Float64Array {
    const out = new Float64Array(d1 - d0 + 1);
    const walk = new Float64Array(BLOCK + 1);
    for (let b = Math.floor(d0 / BLOCK); b <= Math.floor(d1 / BLOCK); b++) {
      const a0 = this.anchor(s, b);
      const a1 = this.anchor(s, b + 1);
      const first = b * BLOCK;
      let w = 0;
      for (let i = 1; i <= BLOCK; i++) {
        const h = mix(s.h, first + i);
        w += DAILY_VOL * gaussian(mix(h, 1), mix(h, 2));
        walk[i] = w;
      }
      const drift = (walk[BLOCK] ?? 0) - (a1 - a0);
      const start = Math.max(d0, first);
      const end = Math.min(d1, first + BLOCK - 1);
      for (let d = start; d <= end; d++) {
        const t = d - first;
        out[d - d0] = a0 + (walk[t] ?? 0) - (t / BLOCK) * drift;
      }
    }
    return out;
  }

  /**
   * FMP's `/full` rows for `symbol` over [from, to] (inclusive), newest first: sessions only, and only those
   * closed by the sandbox clock. Unknown symbols give `[]`, as FMP does.
   */
  bars(symbol: string, from: string, to: string): FmpBar[] {
    const d0 = dayNumber(from, 'from');
    const d1 = dayNumber(to, 'to');
    const s = this.series.get(symbol);
    if (!s || d1 < d0) return [];
    const { today, lastClosed } = this.snapshot();
    const last = Math.min(d1, lastClosed);
    if (last < d0) return [];
    return this.barsFor(symbol, s, d0, last, this.splitFactor(symbol, today));
  }

  private barsFor(symbol: string, s: Series, d0: number, d1: number, factor: number): FmpBar[] {
    const logs = this.logCloses(s, d0 - 1, d1);
    const out: FmpBar[] = [];
    const halted = this.haltSet.size > 0;
    for (let d = d1; d >= d0; d--) {
      if (!isSessionDay(d)) continue;
      if (halted && this.haltSet.has(`${symbol}|${d}`)) continue;
      const h = mix(mix(s.h, d), 99);
      const c0 = Math.exp(logs[d - d0 + 1] ?? 0);
      const o0 = Math.exp((logs[d - d0] ?? 0) + 0.006 * gaussian(mix(h, 1), mix(h, 2)));
      const h0 = Math.max(o0, c0) * Math.exp(0.012 * Math.abs(gaussian(mix(h, 3), mix(h, 4))));
      const l0 = Math.min(o0, c0) * Math.exp(-0.012 * Math.abs(gaussian(mix(h, 5), mix(h, 6))));
      // Rounding, the split divisor and a bad print's factor are monotone, so low <= open, close <= high
      // survives them all.
      const wrong = this.printFactor(symbol, d);
      const open = price((o0 * wrong) / factor);
      const high = price((h0 * wrong) / factor);
      const low = price((l0 * wrong) / factor);
      const close = price((c0 * wrong) / factor);
      const volume = Math.round(s.baseVolume * Math.exp(0.45 * gaussian(mix(h, 7), mix(h, 8))) * factor);
      const change = round(close - open, 2);
      const pct = (change / open) * 100;
      // FMP gives changePercent to 5 decimals, but some rows only to 2 (seen in the recorded AAPL payload).
      const changePercent = unit(mix(h, 9)) < 0.3 ? round(pct, 2) : round(pct, 5);
      const vwap = round((open + high + low + close) / 4, 4);
      out.push({ symbol, date: isoFromDay(d), open, high, low, close, volume, change, changePercent, vwap });
    }
    return out;
  }

  /** FMP's `/discounted-cash-flow` answer: one row for covered symbols, `[]` otherwise. */
  dcf(symbol: string): FmpDcf[] {
    return this.dcfAt(symbol, this.snapshot());
  }

  private dcfAt(symbol: string, snap: { today: number; lastClosed: number }): FmpDcf[] {
    const s = this.series.get(symbol);
    if (!s?.hasDcf) return [];
    const day = snap.lastClosed;
    const bar = this.barsFor(symbol, s, day, day, this.splitFactor(symbol, snap.today))[0];
    if (!bar) return [];
    const h = mix(mix(s.h, 555), day);
    const dcf = bar.close * Math.exp(0.35 * gaussian(mix(h, 1), mix(h, 2)) + 0.1);
    return [{ symbol, date: bar.date, dcf, 'Stock Price': bar.close }];
  }

  /** Every FMP symbol's bar for one date (empty for a non-session or not yet closed date). */
  eodBulk(date: string): FmpBar[] {
    const day = dayNumber(date, 'date');
    const { today, lastClosed } = this.snapshot();
    if (!isSessionDay(day) || day > lastClosed) return [];
    const out: FmpBar[] = [];
    for (const [symbol, s] of this.series) {
      const bar = this.barsFor(symbol, s, day, day, this.splitFactor(symbol, today))[0];
      if (bar) out.push(bar);
    }
    return out;
  }

  /** `/stable/eod-bulk?date=` as FMP sends it: CSV `symbol,date,open,low,high,close,adjClose,volume`. */
  eodBulkCsv(date: string): string {
    const lines = ['symbol,date,open,low,high,close,adjClose,volume'];
    for (const b of this.eodBulk(date)) {
      lines.push(`${b.symbol},${b.date},${b.open},${b.low},${b.high},${b.close},${b.close},${b.volume}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** `/stable/dcf-bulk` as FMP sends it: CSV `symbol,date,dcf,Stock Price`. */
  dcfBulkCsv(): string {
    const lines = ['symbol,date,dcf,Stock Price'];
    for (const row of this.dcfBulk())
      lines.push(`${row.symbol},${row.date},${row.dcf},${row['Stock Price']}`);
    return `${lines.join('\n')}\n`;
  }

  /** Every DCF FMP has (the rows of dcf-bulk). */
  dcfBulk(): FmpDcf[] {
    const snap = this.snapshot();
    const out: FmpDcf[] = [];
    for (const symbol of this.series.keys()) {
      const row = this.dcfAt(symbol, snap)[0];
      if (row) out.push(row);
    }
    return out;
  }

  /**
   * The universe as iShares publishes IWM's holdings, with every quirk of the real file; with `fund`, that
   * fund's file in the same layout: its name, and as many of the universe's tickers as the fund holds (the
   * largest by the sandbox's hash order; all of them when the universe is smaller, as IWM and IWV always are).
   */
  holdingsCsv(fund: SandboxFund = 'IWM'): string {
    const { today, lastClosed: day } = this.snapshot();
    const asOf = isoFromDay(day);
    const prices = new Map<string, number>();
    const { name, holdings } = SANDBOX_FUNDS[fund];
    const tickers = this.universe.tickers.slice(0, holdings ?? this.universe.tickers.length);
    for (const t of tickers) {
      const s = this.series.get(t.fmpSymbol) ?? {
        h: symbolHash(this.seed, t.fmpSymbol),
        level: Math.log(20),
        baseVolume: 100_000,
        hasDcf: false,
      };
      const bar = this.barsFor(t.fmpSymbol, s, day, day, this.splitFactor(t.fmpSymbol, today))[0];
      prices.set(t.fmpSymbol, bar?.close ?? 10);
    }
    return renderHoldingsCsv({
      seed: this.seed,
      asOf,
      tickers,
      prices,
      junk: this.universe.junk,
      fundName: name,
    });
  }
}

/**
 * The iShares equity funds the sandbox serves holdings for, at `/ishares/<FUND>_holdings.csv`: their names and
 * about how many equities each holds (undefined: the whole universe). The pipeline keeps its own table of funds;
 * the sandbox stays apart on purpose.
 */
export const SANDBOX_FUNDS = {
  IWM: { name: 'iShares Russell 2000 ETF', holdings: undefined },
  IWB: { name: 'iShares Russell 1000 ETF', holdings: 1_005 },
  IWV: { name: 'iShares Russell 3000 ETF', holdings: undefined },
  IJR: { name: 'iShares Core S&P Small-Cap ETF', holdings: 602 },
  IJH: { name: 'iShares Core S&P Mid-Cap ETF', holdings: 401 },
} as const satisfies Record<string, { name: string; holdings: number | undefined }>;

/** A fund the sandbox serves holdings for. */
export type SandboxFund = keyof typeof SANDBOX_FUNDS;

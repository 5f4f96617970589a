import { hashString, mix, mixAll, unit } from './hash.js';

/** One tradable listing of the synthetic Russell 2000 universe. */
export interface UniverseTicker {
  /** The symbol FMP uses: share classes with a dash (`MOG-A`). */
  readonly fmpSymbol: string;
  /** The ticker as iShares writes it in the holdings file: no class separator (`MOGA`). */
  readonly holdingsTicker: string;
  /** Upper-case name, truncated to 34 characters as iShares does. */
  readonly name: string;
  /** The name FMP's stock list gives. */
  readonly companyName: string;
  readonly sector: string;
  /** Exchange as the holdings file spells it. */
  readonly exchange: string;
  readonly location: string;
  /** False for the few listings FMP does not know: every FMP endpoint answers `[]` for them. */
  readonly knownToFmp: boolean;
  /** False for the ~30% FMP has no DCF for (`[]` on discounted-cash-flow, absent from dcf-bulk). */
  readonly hasDcf: boolean;
  /** Listed share class whose FMP symbol differs from the holdings ticker. */
  readonly shareClass: boolean;
  readonly sharesHeld: number;
}

const NYSE = 'New York Stock Exchange Inc.';

/**
 * Real Russell 2000 share-class tickers from the iShares format notes: the first three are written with a dash
 * at FMP and without one by iShares; the rest are real tickers that merely look like classes and stay as-is.
 */
const SPECIAL_TICKERS: ReadonlyArray<{ fmp: string; name: string; sector: string; exchange: string }> = [
  { fmp: 'MOG-A', name: 'MOOG INC CLASS A', sector: 'Industrials', exchange: NYSE },
  { fmp: 'GEF-B', name: 'GREIF INC CLASS B', sector: 'Materials', exchange: NYSE },
  { fmp: 'CRD-A', name: 'CRAWFORD & CO CLASS A', sector: 'Financials', exchange: NYSE },
  {
    fmp: 'ZETA',
    name: 'ZETA GLOBAL HOLDINGS CORP CLASS A',
    sector: 'Information Technology',
    exchange: NYSE,
  },
  { fmp: 'ACVA', name: 'ACV AUCTIONS INC CLASS A', sector: 'Consumer Discretionary', exchange: NYSE },
  { fmp: 'IBTA', name: 'IBOTTA INC CLASS A', sector: 'Communication', exchange: NYSE },
  { fmp: 'BETA', name: 'BETA TECHNOLOGIES INC CLASS A', sector: 'Industrials', exchange: NYSE },
  { fmp: 'ZVIA', name: 'ZEVIA PBC CLASS A', sector: 'Consumer Staples', exchange: NYSE },
  { fmp: 'CBNA', name: 'CHAIN BRIDGE BANCORP INC CLASS A', sector: 'Financials', exchange: NYSE },
  { fmp: 'BELFA', name: 'BEL FUSE INC CLASS A', sector: 'Information Technology', exchange: 'NASDAQ' },
  { fmp: 'BELFB', name: 'BEL FUSE INC CLASS B', sector: 'Information Technology', exchange: 'NASDAQ' },
  { fmp: 'RUSHA', name: 'RUSH ENTERPRISES INC CLASS A', sector: 'Industrials', exchange: 'NASDAQ' },
  { fmp: 'RUSHB', name: 'RUSH ENTERPRISES INC CLASS B', sector: 'Industrials', exchange: 'NASDAQ' },
  { fmp: 'CENTA', name: 'CENTRAL GARDEN & PET CLASS A', sector: 'Consumer Staples', exchange: 'NASDAQ' },
  { fmp: 'IMKTA', name: 'INGLES MARKETS INC CLASS A', sector: 'Consumer Staples', exchange: 'NASDAQ' },
  { fmp: 'RBCAA', name: 'REPUBLIC BANCORP INC CLASS A', sector: 'Financials', exchange: 'NASDAQ' },
  { fmp: 'SENEA', name: 'SENECA FOODS CORP CLASS A', sector: 'Consumer Staples', exchange: 'NASDAQ' },
  { fmp: 'KELYA', name: 'KELLY SERVICES INC CLASS A', sector: 'Industrials', exchange: 'NASDAQ' },
  { fmp: 'DGICA', name: 'DONEGAL GROUP INC CLASS A', sector: 'Financials', exchange: 'NASDAQ' },
  { fmp: 'VLGEA', name: 'VILLAGE SUPER MARKET INC CLASS A', sector: 'Consumer Staples', exchange: 'NASDAQ' },
];

/** Share classes in the universe: FMP's dashed symbol and the holdings file's undashed ticker. */
export const SHARE_CLASS_TICKERS: ReadonlyArray<{ fmpSymbol: string; holdingsTicker: string }> =
  SPECIAL_TICKERS.filter((s) => s.fmp.includes('-')).map((s) => ({
    fmpSymbol: s.fmp,
    holdingsTicker: s.fmp.replace('-', ''),
  }));

/** Real tickers that only look like share classes: identical at FMP and in the holdings file. */
export const CLASS_LOOKALIKE_TICKERS: readonly string[] = SPECIAL_TICKERS.filter(
  (s) => !s.fmp.includes('-'),
).map((s) => s.fmp);

/** Universes smaller than this get no real tickers, so tiny test universes stay fully synthetic. */
export const MIN_TICKERS_FOR_SPECIALS = 50;

/** Tickers the holdings file uses for non-equity and junk rows; never generated as listings. */
const RESERVED = new Set(['USD', 'CAD', 'XTSLA', 'MSFUT', 'CVR', 'ETF', 'IWM', 'RT', 'RTY']);

const SECTORS = [
  'Information Technology',
  'Health Care',
  'Financials',
  'Industrials',
  'Consumer Discretionary',
  'Real Estate',
  'Energy',
  'Materials',
  'Communication',
  'Consumer Staples',
  'Utilities',
];
const SUFFIXES = [
  'HOLDINGS INC',
  'INC',
  'CORP',
  'BANCORP INC',
  'THERAPEUTICS INC',
  'TECHNOLOGIES INC',
  'GROUP INC',
  'ENERGY INC',
  'PHARMACEUTICALS INC',
  'REALTY TRUST INC',
  'FINANCIAL CORP',
  'INDUSTRIES INC',
];
const SYLLABLES = [
  'NOR',
  'VEX',
  'AL',
  'TRA',
  'CORE',
  'LUM',
  'BRI',
  'DGE',
  'ON',
  'STAR',
  'MER',
  'IDIAN',
  'PAC',
  'QUA',
  'NT',
];
const LOCATIONS = ['Canada', 'Bermuda', 'Puerto Rico', 'Norway', 'Monaco', 'Israel'];

function letters(h: number, length: number): string {
  let s = '';
  let x = h;
  for (let i = 0; i < length; i++) {
    x = mix(x, i);
    s += String.fromCharCode(65 + (x % 26));
  }
  return s;
}

function titleCase(name: string): string {
  return name
    .toLowerCase()
    .replace(/\b([a-z])/g, (c) => c.toUpperCase())
    .replace(/\b(Inc|Corp|Co)$/, '$1.');
}

function syntheticName(h: number): string {
  const a = SYLLABLES[mix(h, 1) % SYLLABLES.length];
  const b = SYLLABLES[mix(h, 2) % SYLLABLES.length];
  const suffix = SUFFIXES[mix(h, 3) % SUFFIXES.length];
  return `${a}${b} ${suffix}`.slice(0, 34).trim();
}

/**
 * Generates `count` unique symbols of 3-4 upper-case letters from the seed, skipping anything in `taken`.
 * Deterministic: the i-th accepted symbol depends only on the seed and the attempts before it.
 */
function generateSymbols(seed: number, count: number, taken: Set<string>): string[] {
  const out: string[] = [];
  const base = mixAll(seed, 'symbols');
  for (let i = 0; out.length < count; i++) {
    const h = mix(base, i);
    const sym = letters(mix(h, 7), unit(mix(h, 8)) < 0.45 ? 3 : 4);
    if (taken.has(sym) || RESERVED.has(sym)) continue;
    taken.add(sym);
    out.push(sym);
  }
  return out;
}

export interface GeneratedUniverse {
  tickers: UniverseTicker[];
  /** FMP listings outside the index (other exchanges, foreign suffixes): in stock-list and bulk files only. */
  extras: { symbol: string; companyName: string }[];
  /** Tickers for holdings rows that are not listings FMP knows (OTC, unlisted, zombie). */
  junk: string[];
}

export function generateUniverse(seed: number, count: number): GeneratedUniverse {
  const specials = count >= MIN_TICKERS_FOR_SPECIALS ? SPECIAL_TICKERS : [];
  const taken = new Set<string>(SPECIAL_TICKERS.flatMap((s) => [s.fmp, s.fmp.replace('-', '')]));
  const generated = generateSymbols(seed, count - specials.length, taken);
  const extraCount = Math.max(5, Math.round(count * 0.05));
  const extraSymbols = generateSymbols(mixAll(seed, 'extras'), extraCount, taken);
  const junk = generateSymbols(mixAll(seed, 'junk'), 4, taken);

  const tickers: UniverseTicker[] = [];
  const sharesFor = (h: number) => Math.round(50_000 + unit(mix(h, 31)) ** 2 * 6_000_000);
  for (const s of specials) {
    const h = mixAll(seed, 'ticker', s.fmp);
    tickers.push({
      fmpSymbol: s.fmp,
      holdingsTicker: s.fmp.replace('-', ''),
      name: s.name.slice(0, 34),
      companyName: titleCase(s.name),
      sector: s.sector,
      exchange: s.exchange,
      location: 'United States',
      knownToFmp: true,
      hasDcf: unit(mix(h, 21)) < 0.7,
      shareClass: s.fmp.includes('-'),
      sharesHeld: sharesFor(h),
    });
  }
  for (const sym of generated) {
    const h = mixAll(seed, 'ticker', sym);
    const name = syntheticName(h);
    const ex = unit(mix(h, 11));
    const loc = unit(mix(h, 12));
    tickers.push({
      fmpSymbol: sym,
      holdingsTicker: sym,
      name,
      companyName: titleCase(name),
      sector: SECTORS[mix(h, 13) % SECTORS.length] ?? 'Industrials',
      exchange: ex < 0.6 ? 'NASDAQ' : ex < 0.95 ? NYSE : ex < 0.98 ? 'Nyse Mkt Llc' : 'Cboe BZX',
      location: loc < 0.96 ? 'United States' : (LOCATIONS[mix(h, 14) % LOCATIONS.length] ?? 'Canada'),
      knownToFmp: unit(mix(h, 20)) >= 0.01,
      hasDcf: unit(mix(h, 21)) < 0.7,
      shareClass: false,
      sharesHeld: sharesFor(h),
    });
  }
  tickers.sort((a, b) => (a.fmpSymbol < b.fmpSymbol ? -1 : a.fmpSymbol > b.fmpSymbol ? 1 : 0));

  const extras = extraSymbols.map((sym, i) => {
    const symbol = i % 5 === 4 ? `${sym}.TO` : sym;
    return { symbol, companyName: titleCase(syntheticName(mixAll(seed, 'extra', sym))) };
  });
  return { tickers, extras, junk };
}

export function symbolHash(seed: number, symbol: string): number {
  return hashString(symbol, mixAll(seed, 'series'));
}

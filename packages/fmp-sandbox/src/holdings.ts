import { dayNumber } from './dates.js';
import { mix, mixAll, unit } from './hash.js';
import type { UniverseTicker } from './universe.js';

const NBSP = '\u00a0';
const BOM = '\ufeff';
const UNLISTED = 'NO MARKET (E.G. UNLISTED)';
const OTC = 'Non-Nms Quotation Service (Nnqs)';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const FUTURES_MONTHS: Record<number, string> = { 3: 'H', 6: 'M', 9: 'U', 12: 'Z' };

/** The header row of the holdings CSV, as iShares writes it. */
export const HOLDINGS_HEADER =
  'Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,Quantity,Price,Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date';

// A synthetic disclaimer with the real footer's traits: one quoted cell, embedded newlines, curly quotes,
// a registered sign and an escaped double quote. (BlackRock's own wording is not reproduced.)
const FOOTER = [
  'The holdings shown are synthetic and generated for testing by @smartstock/fmp-sandbox.',
  '',
  '“iShares®” and the fund names are used here only to mimic the layout of a published holdings file; no',
  'figure in this file describes a real fund, security or "market value".',
  '',
  'Holdings are subject to change.',
].join('\n');

interface Row {
  ticker: string;
  name: string;
  sector: string;
  assetClass: string;
  marketValue: number;
  notional: number;
  quantity: number;
  price: number;
  location: string;
  exchange: string;
  currency: string;
  fxRate: number;
}

const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function money(n: number): string {
  return MONEY.format(n);
}

function quote(cell: string): string {
  return `"${cell.replaceAll('"', '""')}"`;
}

function fundDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `${MONTHS[Number(m) - 1]} ${d}, ${y}`;
}

function futuresCode(iso: string): string {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const next = [3, 6, 9, 12].find((q) => q > month);
  return next ? `RTY${FUTURES_MONTHS[next]}${year % 10}` : `RTYH${(year + 1) % 10}`;
}

function futuresMonth(code: string): string {
  const letter = code.slice(3, 4);
  const month = Number(Object.entries(FUTURES_MONTHS).find(([, l]) => l === letter)?.[0] ?? 3);
  return (MONTHS[month - 1] ?? 'Mar').toUpperCase();
}

export interface HoldingsInput {
  /** The fund's name on the file's first line (default iShares Russell 2000 ETF). */
  fundName?: string | undefined;
  seed: number;
  asOf: string;
  tickers: readonly UniverseTicker[];
  prices: Map<string, number>;
  junk: string[];
}

/**
 * Renders the universe as iShares' IWM_holdings.csv: BOM, 9-line preamble ending in a no-break-space line,
 * unquoted header with `Quantity`, every data cell quoted with thousands separators, non-equity rows mixed
 * in by weight, junk equity rows (`-`, CVR, escrow, rights, OTC, unlisted, zero-priced), class shares without
 * separator, then a no-break-space line and a multi-line quoted footer.
 */
export function renderHoldingsCsv(input: HoldingsInput): string {
  const { seed, asOf, tickers, prices, junk, fundName = 'iShares Russell 2000 ETF' } = input;
  const h = mixAll(seed, 'holdings', dayNumber(asOf));
  const rows: Row[] = [];
  const equity = (t: {
    ticker: string;
    name: string;
    sector: string;
    exchange: string;
    location?: string | undefined;
  }) => ({
    assetClass: 'Equity',
    location: t.location ?? 'United States',
    currency: 'USD',
    fxRate: 1,
    ...t,
  });

  for (const t of tickers) {
    const px = prices.get(t.fmpSymbol) ?? 10;
    const mv = px * t.sharesHeld;
    rows.push({
      ...equity({
        ticker: t.holdingsTicker,
        name: t.name,
        sector: t.sector,
        exchange: t.exchange,
        location: t.location,
      }),
      marketValue: mv,
      notional: mv,
      quantity: t.sharesHeld,
      price: px,
    });
  }
  const total = rows.reduce((sum, r) => sum + r.marketValue, 0);
  const pick = (k: number) => tickers[mix(h, k) % Math.max(1, tickers.length)];

  const cash = (
    ticker: string,
    name: string,
    assetClass: string,
    mv: number,
    extra: Partial<Row> = {},
  ): Row => ({
    ticker,
    name,
    sector: 'Cash and/or Derivatives',
    assetClass,
    marketValue: mv,
    notional: mv,
    quantity: mv,
    price: 1,
    location: 'United States',
    exchange: '-',
    currency: 'USD',
    fxRate: 1,
    ...extra,
  });
  rows.push(
    cash(
      'XTSLA',
      'BLK CSH FND TREASURY SL AGENCY',
      'Money Market',
      total * (0.004 + unit(mix(h, 1)) * 0.006),
    ),
  );
  rows.push(cash('USD', 'USD CASH', 'Cash', total * 0.0011, { price: 100, quantity: total * 0.000011 }));
  rows.push(
    cash('CAD', 'CAD CASH', 'Cash', 2_873.14, {
      location: 'Canada',
      currency: 'CAD',
      fxRate: 1.36,
      quantity: 3_907.47,
    }),
  );
  rows.push(cash('MSFUT', 'MSFUT CASH COLLATERAL USD', 'Cash Collateral and Margins', total * 0.0005));
  const fut = futuresCode(asOf);
  rows.push({
    ...cash(fut, `RUSSELL 2000 EMINI CME ${futuresMonth(fut)} ${fut.slice(-1)}`, 'Futures', 0),
    notional: total * 0.004,
    quantity: Math.round((total * 0.004) / 125_000),
    price: 2_450.1,
    exchange: 'Chicago Mercantile Exchange',
  });

  // Equity rows that are not listings.
  const junkRow = (ticker: string, name: string, exchange: string, price: number, qty: number): Row => ({
    ...equity({ ticker, name, sector: 'Health Care', exchange }),
    marketValue: price * qty,
    notional: price * qty,
    quantity: qty,
    price,
  });
  rows.push(junkRow('-', 'NOVAGEN BIOSCIENCES PRVT', UNLISTED, 12, 40_000));
  rows.push(junkRow('-', 'STELLARIS HOLDINGS VESTING PRVT', UNLISTED, 4.5, 21_500));
  const cvrOf = pick(2);
  if (cvrOf) rows.push(junkRow(cvrOf.holdingsTicker, `${cvrOf.name.slice(0, 30)} CVR`, UNLISTED, 0, 105_000));
  rows.push(junkRow('P5N994', 'ESCROW PARAMOUNT ASSET INC', UNLISTED, 0, 88_000));
  const rightsOf = pick(3);
  if (rightsOf)
    rows.push(
      junkRow(
        `${rightsOf.holdingsTicker} RT`,
        `${rightsOf.name.slice(0, 27)} RIGHTS`,
        UNLISTED,
        0.01,
        60_000,
      ),
    );
  const [otc, unlisted, zombie, zombie2] = junk;
  if (otc) rows.push(junkRow(otc, 'QUANTEX PHARMA INC', OTC, 0.42, 1_200_000));
  if (unlisted) rows.push(junkRow(unlisted, 'OLDCO LIQUIDATING TRUST', UNLISTED, 1.15, 300_000));
  if (zombie) rows.push(junkRow(zombie, 'DORMANT ENERGY CORP', 'NASDAQ', 0, 250_000));
  if (zombie2) rows.push(junkRow(zombie2, 'VESTIGE MEDICAL INC', 'New York Stock Exchange Inc.', 0, 75_000));

  const grand = rows.reduce((sum, r) => sum + r.marketValue, 0);
  rows.sort((a, b) => b.marketValue - a.marketValue || (a.ticker < b.ticker ? -1 : 1));

  const lines = [
    `${BOM}${fundName}`,
    `Fund Holdings as of,${quote(fundDate(asOf))}`,
    'Inception Date,"May 22, 2000"',
    `Shares Outstanding,${quote(money(250_000_000 + (mix(h, 9) % 50_000) * 1_000))}`,
    'Stock,"-"',
    'Bond,"-"',
    'Cash,"-"',
    'Other,"-"',
    NBSP,
    HOLDINGS_HEADER,
  ];
  for (const r of rows) {
    lines.push(
      [
        r.ticker,
        r.name,
        r.sector,
        r.assetClass,
        money(r.marketValue),
        money((r.marketValue / grand) * 100),
        money(r.notional),
        money(r.quantity),
        money(r.price),
        r.location,
        r.exchange,
        r.currency,
        money(r.fxRate),
        r.currency,
        '-',
      ]
        .map(quote)
        .join(','),
    );
  }
  lines.push(NBSP, quote(FOOTER));
  return `${lines.join('\n')}\n`;
}

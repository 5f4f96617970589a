/**
 * Synthetic iShares IWM holdings files in the real file's structure (see the package README and
 * ishares-holdings-format.md): made-up companies and numbers, never a real iShares file.
 */

export interface HoldingRow {
  ticker: string;
  name?: string;
  sector?: string;
  assetClass?: string;
  weight?: string;
  quantity?: string;
  price?: string;
  location?: string;
  exchange?: string;
}

const NBSP = '\u00a0';

/** Deterministic made-up 4-letter tickers `QAAA`, `QAAB`, … (never a class-override key). */
export function syntheticTickers(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const a = String.fromCharCode(65 + Math.floor(i / 676));
    const b = String.fromCharCode(65 + (Math.floor(i / 26) % 26));
    const c = String.fromCharCode(65 + (i % 26));
    out.push(`Q${a}${b}${c}`);
  }
  return out;
}

function q(v: string): string {
  return `"${v.replace(/"/g, '""')}"`;
}

function row(r: HoldingRow, i: number): string {
  const price = r.price ?? `${(10 + (i % 90)).toFixed(2)}`;
  return [
    r.ticker,
    r.name ?? `${r.ticker} HOLDINGS INC`,
    r.sector ?? 'Industrials',
    r.assetClass ?? 'Equity',
    '1,152,594.50',
    r.weight ?? '0.05',
    '1,152,594.50',
    r.quantity ?? '1,229,678.00',
    price,
    r.location ?? 'United States',
    r.exchange ?? (i % 2 === 0 ? 'NASDAQ' : 'New York Stock Exchange Inc.'),
    'USD',
    '1.00',
    'USD',
    '-',
  ]
    .map(q)
    .join(',');
}

export interface HoldingsOptions {
  /** Column name for the share count: newer files say Quantity, older ones Shares. */
  quantityHeader?: 'Quantity' | 'Shares';
  preamble?: boolean;
  footer?: boolean;
  eol?: '\n' | '\r\n';
  bom?: boolean;
}

export function holdingsCsv(rows: HoldingRow[], options: HoldingsOptions = {}): string {
  const eol = options.eol ?? '\n';
  const lines: string[] = [];
  if (options.preamble ?? true) {
    lines.push(
      'iShares Russell 2000 ETF',
      'Fund Holdings as of,"May 05, 2026"',
      'Inception Date,"May 22, 2000"',
      'Shares Outstanding,"278,750,000.00"',
      'Stock,"-"',
      'Bond,"-"',
      'Cash,"-"',
      'Other,"-"',
      NBSP,
    );
  }
  lines.push(
    `Ticker,Name,Sector,Asset Class,Market Value,Weight (%),Notional Value,${options.quantityHeader ?? 'Quantity'},Price,Location,Exchange,Currency,FX Rate,Market Currency,Accrual Date`,
  );
  for (const [i, r] of rows.entries()) lines.push(row(r, i));
  if (options.footer ?? true) {
    lines.push(NBSP);
    lines.push(
      q(
        'The content contained herein is owned or licensed by BlackRock® and/or its third-party information providers.\n' +
          '“Made-up disclaimer”, line two, with commas, "quotes" and a\r\nCRLF inside.\n\nThe end.',
      ),
    );
  }
  return ((options.bom ?? true) ? '\ufeff' : '') + lines.join(eol) + eol;
}

/** A healthy file: `n` clean listings plus every kind of row the cleaner must drop. */
export function realisticHoldings(
  n: number,
  options: HoldingsOptions = {},
): { csv: string; clean: string[] } {
  const tickers = syntheticTickers(n);
  const rows: HoldingRow[] = tickers.map((ticker) => ({ ticker }));
  const junk: HoldingRow[] = [
    { ticker: 'XTSLA', name: 'BLK CSH FND TREASURY SL AGENCY', assetClass: 'Money Market', exchange: '-' },
    { ticker: 'USD', name: 'USD CASH', assetClass: 'Cash', exchange: '-' },
    { ticker: 'RTYM6', name: 'RUSSELL 2000 EMINI JUN 26', assetClass: 'Futures', price: '0.00' },
    { ticker: '-', name: 'ACME PRVT' },
    { ticker: tickers[0]!, name: 'ACME CVR' },
    { ticker: 'P5N994', name: 'ESCROW ACME' },
    { ticker: 'MPTI RT', name: 'MPTI RIGHTS' },
    { ticker: 'QOTC', exchange: 'Non-Nms Quotation Service (Nnqs)' },
    { ticker: 'QUNL', exchange: 'NO MARKET (E.G. UNLISTED)' },
    { ticker: 'QZMB', price: '0.00' },
    { ticker: '' },
  ];
  // Junk is spread through the file (a money-market row sits mid-file in real copies).
  const all = [...rows];
  for (const [k, j] of junk.entries())
    all.splice(Math.floor(((k + 1) * all.length) / (junk.length + 1)), 0, j);
  return { csv: holdingsCsv(all, options), clean: [...tickers].sort() };
}

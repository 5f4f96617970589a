import { describe, expect, it } from 'vitest';
import { HOLDINGS_HEADER, SandboxCore, SHARE_CLASS_TICKERS } from '../src/index.js';
import { AFTER_CLOSE, body, get } from './helpers.js';

/** A small RFC 4180 parser: quoted cells may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

const core = new SandboxCore({ seed: 8, tickers: 2000, now: AFTER_CLOSE });
const reply = body(get(core, '/ishares/IWM_holdings.csv', {}, null));
const text = reply.text;
const lines = text.split('\n');
const records = parseCsv(text.replace(/^\ufeff/, ''));
const header = records.findIndex((r) => r[0] === 'Ticker');
const data = records.slice(header + 1).filter((r) => r.length === 15);
const col = (name: string) => HOLDINGS_HEADER.split(',').indexOf(name);

describe('the iShares IWM holdings file', () => {
  it('is served without a key as a CSV download', () => {
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/csv/);
    expect(reply.headers['content-disposition']).toContain('IWM_holdings.csv');
  });

  it('starts with a BOM and a 9-line preamble whose last line is a single no-break space', () => {
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(lines[0]).toBe('\ufeffiShares Russell 2000 ETF');
    expect(lines[1]).toBe('Fund Holdings as of,"May 05, 2026"');
    expect(lines[3]).toMatch(/^Shares Outstanding,"\d{1,3}(,\d{3})*\.\d{2}"$/);
    expect(lines[8]).toBe('\u00a0');
    expect(lines[9]).toBe(HOLDINGS_HEADER);
    expect(lines[9]).toContain('Quantity');
  });

  it('quotes every data cell and writes numbers with thousands separators', () => {
    const first = lines[10]!;
    expect(first.startsWith('"')).toBe(true);
    expect(first.split('","')).toHaveLength(15);
    expect(data.some((r) => /^\d{1,3}(,\d{3})+\.\d{2}$/.test(r[col('Market Value')]!))).toBe(true);
  });

  it('lists every universe ticker as an equity, share classes without their separator', () => {
    const tickers = new Set(data.filter((r) => r[col('Asset Class')] === 'Equity').map((r) => r[0]));
    for (const t of core.market.tickers()) expect(tickers.has(t.holdingsTicker)).toBe(true);
    for (const { holdingsTicker, fmpSymbol } of SHARE_CLASS_TICKERS) {
      expect(tickers.has(holdingsTicker)).toBe(true);
      expect(tickers.has(fmpSymbol)).toBe(false);
    }
  });

  it('mixes in the non-equity rows, the money-market one away from the ends', () => {
    const byTicker = new Map(data.map((r, i) => [r[0]!, { row: r, index: i }]));
    expect(byTicker.get('XTSLA')?.row[col('Asset Class')]).toBe('Money Market');
    const xtsla = byTicker.get('XTSLA')!.index;
    expect(xtsla).toBeGreaterThan(0);
    expect(xtsla).toBeLessThan(data.length - 1);
    expect(byTicker.get('USD')?.row[col('Asset Class')]).toBe('Cash');
    expect(byTicker.get('CAD')?.row[col('FX Rate')]).toBe('1.36');
    expect(byTicker.get('MSFUT')?.row[col('Asset Class')]).toBe('Cash Collateral and Margins');
    const futures = data.find((r) => /^RTY[HMUZ]\d$/.test(r[0]!))!;
    expect(futures[0]).toBe('RTYM6');
    expect(futures[col('Market Value')]).toBe('0.00');
  });

  it('has the junk equity rows of the real file', () => {
    const equities = data.filter((r) => r[col('Asset Class')] === 'Equity');
    expect(equities.filter((r) => r[0] === '-').length).toBeGreaterThanOrEqual(2);
    const cvr = equities.find((r) => r[1]!.includes('CVR'))!;
    expect(equities.filter((r) => r[0] === cvr[0])).toHaveLength(2);
    expect(equities.some((r) => /^[A-Z0-9]{6}$/.test(r[0]!) && /\d/.test(r[0]!))).toBe(true); // escrow like P5N994
    expect(equities.some((r) => / RT$/.test(r[0]!))).toBe(true);
    expect(equities.some((r) => r[col('Exchange')] === 'NO MARKET (E.G. UNLISTED)')).toBe(true);
    expect(equities.some((r) => r[col('Exchange')] === 'Non-Nms Quotation Service (Nnqs)')).toBe(true);
    expect(equities.some((r) => r[col('Price')] === '0.00' && r[col('Exchange')] === 'NASDAQ')).toBe(true);
  });

  it('ends with a no-break-space line and a multi-line quoted footer', () => {
    const nbsp = lines.lastIndexOf('\u00a0');
    expect(nbsp).toBeGreaterThan(9);
    const footer = lines
      .slice(nbsp + 1)
      .join('\n')
      .trim();
    expect(footer.startsWith('"')).toBe(true);
    expect(footer.endsWith('"')).toBe(true);
    expect(footer.split('\n').length).toBeGreaterThan(2);
    expect(footer).toContain('®');
    const last = records.at(-1)!;
    expect(last).toHaveLength(1);
    expect(last[0]).toContain('\n');
  });
});

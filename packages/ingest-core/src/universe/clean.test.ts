import { describe, expect, it } from 'vitest';
import { holdingsCsv, realisticHoldings, syntheticTickers } from '../../test/helpers/holdings.js';
import { IngestError } from '../errors.js';
import { CLASS_LOOKALIKES, CLASS_TICKER_OVERRIDES } from './classes.js';
import { normalizeTicker, parseUniverse, TICKER_SHAPE, validateUniverse } from './clean.js';

describe('parseUniverse on iShares holdings files', () => {
  it('keeps only listed equities and counts every dropped row by reason', () => {
    const { csv, clean } = realisticHoldings(40);
    const parsed = parseUniverse(csv);
    expect(parsed.format).toBe('ishares');
    expect(parsed.entries.map((e) => e.ticker)).toEqual(clean);
    expect(parsed.counts).toEqual({
      read: 51,
      kept: 40,
      dropped: {
        blank: 1,
        not_equity: 3,
        no_ticker: 1,
        cvr: 1,
        escrow: 1,
        rights: 1,
        unlisted: 2,
        zero_price: 1,
        duplicate: 0,
        junk: 0,
      },
    });
    expect(parsed.counts.kept + Object.values(parsed.counts.dropped).reduce((a, b) => a + b)).toBe(
      parsed.counts.read,
    );
    expect(parsed.holdingsAsOf).toBe('2026-05-05');
  });

  it('keeps the name, sector, exchange and weight of each holding', () => {
    const parsed = parseUniverse(
      holdingsCsv([{ ticker: 'ACME', name: 'ACME HOLDINGS INC', weight: '0.21' }]),
    );
    expect(parsed.entries).toEqual([
      { ticker: 'ACME', name: 'ACME HOLDINGS INC', sector: 'Industrials', exchange: 'NASDAQ', weight: 0.21 },
    ]);
  });

  it('finds the header by its columns when the preamble is stripped, and reads Shares files', () => {
    const rows = syntheticTickers(5).map((ticker) => ({ ticker }));
    const stripped = parseUniverse(
      holdingsCsv(rows, { preamble: false, bom: false, quantityHeader: 'Shares' }),
    );
    expect(stripped.format).toBe('ishares');
    expect(stripped.counts.kept).toBe(5);
    expect(stripped.holdingsAsOf).toBeNull();
  });

  it('survives CRLF line ends and the multi-line quoted footer', () => {
    const rows = syntheticTickers(3).map((ticker) => ({ ticker }));
    const parsed = parseUniverse(holdingsCsv(rows, { eol: '\r\n' }));
    expect(parsed.entries.map((e) => e.ticker)).toEqual(['QAAA', 'QAAB', 'QAAC']);
    expect(parsed.counts.read).toBe(3);
  });

  it('merges a ticker listed twice into one entry with the weights added', () => {
    const parsed = parseUniverse(
      holdingsCsv([
        { ticker: 'ACME', weight: '0.10' },
        { ticker: 'ACME', weight: '0.05' },
      ]),
    );
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0]?.weight).toBeCloseTo(0.15);
    expect(parsed.counts.dropped.duplicate).toBe(1);
  });

  it('keeps the stock and drops its CVR when both carry the same ticker', () => {
    const parsed = parseUniverse(
      holdingsCsv([
        { ticker: 'ADRO', name: 'ADURO BIOTECH INC' },
        { ticker: 'ADRO', name: 'ADURO BIOTECH CVR' },
      ]),
    );
    expect(parsed.entries.map((e) => [e.ticker, e.name])).toEqual([['ADRO', 'ADURO BIOTECH INC']]);
    expect(parsed.counts.dropped.cvr).toBe(1);
  });

  it('maps class tickers through the override table and leaves look-alikes alone', () => {
    const rows = [
      { ticker: 'MOGA', exchange: 'New York Stock Exchange Inc.' },
      { ticker: 'GEFB', exchange: 'NYSE' },
      { ticker: 'CRDA', exchange: 'Nyse Mkt Llc' },
      ...CLASS_LOOKALIKES.map((ticker) => ({ ticker })),
    ];
    const parsed = parseUniverse(holdingsCsv(rows));
    const tickers = parsed.entries.map((e) => e.ticker);
    expect(tickers).toEqual(expect.arrayContaining(['MOG-A', 'GEF-B', 'CRD-A', ...CLASS_LOOKALIKES]));
    expect(tickers).not.toContain('MOGA');
    expect(parsed.mapped).toEqual([
      { from: 'CRDA', to: 'CRD-A' },
      { from: 'GEFB', to: 'GEF-B' },
      { from: 'MOGA', to: 'MOG-A' },
    ]);
  });

  it('trims whitespace, NBSP and carriage returns around tickers', () => {
    const parsed = parseUniverse(holdingsCsv([{ ticker: ' ACME\r' }, { ticker: '\u00a0BETA ' }]));
    expect(parsed.entries.map((e) => e.ticker)).toEqual(['ACME', 'BETA']);
  });
});

describe('parseUniverse on plain lists', () => {
  it('reads one ticker per line, mapping dotted classes and dropping blanks and duplicates', () => {
    const parsed = parseUniverse('AAPL\r\n brk.b \n\nMOG.A\nMOGA\nAAPL\n# comment\n');
    expect(parsed.format).toBe('plain');
    expect(parsed.entries.map((e) => e.ticker)).toEqual(['AAPL', 'BRK-B', 'MOG-A']);
    expect(parsed.counts).toMatchObject({ read: 5, kept: 3, dropped: { duplicate: 2 } });
  });

  it('reads the Symbol or Ticker column of a CSV list with names', () => {
    const parsed = parseUniverse('Name,Symbol\n"Acme, Inc.",ACME\nBeta Corp,BETA\n');
    expect(parsed.format).toBe('csv-column');
    expect(parsed.entries).toEqual([
      { ticker: 'ACME', name: 'Acme, Inc.', sector: null, exchange: null, weight: null },
      { ticker: 'BETA', name: 'Beta Corp', sector: null, exchange: null, weight: null },
    ]);
    expect(parseUniverse('ticker\nZETA\n').entries.map((e) => e.ticker)).toEqual(['ZETA']);
  });
});

describe('normalizeTicker', () => {
  it('maps every override and dotted or slashed classes to the dash form', () => {
    for (const [from, to] of Object.entries(CLASS_TICKER_OVERRIDES)) expect(normalizeTicker(from)).toBe(to);
    expect(normalizeTicker('BRK.B')).toBe('BRK-B');
    expect(normalizeTicker('BF/B')).toBe('BF-B');
    expect(normalizeTicker('ry.to')).toBe('RY.TO');
  });

  it('maps every override to a valid FMP ticker shape', () => {
    for (const to of Object.values(CLASS_TICKER_OVERRIDES)) expect(to).toMatch(TICKER_SHAPE);
    for (const t of CLASS_LOOKALIKES) expect(CLASS_TICKER_OVERRIDES[t]).toBeUndefined();
  });
});

describe('validateUniverse', () => {
  function refusal(text: string, minTickers?: number): IngestError {
    try {
      validateUniverse(parseUniverse(text), minTickers === undefined ? {} : { minTickers });
    } catch (error) {
      expect(error).toBeInstanceOf(IngestError);
      expect((error as IngestError).code).toBe('UNIVERSE_INVALID');
      return error as IngestError;
    }
    throw new Error('expected the universe to be refused');
  }

  it('accepts a healthy holdings file of 1,900 tickers at the default minimum', () => {
    expect(() => validateUniverse(parseUniverse(realisticHoldings(1900).csv))).not.toThrow();
  });

  it('refuses the two-row file, naming the count and the minimum', () => {
    const error = refusal('Ticker,ISIN\nUNASSIGNED,UNASSIGNED\n');
    expect(error.message).toMatch(/only 1 tickers after cleaning, at least 1500 required/);
    expect(error.message).toMatch(/invalid shape.*"UNASSIGNED"/);
  });

  it('refuses a file of SEDOL codes and says they look like SEDOL codes', () => {
    const sedols = Array.from({ length: 1600 }, (_, i) => `B${String(i).padStart(5, '0')}${i % 10}`);
    const error = refusal(`Ticker\n${sedols.join('\n')}\n`);
    expect(error.message).toMatch(
      /1600 of 1600 tickers have an invalid shape \(1600 look like SEDOL codes\)/,
    );
    expect(error.message).toContain('"B000000"');
  });

  it('refuses words from company names even when there are enough of them', () => {
    const words = syntheticTickers(1600).map((t) => `${t}CORP`);
    const error = refusal(words.join('\n'));
    expect(error.message).toMatch(/look like words from company names/);
    expect(error.message).not.toMatch(/at least/);
  });

  it('refuses a clean file below a configured minimum and accepts it above', () => {
    const csv = realisticHoldings(40).csv;
    expect(refusal(csv, 41).message).toMatch(/only 40 tickers after cleaning, at least 41 required/);
    expect(() => validateUniverse(parseUniverse(csv), { minTickers: 40 })).not.toThrow();
  });

  it('drops and counts the junk rows of a published list (placeholders, escrow CUSIPs, futures) and keeps the members', () => {
    const members = syntheticTickers(1953);
    const list = `\uFEFFSymbol\r\n${[...members.slice(0, 900), '--', 'P5N994', ...members.slice(900), 'RTYZ5', members[0]].join('\r\n')}\r\n`;
    const parsed = parseUniverse(list);
    expect(parsed.format).toBe('csv-column');
    expect(parsed.entries).toHaveLength(1953);
    expect(parsed.counts).toMatchObject({ read: 1957, kept: 1953, dropped: { junk: 3, duplicate: 1 } });
    expect(() => validateUniverse(parsed)).not.toThrow();
  });

  it('refuses a list whose junk is more than 2% of its rows, saying so', () => {
    const members = syntheticTickers(1600);
    const futures = Array.from({ length: 40 }, (_, i) => `ES${'HMUZ'[i % 4]}${i % 10}`);
    const error = refusal(`Ticker\n${[...members, ...futures].join('\n')}\n`);
    expect(error.message).toMatch(
      /40 of 1640 rows are not tickers \(placeholders, escrow CUSIPs, futures\), more than 2%/,
    );
    expect(() =>
      validateUniverse(parseUniverse(`Ticker\n${[...members, ...futures.slice(0, 32)].join('\n')}\n`)),
    ).not.toThrow();
  });

  it('refuses an empty source', () => {
    expect(refusal('').message).toMatch(/only 0 tickers/);
  });

  it('rejects a nonsensical minimum', () => {
    expect(() => validateUniverse(parseUniverse('A\n'), { minTickers: 0 })).toThrow(/invalid minTickers 0/);
  });
});

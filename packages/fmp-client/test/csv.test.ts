import { describe, expect, it } from 'vitest';
import { parseCsv } from '../src/index.js';
import { fixtureText } from './helpers.js';

describe('parseCsv', () => {
  it('parses the real eod-bulk sample into a header and a row', () => {
    const { records, unterminatedQuote } = parseCsv(
      fixtureText('stable_eod-bulk__fmp_docs_sample_as_csv.csv'),
    );
    expect(unterminatedQuote).toBe(false);
    expect(records).toEqual([
      ['symbol', 'date', 'open', 'low', 'high', 'close', 'adjClose', 'volume'],
      ['EGS745W1C011.CA', '2024-10-22', '2.67', '2.7', '2.9', '2.93', '2.93', '920904'],
    ]);
  });

  it('keeps commas, line breaks and doubled quotes inside quoted fields', () => {
    const { records } = parseCsv('a,b,c\r\n"x, y","line1\nline2","say ""hi"""\r\n');
    expect(records).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'line1\nline2', 'say "hi"'],
    ]);
  });

  it('drops a BOM, skips blank lines and keeps empty fields', () => {
    const { records } = parseCsv('\uFEFFsymbol,dcf\n\nAAA,\n,1\n');
    expect(records).toEqual([
      ['symbol', 'dcf'],
      ['AAA', ''],
      ['', '1'],
    ]);
  });

  it('reports a body that ends inside a quoted field', () => {
    expect(parseCsv('a,b\n"unfinished,1').unterminatedQuote).toBe(true);
  });

  it('keeps a last record without a trailing newline', () => {
    expect(parseCsv('a,b\n1,2').records).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('accepts LF, CRLF and lone CR record ends', () => {
    expect(parseCsv('x,y\r\n1,2\r3,4\n5,6').records).toEqual([
      ['x', 'y'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it("returns iShares' multi-line quoted footer as one one-column record", () => {
    const { records } = parseCsv('h1,h2\n"1","2"\n"Disclaimer line one,\nline “two” ®\n\nend"\n');
    expect(records).toHaveLength(3);
    expect(records[2]).toEqual(['Disclaimer line one,\nline “two” ®\n\nend']);
  });
});

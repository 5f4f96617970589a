import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads quoted cells holding commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,"b,c","say ""hi""","line1\nline2\r\nline3"\n')).toEqual([
      ['a', 'b,c', 'say "hi"', 'line1\nline2\r\nline3'],
    ]);
  });

  it('accepts LF, CRLF and lone CR record ends and drops a byte-order mark', () => {
    expect(parseCsv('\ufeffx,y\r\n1,2\r3,4\n5,6')).toEqual([
      ['x', 'y'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('returns blank lines as one empty cell and adds no record for a trailing newline', () => {
    expect(parseCsv('a\n\nb\n')).toEqual([['a'], [''], ['b']]);
  });

  it('keeps empty cells, including a trailing one', () => {
    expect(parseCsv('a,,c,\n')).toEqual([['a', '', 'c', '']]);
  });

  it('returns a multi-line quoted footer as a single one-column record', () => {
    const records = parseCsv('h1,h2\n"1","2"\n"Disclaimer line one,\nline “two” ®\n\nend"\n');
    expect(records).toHaveLength(3);
    expect(records[2]).toEqual(['Disclaimer line one,\nline “two” ®\n\nend']);
  });
});

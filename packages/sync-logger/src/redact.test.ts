import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_LENGTH, redactAndBound, redactSecrets } from './redact.js';
import { sanitizeMetadata, summarizeError } from './serialize.js';

const KEY = 'Zx9_fmpKEY-0123456789abcdef';

describe('redactSecrets', () => {
  it('removes a given secret wherever it occurs', () => {
    expect(redactSecrets(`key ${KEY} then ${KEY}.`, [KEY])).toBe('key *** then ***.');
  });

  it('removes the URL-encoded spellings of a secret, in either hex case and with + for spaces', () => {
    const secret = 'p@ss w/rd+&=';
    const upper = encodeURIComponent(secret);
    const lower = upper.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    const form = upper.replace(/%20/g, '+');
    const text = `a=${upper} b=${lower} c=${form} d=${secret}`;
    const out = redactSecrets(text, [secret]);
    expect(out).toBe('a=*** b=*** c=*** d=***');
  });

  it('removes a secret that another secret contains, without leaving the rest of the longer one', () => {
    expect(redactSecrets('abcdef and abc', ['abc', 'abcdef'])).toBe('*** and ***');
  });

  it('strips the password from connection strings and keeps the user and host', () => {
    expect(redactSecrets('connect postgres://smart:hunter2@db.internal:5432/app failed', [])).toBe(
      'connect postgres://smart:***@db.internal:5432/app failed',
    );
    expect(redactSecrets('postgresql://u:p%40ss@h/db?sslmode=require')).toBe(
      'postgresql://u:***@h/db?sslmode=require',
    );
  });

  it('strips a password holding unencoded @, / and # (hiding too much rather than too little)', () => {
    const out = redactSecrets('postgres://u:p@ss/w#rd@host:5432/db');
    expect(out).toBe('postgres://u:***@host:5432/db');
  });

  it('leaves URLs without a password alone', () => {
    const text = 'postgres://host:5432/db and https://financialmodelingprep.com/stable/eod?symbol=AAPL';
    expect(redactSecrets(text)).toBe(text);
  });

  it('removes apikey query values, also inside a percent-encoded URL', () => {
    expect(redactSecrets('GET https://x.test/stable/eod?symbol=AAPL&apikey=abc123&from=2026-01-01')).toBe(
      'GET https://x.test/stable/eod?symbol=AAPL&apikey=***&from=2026-01-01',
    );
    expect(redactSecrets('next=%2Feod%3Fapikey%3Dabc123%26symbol%3DA')).toBe(
      'next=%2Feod%3Fapikey%3D***%26symbol%3DA',
    );
    expect(redactSecrets('?api_key=abc&token=t0k&password=pw')).toBe('?api_key=***&token=***&password=***');
  });

  it('removes apikey headers, JSON fields and bearer tokens', () => {
    expect(redactSecrets('apikey: abc123')).toBe('apikey: ***');
    expect(redactSecrets('X-Api-Key:abc123')).toBe('X-Api-Key:***');
    expect(redactSecrets('{"apikey":"abc123","symbol":"A"}')).toBe('{"apikey":"***","symbol":"A"}');
    expect(redactSecrets('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig')).toBe(
      'Authorization: Bearer ***',
    );
  });

  it('leaves ordinary error text alone', () => {
    const text = 'password authentication failed for user "postgres"; 12 of 1912 tickers failed';
    expect(redactSecrets(text, [])).toBe(text);
  });

  it('ignores empty secrets', () => {
    expect(redactSecrets('abc', ['', 'zzz'])).toBe('abc');
  });
});

describe('redactAndBound', () => {
  it('keeps short text as it is', () => {
    expect(redactAndBound('all good', [], 4000)).toBe('all good');
  });

  it('cuts long text to the bound and says how long it was', () => {
    const out = redactAndBound('x'.repeat(100_000), [], DEFAULT_MAX_MESSAGE_LENGTH);
    expect(out).toHaveLength(DEFAULT_MAX_MESSAGE_LENGTH);
    expect(out.endsWith('… [truncated; 100000 characters in total]')).toBe(true);
  });

  it('redacts before cutting, so no fragment of a secret survives at the cut', () => {
    const text = `${'y'.repeat(3990)}${KEY}${'z'.repeat(50)}`;
    const out = redactAndBound(text, [KEY], 4000);
    for (let n = 4; n <= KEY.length; n++) expect(out).not.toContain(KEY.slice(0, n));
    expect(out).toContain('truncated');
  });

  it('redacts a secret far beyond the bound in a huge text too', () => {
    const out = redactAndBound(`${KEY} ${'q'.repeat(2_000_000)} ${KEY}`, [KEY], 4000);
    expect(out).not.toContain(KEY.slice(0, 6));
    expect(out).toContain('2000056 characters in total');
  });

  it('replaces NUL characters, which PostgreSQL text and jsonb refuse', () => {
    expect(redactAndBound('a\u0000b', [], 4000)).toBe('a\uFFFDb');
  });

  it('never cuts a surrogate pair in half', () => {
    const marker = '… [truncated; 300 characters in total]';
    const keep = 200 - marker.length;
    const text = `${'a'.repeat(keep - 1)}😀${'b'.repeat(300 - keep - 1)}`;
    const out = redactAndBound(text, [], 200);
    expect(out.startsWith('a'.repeat(keep - 1) + marker)).toBe(true);
  });
});

describe('summarizeError', () => {
  it('gives name, code and message of the error and its causes, without the stack', () => {
    const root = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const error = new Error('request failed', { cause: root });
    const out = summarizeError(error);
    expect(out).toBe('Error: request failed <- caused by: Error [ECONNRESET]: socket hang up');
    expect(out).not.toContain(' at ');
  });

  it('stops at a cause cycle and at a deep chain', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(summarizeError(a)).toBe('Error: a <- caused by: Error: b');
    let deep: Error = new Error('e0');
    for (let i = 1; i < 20; i++) deep = new Error(`e${i}`, { cause: deep });
    expect(summarizeError(deep).split(' <- caused by: ')).toHaveLength(7);
  });

  it('lists the first errors of an AggregateError', () => {
    const out = summarizeError(
      new AggregateError([new Error('x'), new Error('y'), 'z', new Error('w')], 'all failed'),
    );
    expect(out).toBe('AggregateError: all failed (Error: x; Error: y; z; +1 more)');
  });

  it('describes thrown values that are not errors', () => {
    expect(summarizeError('plain')).toBe('plain');
    expect(summarizeError({ status: 500 })).toBe('{"status":500}');
    expect(summarizeError(undefined)).toBe('undefined (no error value)');
  });
});

describe('sanitizeMetadata', () => {
  it('redacts and bounds strings at any depth, keys included', () => {
    const out = sanitizeMetadata(
      {
        url: `https://x.test/eod?apikey=${KEY}`,
        nested: [{ note: `key ${KEY}` }],
        [KEY]: 1,
        long: 'l'.repeat(5000),
      },
      [KEY],
      4000,
    );
    expect(JSON.stringify(out)).not.toContain(KEY);
    expect(out).toMatchObject({
      url: 'https://x.test/eod?apikey=***',
      nested: [{ note: 'key ***' }],
      '***': 1,
    });
    expect((out.long as string).length).toBe(4000);
  });

  it('turns values JSON cannot hold into ones it can', () => {
    const circular: Record<string, unknown> = { name: 'c' };
    circular.self = circular;
    const out = sanitizeMetadata(
      {
        when: new Date('2026-03-02T05:00:00.000Z'),
        big: 12n,
        huge: 2n ** 70n,
        nan: Number.NaN,
        gone: undefined,
        fn: () => 1,
        error: new Error('boom'),
        set: new Set([1, 2]),
        map: new Map([['k', 'v']]),
        circular,
      },
      [],
      4000,
    );
    expect(out).toEqual({
      when: '2026-03-02T05:00:00.000Z',
      big: 12,
      huge: '1180591620717411303424',
      nan: null,
      error: 'Error: boom',
      set: [1, 2],
      map: { k: 'v' },
      circular: { name: 'c', self: '[circular]' },
    });
  });
});

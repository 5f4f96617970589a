import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_MESSAGE_LENGTH, MIN_SECRET_LENGTH, redactAndBound, redactSecrets } from './redact.js';

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
    expect(redactSecrets('abcdefgh and abcd', ['abcd', 'abcdefgh'])).toBe('*** and ***');
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

  it('ignores empty secrets and those shorter than MIN_SECRET_LENGTH, which would garble every line', () => {
    expect(MIN_SECRET_LENGTH).toBe(4);
    expect(redactSecrets('abc abcd', ['', 'abc'])).toBe('abc abcd');
    expect(redactSecrets('abc abcd', ['abcd'])).toBe('abc ***');
    // A short password still never survives inside a connection string.
    expect(redactSecrets('postgresql://app:pw@db:5432/prod', ['pw'])).toBe(
      'postgresql://app:***@db:5432/prod',
    );
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

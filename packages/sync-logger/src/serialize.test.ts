import { describe, expect, it } from 'vitest';
import { sanitizeMetadata, summarizeError } from './serialize.js';

const KEY = 'Zx9_fmpKEY-0123456789abcdef';

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

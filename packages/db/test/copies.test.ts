import { describe, expect, it } from 'vitest';
import * as self from '../src/index.js';
import { testBackends } from './helpers/backends.js';

// The built package (turbo builds it before the tests) is a second copy of @smartstock/db: what a service gets
// when its own version sits beside the one ingest-core depends on.
const other = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof self;

describe('errors from another copy of the package', () => {
  it('are recognised by isDatabaseError and instanceof, with their code', () => {
    const error = new other.DatabaseError('WRITE_FAILED', 'could not write');
    expect(self.isDatabaseError(error)).toBe(true);
    expect(self.isDatabaseError(error, 'WRITE_FAILED')).toBe(true);
    expect(self.isDatabaseError(error, 'INVALID_URL')).toBe(false);
    expect(error instanceof self.DatabaseError).toBe(true);
    expect(other.isDatabaseError(new self.DatabaseError('INVALID_URL', 'bad'))).toBe(true);
  });

  it('does not take a look-alike error for a database error', () => {
    const fake = Object.assign(new Error('x'), { name: 'DatabaseError', code: 'WRITE_FAILED' });
    expect(self.isDatabaseError(fake)).toBe(false);
    expect(fake instanceof self.DatabaseError).toBe(false);
  });
});

describe.each(testBackends())('a database handle from another copy on $name', (backend) => {
  it('migrates, writes and reads through the other copy', async () => {
    const { db } = await backend.fresh();
    await other.migrate(db);
    const lock = await other.tryAcquireRunLock(db);
    expect(lock).not.toBeNull();
    await lock!.release();
    const written = await other.writePrices(db, [
      {
        ticker: 'AAAB',
        date: '2026-05-08',
        open: 1,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: 100,
        vwap: null,
        change: null,
        changePercent: null,
        source: 'fmp',
      },
    ]);
    expect(written.inserted).toBe(1);
    expect(
      await self.readPrices(db, { tickers: ['AAAB'], from: '2026-05-08', to: '2026-05-08' }),
    ).toHaveLength(1);
  });
});

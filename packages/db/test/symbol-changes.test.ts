import { describe, expect, it } from 'vitest';
import {
  DatabaseError,
  migrate,
  readSymbolChanges,
  readSyncState,
  type SymbolChangeRow,
  writeSymbolChanges,
  writeSyncState,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

const NEP: SymbolChangeRow = {
  oldSymbol: 'NEP',
  newSymbol: 'XIFR',
  date: '2025-02-03',
  companyName: 'XPLR Infrastructure, LP',
};
const OTHER: SymbolChangeRow = {
  oldSymbol: 'ABCD',
  newSymbol: 'ABCE',
  date: '2024-06-10',
  companyName: null,
};

describe.each(testBackends())('symbol changes on $name', (backend) => {
  it('stores renames once: writing the same rows again inserts and updates nothing', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    expect(await writeSymbolChanges(db, [NEP, OTHER])).toEqual({ inserted: 2, updated: 0 });
    const first = await readSymbolChanges(db);
    expect(first.map(({ firstSeenAt: _, ...rest }) => rest)).toEqual([OTHER, NEP]);
    expect(first[0]!.firstSeenAt).toBeInstanceOf(Date);

    expect(await writeSymbolChanges(db, [NEP, OTHER])).toEqual({ inserted: 0, updated: 0 });
    const again = await readSymbolChanges(db);
    expect(again.map((r) => r.firstSeenAt.getTime())).toEqual(first.map((r) => r.firstSeenAt.getTime()));
  });

  it('replaces a revised company name and keeps when the rename was first seen', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await writeSymbolChanges(db, [NEP]);
    const [before] = await readSymbolChanges(db);
    expect(await writeSymbolChanges(db, [{ ...NEP, companyName: 'XPLR Infrastructure' }])).toEqual({
      inserted: 0,
      updated: 1,
    });
    const [after] = await readSymbolChanges(db);
    expect(after).toMatchObject({ companyName: 'XPLR Infrastructure', firstSeenAt: before!.firstSeenAt });
  });

  it('reads only the renames touching the given symbols, by old or new symbol', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await writeSymbolChanges(db, [NEP, OTHER]);
    expect((await readSymbolChanges(db, { symbols: ['XIFR'] })).map((r) => r.oldSymbol)).toEqual(['NEP']);
    expect((await readSymbolChanges(db, { symbols: ['ABCD', 'NEP'] })).map((r) => r.oldSymbol)).toEqual([
      'ABCD',
      'NEP',
    ]);
    expect(await readSymbolChanges(db, { symbols: [] })).toEqual([]);
  });

  it('refuses a rename to the same symbol or with a bad date, writing nothing', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await expect(writeSymbolChanges(db, [NEP, { ...OTHER, newSymbol: 'ABCD' }])).rejects.toThrow(
      /symbol change row 1: oldSymbol and newSymbol are both ABCD/,
    );
    await expect(writeSymbolChanges(db, [{ ...NEP, date: '2025-02-30' }])).rejects.toBeInstanceOf(
      DatabaseError,
    );
    expect(await readSymbolChanges(db)).toEqual([]);
  });

  it('remembers a sync state value under its key until it is replaced or deleted', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const key = 'fmp.symbol-change.refused';
    expect(await readSyncState(db, key)).toBeNull();
    const at = new Date('2026-05-05T22:00:00.000Z');
    await writeSyncState(db, key, { status: 402, at: at.toISOString() }, { at });
    expect(await readSyncState(db, key)).toEqual({
      value: { status: 402, at: '2026-05-05T22:00:00.000Z' },
      updatedAt: at,
    });
    await writeSyncState(db, key, null, { at });
    expect(await readSyncState(db, key)).toBeNull();
    await expect(readSyncState(db, 'Bad Key')).rejects.toThrow(/key must be/);
  });
});

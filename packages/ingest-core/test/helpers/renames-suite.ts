import { readSymbolChanges, readSyncState, replaceUniverse } from '@smartstock/db';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDailySync } from '../../src/sync.js';
import { SYMBOL_CHANGE_REFUSED_KEY, SYMBOL_CHANGE_REFUSED_MESSAGE } from '../../src/tasks/prices/renames.js';
import {
  type BackendKind,
  FIXED_NOW,
  openTestDatabase,
  sandboxClient,
  startTestSandbox,
  type TestDatabase,
} from './env.js';
import { recordingLogger } from './logger.js';

const clock = () => FIXED_NOW;
/** The next night: Monday 2026-05-11 after the close. */
const NEXT_NIGHT = new Date('2026-05-11T22:00:00Z');

/** Renames followed by the prices task (ingest_market_data), on one backend, with a pinned clock. */
export function defineRenamesSuite(kind: BackendKind): void {
  describe(`renames followed by the nightly prices task (${kind})`, () => {
    let sandbox: Sandbox;
    let tickers: string[];

    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 60 });
      tickers = sandbox.market.fmpSymbols().slice(0, 3);
    });
    afterAll(async () => {
      await sandbox?.stop();
    });

    async function withDb(fn: (t: TestDatabase) => Promise<void>): Promise<void> {
      const t = await openTestDatabase(kind);
      try {
        // The universe (the tickers table) is what a rename must touch to be kept.
        await replaceUniverse(
          t.db,
          tickers.map((ticker) => ({ ticker, name: null, sector: null, exchange: null, weight: null })),
          { asOf: '2026-05-01' },
        );
        await fn(t);
      } finally {
        sandbox.update({ renames: [], outsidePlan: [] });
        sandbox.resetCounters();
        await t.dispose();
      }
    }

    const night = (t: TestDatabase, at: Date, logger = recordingLogger()) =>
      runDailySync(
        { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock: () => at, logger },
        { tickers, tasks: ['prices'] },
      );

    it('stores a rename touching the universe once, and ignores one that does not', async () => {
      await withDb(async (t) => {
        sandbox.update({
          renames: [
            { date: '2026-05-04', oldSymbol: 'OLDX', newSymbol: tickers[0]!, companyName: 'Renamed Corp' },
            { date: '2026-05-05', oldSymbol: 'ZZZOLD', newSymbol: 'ZZZNEW', companyName: 'Elsewhere Inc' },
          ],
        });
        const first = await night(t, FIXED_NOW);
        expect(first.tasks.map((x) => [x.taskName, x.status])).toEqual([['ingest_market_data', 'success']]);
        expect(first.tasks[0]!.metadata.symbolChanges).toEqual({ read: 2, stored: 1 });
        const stored = await readSymbolChanges(t.db);
        expect(stored.map(({ firstSeenAt: _, ...rest }) => rest)).toEqual([
          { oldSymbol: 'OLDX', newSymbol: tickers[0], date: '2026-05-04', companyName: 'Renamed Corp' },
        ]);

        const again = await night(t, NEXT_NIGHT);
        expect(again.tasks[0]!.metadata.symbolChanges).toEqual({ read: 2, stored: 0 });
        expect((await readSymbolChanges(t.db)).map((r) => r.firstSeenAt)).toEqual([stored[0]!.firstSeenAt]);
        expect(sandbox.counters().byEndpoint['symbol-change']?.total).toBe(2);
      });
    });

    it('asks once when the plan answers 402: one warning, remembered, and the next night does not ask', async () => {
      await withDb(async (t) => {
        sandbox.update({ outsidePlan: ['symbol-change'] });
        const firstLog = recordingLogger();
        const first = await night(t, FIXED_NOW, firstLog);
        expect(first.tasks[0]!.status).toBe('success');
        expect(first.tasks[0]!.rowsInserted).toBeGreaterThan(0);
        expect(first.tasks[0]!.metadata.symbolChanges).toEqual({
          read: 0,
          stored: 0,
          skipped: 'not in the FMP plan (402)',
        });
        expect(firstLog.lines.filter((l) => l.message === SYMBOL_CHANGE_REFUSED_MESSAGE)).toEqual([
          {
            level: 'warn',
            message: SYMBOL_CHANGE_REFUSED_MESSAGE,
            fields: expect.objectContaining({ status: 402 }),
          },
        ]);
        expect((await readSyncState(t.db, SYMBOL_CHANGE_REFUSED_KEY))?.value).toMatchObject({
          at: FIXED_NOW.toISOString(),
        });

        const secondLog = recordingLogger();
        const second = await night(t, NEXT_NIGHT, secondLog);
        expect(second.tasks[0]!.status).toBe('success');
        expect(second.tasks[0]!.metadata.symbolChanges).toEqual({
          read: 0,
          stored: 0,
          skipped: 'not in the FMP plan (402 on 2026-05-08); asked again after 30 days',
        });
        expect(secondLog.lines.filter((l) => l.level === 'warn')).toEqual([]);
        expect(sandbox.counters().byEndpoint['symbol-change']).toEqual({ total: 1, byStatus: { '402': 1 } });
        expect(await readSymbolChanges(t.db)).toEqual([]);
      });
    });
  });
}

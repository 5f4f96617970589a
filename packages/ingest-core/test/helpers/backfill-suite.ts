import { getCompletedWindows } from '@smartstock/db';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDailySync } from '../../src/sync.js';
import {
  type BackendKind,
  FIXED_NOW,
  openTestDatabase,
  priceTable,
  sandboxClient,
  startTestSandbox,
} from './env.js';

const FULL = 'historical-price-eod/full';

function fullRequests(sandbox: Sandbox): number {
  return sandbox.counters().byEndpoint[FULL]?.total ?? 0;
}

/** History backfill (resumable) and split awareness, once per backend. */
export function defineBackfillSuite(kind: BackendKind): void {
  describe(`history backfill and splits (${kind})`, () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 60 });
    });
    afterAll(async () => {
      await sandbox?.stop();
    });

    it('backfills years in 5-year windows and skips the recorded windows on a rerun', async () => {
      const t = await openTestDatabase(kind);
      try {
        const tickers = sandbox.market.fmpSymbols().slice(0, 5);
        const from = '2016-06-01';
        const to = '2026-05-08';
        const deps = {
          db: t.db,
          fmp: () => sandboxClient(sandbox),
          dataDir: t.dataDir,
          clock: () => FIXED_NOW,
        };
        sandbox.resetCounters();
        const first = await runDailySync(deps, { tickers, from, to, tasks: ['prices'] });
        expect(first.status).toBe('success');
        expect(fullRequests(sandbox)).toBe(5 * 3);
        const expected = tickers.reduce((n, s) => n + sandbox.market.bars(s, from, to).length, 0);
        expect(expected).toBeGreaterThan(5 * 2400);
        expect(first.tasks[0]!.rowsInserted).toBe(expected);
        expect(await priceTable(t.db)).toHaveLength(expected);
        expect((await getCompletedWindows(t.db, tickers)).length).toBe(15);
        // History calls are large: a backfill keeps at most 10 in flight whatever the configured concurrency.
        expect(first.tasks[0]!.metadata.concurrency).toBe(10);

        sandbox.resetCounters();
        const again = await runDailySync(deps, { tickers, from, to, tasks: ['prices'] });
        expect(fullRequests(sandbox)).toBe(0);
        expect(again.status).toBe('success');
        expect(again.rowsUpdated).toBe(0);
        expect(again.tasks[0]!.metadata.backfill).toEqual({ chunks: 3, windowsSkipped: 15 });
      } finally {
        await t.dispose();
      }
    });

    it('resumes an interrupted backfill without fetching the completed windows again', async () => {
      const t = await openTestDatabase(kind);
      try {
        const tickers = sandbox.market.fmpSymbols().slice(5, 11);
        const from = '2011-01-01';
        const to = '2026-05-08';
        const deps = {
          db: t.db,
          fmp: () => sandboxClient(sandbox, { maxConcurrent: 1 }),
          dataDir: t.dataDir,
          clock: () => FIXED_NOW,
        };
        sandbox.resetCounters();
        sandbox.update({ revokeKeyAfter: 7 });
        const cut = await runDailySync(deps, { tickers, from, to, tasks: ['prices'], concurrency: 1 });
        sandbox.update({ revokeKeyAfter: null });
        expect(cut.status).toBe('failed');
        const done = await getCompletedWindows(t.db, tickers);
        expect(done.length).toBeGreaterThan(0);
        expect(done.length).toBeLessThan(tickers.length * 4);

        sandbox.resetCounters();
        const resumed = await runDailySync(deps, { tickers, from, to, tasks: ['prices'] });
        expect(resumed.status).toBe('success');
        expect(fullRequests(sandbox)).toBe(tickers.length * 4 - done.length);
        const expected = tickers.reduce((n, s) => n + sandbox.market.bars(s, from, to).length, 0);
        expect(await priceTable(t.db)).toHaveLength(expected);
      } finally {
        await t.dispose();
      }
    });

    it('notices a split on overlapping days and re-backfills only that ticker', async () => {
      const t = await openTestDatabase(kind);
      const split = await startTestSandbox({ tickers: 60, now: () => new Date('2026-05-06T22:00:00Z') });
      try {
        const [a, b, c] = split.market.fmpSymbols();
        const tickers = [a!, b!, c!];
        const from = '2026-01-02';
        const before = new Date('2026-05-06T22:00:00Z');
        await runDailySync(
          { db: t.db, fmp: () => sandboxClient(split), dataDir: t.dataDir, clock: () => before },
          { tickers, from, to: '2026-05-06', tasks: ['prices'] },
        );
        split.update({ now: FIXED_NOW, splits: [{ symbol: a!, date: '2026-05-07', ratio: 2 }] });
        split.resetCounters();
        const nightly = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(split), dataDir: t.dataDir, clock: () => FIXED_NOW },
          { tickers, tasks: ['prices'] },
        );
        expect(nightly.status).toBe('success');
        const detected = nightly.tasks[0]!.metadata.splitsDetected as {
          ticker: string;
          refetched: unknown;
        }[];
        expect(detected.map((s) => s.ticker)).toEqual([a]);
        expect(detected[0]!.refetched).toMatchObject({ from, to: '2026-05-08' });
        // One call per ticker for the window, plus the one re-backfill call of the split ticker.
        expect(fullRequests(split)).toBe(4);
        const stored = await priceTable(t.db);
        for (const symbol of tickers) {
          const want = split.market
            .bars(symbol, from, '2026-05-08')
            .map((bar) => ({ date: bar.date, close: bar.close, volume: String(bar.volume) }))
            .sort((x, y) => (x.date < y.date ? -1 : 1));
          const got = stored
            .filter((r) => r.ticker === symbol)
            .map((r) => ({ date: r.date, close: r.close, volume: r.volume }));
          expect(got, symbol).toEqual(want);
        }
      } finally {
        await split.stop();
        await t.dispose();
      }
    });
  });
}

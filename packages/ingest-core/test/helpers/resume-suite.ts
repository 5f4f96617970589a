import type { Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/calendar.js';
import { runDailySync } from '../../src/sync.js';
import { type BackendKind, FIXED_NOW, openTestDatabase, sandboxClient, startTestSandbox } from './env.js';

const FULL = 'historical-price-eod/full';

function fullRequests(sandbox: Sandbox): number {
  return sandbox.counters().byEndpoint[FULL]?.total ?? 0;
}

/**
 * When a rerun of a backfill may skip a window, once per backend. Every clock is pinned, so each case holds on
 * any day; CI also runs the embedded file under shifted clocks and a far time zone (scripts/test-all.mjs).
 */
export function defineResumeSuite(kind: BackendKind): void {
  describe(`resuming a backfill (${kind})`, () => {
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 60 });
    });
    afterAll(async () => {
      await sandbox?.stop();
    });

    // Windows ending on each day of one week (Monday 2026-04-13 .. Sunday 2026-04-19), on Good Friday
    // (2026-04-03, a holiday) and on a Thursday before an early close: the clock is fixed, so every one of
    // them is checked on every run, whatever day the suite runs on.
    const ENDS = [
      '2026-04-13',
      '2026-04-14',
      '2026-04-15',
      '2026-04-16',
      '2026-04-17',
      '2026-04-18',
      '2026-04-19',
      '2026-04-03',
    ];
    it('makes no request when a completed backfill is rerun, whatever day its window ends on', async () => {
      const t = await openTestDatabase(kind);
      try {
        const deps = {
          db: t.db,
          fmp: () => sandboxClient(sandbox),
          dataDir: t.dataDir,
          clock: () => FIXED_NOW,
        };
        for (const [i, to] of ENDS.entries()) {
          const tickers = sandbox.market.fmpSymbols().slice(20 + 2 * i, 22 + 2 * i);
          const from = addDays(to, -12);
          sandbox.resetCounters();
          const first = await runDailySync(deps, { tickers, from, to, tasks: ['prices'] });
          expect(first.status, to).toBe('success');
          expect(fullRequests(sandbox), `${to}: first run`).toBe(2);
          sandbox.resetCounters();
          const again = await runDailySync(deps, { tickers, from, to, tasks: ['prices'] });
          expect(fullRequests(sandbox), `${to}: rerun`).toBe(0);
          expect(again.status, to).toBe('success');
          expect(again.tasks[0]!.metadata.backfill, to).toEqual({ chunks: 1, windowsSkipped: 2 });
        }
      } finally {
        await t.dispose();
      }
    });

    it('fetches a window again on a rerun while its last session has not closed', async () => {
      const t = await openTestDatabase(kind);
      try {
        // Friday 2026-05-08 at 11:00 New York: Friday's session is open, the window's last bar not yet made.
        const morning = new Date('2026-05-08T15:00:00Z');
        const early = await startTestSandbox({ tickers: 60, now: () => morning });
        try {
          const deps = {
            db: t.db,
            fmp: () => sandboxClient(early),
            dataDir: t.dataDir,
            clock: () => morning,
          };
          const tickers = early.market.fmpSymbols().slice(40, 42);
          const window = { from: '2026-05-01', to: '2026-05-08', tasks: ['prices'] as const };
          await runDailySync(deps, { tickers, ...window, tasks: [...window.tasks] });
          early.resetCounters();
          const again = await runDailySync(deps, { tickers, ...window, tasks: [...window.tasks] });
          expect(fullRequests(early)).toBe(2);
          expect(again.tasks[0]!.metadata.backfill).toEqual({ chunks: 1, windowsSkipped: 0 });
        } finally {
          await early.stop();
        }
      } finally {
        await t.dispose();
      }
    });
  });
}

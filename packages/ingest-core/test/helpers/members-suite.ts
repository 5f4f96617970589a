import { type Database, membersOn, readHistoryStarts, readMemberships, readSyncState } from '@smartstock/db';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionsBetween } from '../../src/calendar.js';
import type { TaskSummary } from '../../src/summary.js';
import { runDailySync, type SyncOptions } from '../../src/sync.js';
import { HISTORY_DEPTH_402_KEY } from '../../src/tasks/repair.js';
import {
  type BackendKind,
  FIXED_NOW,
  openTestDatabase,
  sandboxClient,
  startTestSandbox,
  syncLogs,
  type TestDatabase,
} from './env.js';
import { holdingsCsv } from './holdings.js';
import { recordingLogger } from './logger.js';

const FULL = 'historical-price-eod/full';
const SOURCE = 'https://holdings.test/IWM_holdings.csv';
/** The members' stored history starts here; new members are backfilled to it (the clock: Friday 2026-05-08). */
const HISTORY_FROM = '2026-01-05';

async function barDates(db: Database, ticker: string): Promise<string[]> {
  const rows = await db.query<{ date: string }>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date FROM stock_prices WHERE ticker = $1 ORDER BY date`,
    [ticker],
  );
  return rows.map((r) => r.date);
}

/**
 * Universe changes on one backend, against the sandbox with pinned clocks: a ticker that joins is backfilled
 * to historyFrom by the repair within its request cap, one that leaves keeps its rows and is inactive, and
 * membership is recorded as intervals per fund.
 */
export function defineMembersSuite(kind: BackendKind): void {
  describe(`universe changes (${kind})`, () => {
    let sandbox: Sandbox;
    let symbols: string[];
    const opened: TestDatabase[] = [];

    const fullRequests = () => sandbox.counters().byEndpoint[FULL]?.total ?? 0;
    async function fresh(): Promise<TestDatabase> {
      const t = await openTestDatabase(kind);
      opened.push(t);
      return t;
    }
    /** One run of `options` with the clock at `now`, the universe read from `members` when given. */
    async function night(
      t: TestDatabase,
      options: SyncOptions,
      extra: { now?: Date; members?: string[]; logger?: ReturnType<typeof recordingLogger> } = {},
    ) {
      const csv = holdingsCsv((extra.members ?? []).map((ticker) => ({ ticker })));
      sandbox.resetCounters();
      return runDailySync(
        {
          db: t.db,
          fmp: () => sandboxClient(sandbox),
          dataDir: t.dataDir,
          clock: () => extra.now ?? FIXED_NOW,
          fetchText: async () => csv,
          ...(extra.logger ? { logger: extra.logger } : {}),
        },
        { tickersSource: SOURCE, minTickers: 1, ...options },
      );
    }
    function repairOf(summary: Awaited<ReturnType<typeof runDailySync>>): TaskSummary {
      const task = summary.tasks.find((x) => x.taskName === 'repair_price_gaps');
      expect(task, 'the repair ran').toBeDefined();
      return task!;
    }
    /** Members `old` with history since HISTORY_FROM; then `joining` join and the night's prices run. */
    async function universeWithNewMembers(t: TestDatabase, old: string[], joining: string[]): Promise<void> {
      // The fund's first recorded day is a week earlier: the joiners joined after it.
      await night(t, { tasks: ['tickers'] }, { members: old, now: new Date('2026-05-01T22:00:00Z') });
      const seeded = await night(t, { tasks: ['prices'], from: HISTORY_FROM, to: '2026-05-08' });
      expect(seeded.status).toBe('success');
      const joined = await night(t, { tasks: ['tickers', 'prices'] }, { members: [...old, ...joining] });
      expect(joined.status).toBe('success');
      expect(joined.tasks[0]!.metadata).toMatchObject({ joined: joining.length, left: 0 });
    }

    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 60 });
      symbols = sandbox.market
        .fmpSymbols()
        .filter((s) => /^[A-Z]{3,4}$/.test(s))
        .slice(0, 5)
        .sort();
      expect(symbols).toHaveLength(5);
    });
    afterAll(async () => {
      for (const t of opened) await t.dispose();
      await sandbox?.stop();
    });

    it('backfills a new member from historyFrom over two nights when the cap is small, then asks nothing more', async () => {
      const t = await fresh();
      const [a, b, c, d, e] = symbols as [string, string, string, string, string];
      await universeWithNewMembers(t, [a, b, c], [d, e]);
      // a, b and c are the fund's founding members (the first recorded day): only d and e joined.
      // The night's prices gave the new members their last sessions only.
      expect((await barDates(t.db, d))[0]).toBe('2026-05-04');

      const first = repairOf(
        await night(t, { tasks: ['repair'], repairMaxRequests: 1, historyFrom: HISTORY_FROM }),
      );
      expect(first.status).toBe('success');
      expect(fullRequests()).toBe(1);
      expect(first.metadata).toMatchObject({
        requests: 1,
        tickersWithGaps: 0,
        backfill: {
          historyFrom: HISTORY_FROM,
          from: HISTORY_FROM,
          tickers: 2,
          requests: 1,
          leftForNextNight: 1,
        },
      });
      // Alphabetical: the first new member tonight, the other one the next night.
      expect(await barDates(t.db, d)).toEqual(sessionsBetween(HISTORY_FROM, '2026-05-08'));
      expect((await barDates(t.db, e))[0]).toBe('2026-05-04');

      const second = repairOf(
        await night(t, { tasks: ['repair'], repairMaxRequests: 1, historyFrom: HISTORY_FROM }),
      );
      expect(fullRequests()).toBe(1);
      expect(second.metadata).toMatchObject({ backfill: { tickers: 1, requests: 1, leftForNextNight: 0 } });
      expect(await barDates(t.db, e)).toEqual(sessionsBetween(HISTORY_FROM, '2026-05-08'));

      const third = repairOf(
        await night(t, { tasks: ['repair'], repairMaxRequests: 1, historyFrom: HISTORY_FROM }),
      );
      expect(fullRequests()).toBe(0);
      expect(third.metadata).toMatchObject({ requests: 0, backfill: { tickers: 0, requests: 0 } });
      const [log] = (await syncLogs(t.db)).filter((l) => l.task_name === 'repair_price_gaps');
      expect(log!.status).toBe('success');
    });

    it('remembers where a ticker history starts when FMP has nothing earlier, and never asks for that range again', async () => {
      const t = await fresh();
      const [a, , , d] = symbols as [string, string, string, string];
      await universeWithNewMembers(t, [a], [d]);
      // FMP's history of d begins on 2026-03-02 (a halt on every session before it stands for its listing).
      const before = sessionsBetween(HISTORY_FROM, '2026-02-27');
      sandbox.update({ halts: before.map((date) => ({ symbol: d, date })) });
      try {
        const first = repairOf(await night(t, { tasks: ['repair'], historyFrom: HISTORY_FROM }));
        expect(first.metadata).toMatchObject({ backfill: { requests: 1, historyStarts: 1 } });
        expect((await barDates(t.db, d))[0]).toBe('2026-03-02');
        expect(await readHistoryStarts(t.db, { tickers: [d] })).toEqual([
          { ticker: d, firstBar: '2026-03-02', historyStart: '2026-03-02', joinedOn: null, founding: false },
        ]);
        // An earlier historyFrom: d's start is known, so d is not asked again (a, a founding member, is not
        // backfilled: its history is an explicit backfill's).
        const again = repairOf(await night(t, { tasks: ['repair'], historyFrom: '2025-06-02' }));
        expect(again.metadata).toMatchObject({ backfill: { tickers: 0, requests: 0 } });
        expect(fullRequests()).toBe(0);
      } finally {
        sandbox.update({ halts: [] });
      }
    });

    it('keeps the rows of a ticker that leaves, marks it inactive, and membersOn shows its interval', async () => {
      const t = await fresh();
      const [a, b, c] = symbols as [string, string, string];
      const day1 = new Date('2026-05-06T22:00:00Z');
      const day2 = new Date('2026-05-07T22:00:00Z');
      await night(t, { tasks: ['tickers'] }, { members: [a, b, c], now: day1 });
      await night(t, { tasks: ['prices'] }, { now: day1 });
      const rows = await barDates(t.db, c);
      expect(rows.length).toBeGreaterThan(0);
      const left = await night(t, { tasks: ['tickers'] }, { members: [a, b], now: day2 });
      expect(left.tasks[0]!.metadata).toMatchObject({ joined: 0, left: 1, removed: 1 });
      expect(await barDates(t.db, c)).toEqual(rows);
      const [state] = await t.db.query<{ active: boolean }>('SELECT active FROM tickers WHERE ticker = $1', [
        c,
      ]);
      expect(state!.active).toBe(false);
      expect(await membersOn(t.db, { fund: 'IWM', date: '2026-05-06' })).toEqual([a, b, c]);
      expect(await membersOn(t.db, { fund: 'IWM', date: '2026-05-07' })).toEqual([a, b]);
      expect(await readMemberships(t.db, { fund: 'IWM', ticker: c })).toEqual([
        { fund: 'IWM', ticker: c, joinedOn: '2026-05-06', leftOn: '2026-05-07' },
      ]);
    });

    it('gives a ticker that leaves and rejoins two membership intervals', async () => {
      const t = await fresh();
      const [a, b, c] = symbols as [string, string, string];
      await night(t, { tasks: ['tickers'] }, { members: [a, b, c], now: new Date('2026-05-04T22:00:00Z') });
      await night(t, { tasks: ['tickers'] }, { members: [a, b], now: new Date('2026-05-05T22:00:00Z') });
      const back = await night(
        t,
        { tasks: ['tickers'] },
        { members: [a, b, c], now: new Date('2026-05-07T22:00:00Z') },
      );
      expect(back.tasks[0]!.metadata).toMatchObject({ joined: 1, left: 0, added: 1 });
      expect(await readMemberships(t.db, { fund: 'IWM', ticker: c })).toEqual([
        { fund: 'IWM', ticker: c, joinedOn: '2026-05-04', leftOn: '2026-05-05' },
        { fund: 'IWM', ticker: c, joinedOn: '2026-05-07', leftOn: null },
      ]);
      expect(await membersOn(t.db, { fund: 'IWM', date: '2026-05-06' })).toEqual([a, b]);
      expect(await membersOn(t.db, { fund: 'IWM', date: '2026-05-07' })).toEqual([a, b, c]);
    });

    it('says a 402 on deep history once, remembers it, and the next night reaches back only 5 years', async () => {
      const t = await fresh();
      const [a, b, c, d, e] = symbols as [string, string, string, string, string];
      await universeWithNewMembers(t, [a, b, c], [d, e]);
      // A Starter plan: 5 years of history back from the market's today (2021-05-08).
      sandbox.update({ historyDepthYears: 5 });
      try {
        const logger = recordingLogger();
        const deep = '2019-01-02';
        const first = repairOf(
          await night(t, { tasks: ['repair'], repairMaxRequests: 5, historyFrom: deep }, { logger }),
        );
        expect(first.status).toBe('success');
        expect(first.counts).toMatchObject({ failed: 0 });
        const refusals = logger.lines.filter((l) => /history backfill refused/.test(l.message));
        expect(refusals).toHaveLength(1);
        expect((await readSyncState(t.db, HISTORY_DEPTH_402_KEY))?.value).toEqual({
          from: deep,
          on: '2026-05-08',
        });
        expect(first.metadata).toMatchObject({ backfill: { refusedTonight: deep, barsWritten: 0 } });

        const next = repairOf(await night(t, { tasks: ['repair'], repairMaxRequests: 5, historyFrom: deep }));
        expect(next.status).toBe('success');
        expect(next.metadata).toMatchObject({ backfill: { from: '2021-05-08', tickers: 2, requests: 2 } });
        expect(sandbox.counters().byEndpoint[FULL]?.byStatus?.['402'] ?? 0).toBe(0);
        expect((await barDates(t.db, d))[0]).toBe('2021-05-10');
      } finally {
        sandbox.update({ historyDepthYears: null });
      }
    });
  });
}

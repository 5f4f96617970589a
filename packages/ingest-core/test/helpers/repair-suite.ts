import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '@smartstock/db';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { seedHistories } from '@smartstock/testkit/histories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPriceHistory } from '../../src/audit.js';
import { sessionsBetween } from '../../src/calendar.js';
import { FAILED_LOG_FILE } from '../../src/failed-log.js';
import type { TaskSummary } from '../../src/summary.js';
import { runDailySync, type SyncOptions } from '../../src/sync.js';
import {
  type BackendKind,
  FIXED_NOW,
  openTestDatabase,
  priceTable,
  sandboxClient,
  startTestSandbox,
  syncLogs,
  type TestDatabase,
} from './env.js';

const FULL = 'historical-price-eod/full';
/** The stored history: 2026-03-02 .. 2026-05-08 (the clock is pinned to Friday 2026-05-08 after the close). */
const HISTORY = { from: '2026-03-02', to: '2026-05-08' } as const;
const clock = () => FIXED_NOW;

/** Every column of stock_prices but the timestamps of the write, sorted by key: what a repair must restore. */
async function storedBars(db: Database): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT ticker, to_char(date, 'YYYY-MM-DD') AS date, open, high, low, close, volume::text AS volume, vwap,
            change, change_percent, source
       FROM stock_prices ORDER BY ticker, date`,
  );
}

async function punchHoles(db: Database, holes: Record<string, readonly string[]>): Promise<number> {
  let n = 0;
  for (const [ticker, dates] of Object.entries(holes)) {
    const rows = await db.query<{ ticker: string }>(
      'DELETE FROM stock_prices WHERE ticker = $1 AND date = ANY ($2::date[]) RETURNING ticker',
      [ticker, [...dates]],
    );
    expect(rows, `${ticker}: every hole had a bar`).toHaveLength(dates.length);
    n += rows.length;
  }
  return n;
}

/**
 * The repair task (repair_price_gaps) on one backend, against the sandbox with pinned clocks: holes punched in
 * a stored history are fetched back until the table equals one that never had them.
 */
export function defineRepairSuite(kind: BackendKind): void {
  describe(`repairing price gaps (${kind})`, () => {
    let sandbox: Sandbox;
    let work: TestDatabase;
    let reference: TestDatabase;
    let symbols: string[];
    let complete: Record<string, unknown>[];

    const fullRequests = () => sandbox.counters().byEndpoint[FULL]?.total ?? 0;
    const deps = (t: TestDatabase) => ({
      db: t.db,
      fmp: () => sandboxClient(sandbox),
      dataDir: t.dataDir,
      clock,
    });
    /** The universe is `tickers`; their history is backfilled by the prices task, as a real database's is. */
    async function build(t: TestDatabase, tickers: string[]): Promise<void> {
      await seedHistories(t.db, Object.fromEntries(tickers.map((s) => [s, []])), { asOf: HISTORY.from });
      const summary = await runDailySync(deps(t), { tickers, ...HISTORY, tasks: ['prices'] });
      expect(summary.status).toBe('success');
    }
    async function repair(t: TestDatabase, options: SyncOptions = {}): Promise<TaskSummary> {
      sandbox.resetCounters();
      // historyFrom: the stored history's start, so the repair has no new member's history to backfill.
      const summary = await runDailySync(deps(t), {
        tasks: ['repair'],
        historyFrom: HISTORY.from,
        ...options,
      });
      expect(summary.tasks.map((x) => x.taskName)).toEqual(['repair_price_gaps']);
      return summary.tasks[0]!;
    }

    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 60 });
      symbols = sandbox.market.fmpSymbols().slice(0, 8).sort();
      work = await openTestDatabase(kind);
      reference = await openTestDatabase(kind);
      await build(work, symbols);
      await build(reference, symbols);
      complete = await storedBars(reference.db);
      expect(complete).toHaveLength(symbols.length * sessionsBetween(HISTORY.from, HISTORY.to).length);
      expect(await storedBars(work.db)).toEqual(complete);
    });
    afterAll(async () => {
      await work?.dispose();
      await reference?.dispose();
      await sandbox?.stop();
    });

    it('fetches exactly the holes punched in a stored history, one request per ticker, until the table equals one that never had them', async () => {
      const [a, b, c, d] = symbols as [string, string, string, string];
      const holes = {
        [a]: ['2026-03-10'],
        // Either side of Good Friday (2026-04-03, no session) and another hole two weeks on: one request.
        [b]: ['2026-04-01', '2026-04-02', '2026-04-06', '2026-04-07', '2026-04-20'],
        // The last three sessions: a ticker the night's prices missed.
        [c]: ['2026-05-06', '2026-05-07', '2026-05-08'],
        [d]: ['2026-03-03'],
      };
      const punched = await punchHoles(work.db, holes);
      expect(punched).toBe(10);
      const task = await repair(work, { repairMaxRequests: 10 });
      expect(task).toMatchObject({ status: 'success', tickers: 4, rowsInserted: 10, rowsChanged: 0 });
      expect(task.metadata).toMatchObject({
        tickersWithGaps: 4,
        requests: 4,
        sessionsRequested: 10,
        barsWritten: 10,
        emptyTries: 0,
        confirmedEmpty: 0,
        leftForNextNight: { tickers: 0, sessions: 0 },
        maxRequests: 10,
        lastSession: '2026-05-08',
        scope: { universe: 'full' },
      });
      expect(fullRequests()).toBe(4);
      expect(await storedBars(work.db)).toEqual(complete);
      const [log] = (await syncLogs(work.db)).filter((l) => l.task_name === 'repair_price_gaps');
      expect(log).toMatchObject({ status: 'success', rows_updated: 10 });
      expect(log!.metadata).toMatchObject({ requests: 4, barsWritten: 10, sessionsRequested: 10 });
      const audit = await auditPriceHistory({ db: work.db, clock });
      expect(audit.totals.missing).toBe(0);
    });

    it('makes no request when the history is complete, and changes no row (idempotent)', async () => {
      const before = await priceTable(work.db);
      const task = await repair(work);
      expect(task).toMatchObject({ status: 'success', rowsUpdated: 0 });
      expect(task.metadata).toMatchObject({ tickersWithGaps: 0, requests: 0, barsWritten: 0 });
      // The default cap: 10% of the 8 active tickers, at least 1.
      expect(task.metadata.maxRequests).toBe(1);
      expect(fullRequests()).toBe(0);
      expect(await priceTable(work.db)).toEqual(before);
    });

    it('stops at the request cap, says what it left for the next night, and the next run finishes it (resumable)', async () => {
      const holes = Object.fromEntries(symbols.slice(1, 6).map((s, i) => [s, [`2026-04-${13 + i}`]]));
      await punchHoles(work.db, holes);
      const first = await repair(work, { repairMaxRequests: 3 });
      expect(first.status).toBe('success');
      expect(first.metadata).toMatchObject({
        tickersWithGaps: 5,
        requests: 3,
        barsWritten: 3,
        leftForNextNight: { tickers: 2, sessions: 2 },
      });
      expect(fullRequests()).toBe(3);
      // Tickers in alphabetical order: the first three are repaired, the last two wait.
      const audit = await auditPriceHistory({ db: work.db, clock });
      expect(audit.tickers.filter((x) => x.missing > 0).map((x) => x.ticker)).toEqual(symbols.slice(4, 6));
      const second = await repair(work, { repairMaxRequests: 3 });
      expect(second.metadata).toMatchObject({
        tickersWithGaps: 2,
        requests: 2,
        barsWritten: 2,
        leftForNextNight: { tickers: 0, sessions: 0 },
      });
      expect(await storedBars(work.db)).toEqual(complete);
    });

    it('counts a ticker whose request fails as failed with its reason, the failure threshold deciding the status', async () => {
      await punchHoles(work.db, { [symbols[6]!]: ['2026-04-28'], [symbols[7]!]: ['2026-04-29'] });
      sandbox.update({ faults: '5xx=1' });
      let failed: TaskSummary;
      try {
        failed = await repair(work, { repairMaxRequests: 5 });
      } finally {
        sandbox.update({ faults: '' });
      }
      expect(failed).toMatchObject({ status: 'failed', tickers: 2 });
      expect(failed.counts).toMatchObject({ failed: 2, ok: 0 });
      expect(failed.errorMessage).toMatch(/2 of 2 tickers failed or were skipped/);
      // Both requests are in flight at once: they are listed in the order they ended, which either may win.
      expect(failed.failures.map((f) => f.ticker).sort()).toEqual(symbols.slice(6, 8).sort());
      expect(failed.failures[0]!.httpStatus).toBeGreaterThanOrEqual(500);
      expect(failed.metadata).toMatchObject({ emptyTries: 0, barsWritten: 0 });
      const lines = (await readFile(join(work.dataDir, FAILED_LOG_FILE), 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.task === 'repair_price_gaps');
      expect(lines.map((l) => l.ticker as string).sort()).toEqual(symbols.slice(6, 8).sort());
      const again = await repair(work, { repairMaxRequests: 5 });
      expect(again).toMatchObject({ status: 'success', rowsInserted: 2 });
      expect(await storedBars(work.db)).toEqual(complete);
    });

    it('tries a halted session twice, then records it confirmed empty and never requests it again', async () => {
      const halted = await openTestDatabase(kind);
      const symbol = sandbox.market.fmpSymbols()[20]!;
      sandbox.update({ halts: [{ symbol, date: '2026-04-15' }] });
      try {
        await build(halted, [symbol]);
        const tries: unknown[] = [];
        for (let night = 1; night <= 3; night++) {
          const task = await repair(halted);
          expect(task.status, `night ${night}`).toBe('success');
          tries.push([fullRequests(), task.metadata.emptyTries, task.metadata.confirmedEmpty]);
        }
        // Requests, empty tries and sessions confirmed empty, night by night.
        expect(tries).toEqual([
          [1, 1, 0],
          [1, 1, 1],
          [0, 0, 0],
        ]);
        const rows = await halted.db.query<{ date: string; tries: number }>(
          `SELECT to_char(date, 'YYYY-MM-DD') AS date, tries FROM confirmed_empty_sessions WHERE ticker = $1`,
          [symbol],
        );
        expect(rows).toEqual([{ date: '2026-04-15', tries: 2 }]);
        const audit = await auditPriceHistory({ db: halted.db, clock });
        expect(audit.totals).toMatchObject({ missing: 0, confirmedEmpty: 1 });
        expect(audit.unexplained).toBe(false);
      } finally {
        sandbox.update({ halts: [] });
        await halted.dispose();
      }
    });
  });
}

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { SyncLogger } from '@smartstock/sync-logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastNDaysWindow } from '../../src/calendar.js';
import { IngestError } from '../../src/errors.js';
import { FAILED_LOG_FILE } from '../../src/failed-log.js';
import { syncSummarySchema } from '../../src/summary.js';
import { runDailySync, type SyncOptions } from '../../src/sync.js';
import { CLEAN_LIST_FILE, ISHARES_HOLDINGS_URL } from '../../src/tasks/universe.js';
import {
  type BackendKind,
  dcfTable,
  FIXED_NOW,
  openTestDatabase,
  priceTable,
  sandboxClient,
  startTestSandbox,
  syncLogs,
  type TestDatabase,
} from './env.js';
import { holdingsCsv, syntheticTickers } from './holdings.js';
import { recordingLogger } from './logger.js';

const clock = () => FIXED_NOW;
const WINDOW = lastNDaysWindow(5, FIXED_NOW);

async function readFailedLog(dataDir: string): Promise<Record<string, unknown>[]> {
  try {
    const text = await readFile(join(dataDir, FAILED_LOG_FILE), 'utf8');
    return text
      .trimEnd()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

function withoutUpdatedAt<T extends { updated_at?: unknown }>(rows: T[]): Omit<T, 'updated_at'>[] {
  return rows.map(({ updated_at: _u, ...rest }) => rest);
}

/** The whole §5 suite, run once per backend (each test file gets its own databases). */
export function defineSyncSuite(kind: BackendKind): void {
  describe(`daily sync of the 2,000-ticker sandbox universe (${kind})`, () => {
    let sandbox: Sandbox;
    let t: TestDatabase;
    let perSymbolPrices: Awaited<ReturnType<typeof priceTable>>;
    let perSymbolDcf: Awaited<ReturnType<typeof dcfTable>>;

    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: 2000 });
      t = await openTestDatabase(kind);
      await writeFile(join(t.dataDir, 'russell_2000_list.csv'), sandbox.market.holdingsCsv());
    });
    afterAll(async () => {
      await t?.dispose();
      await sandbox?.stop();
    });

    it('fills the tables from the holdings file with exact row counts and four success rows', async () => {
      const logger = recordingLogger();
      const progress: number[] = [];
      const summary = await runDailySync(
        {
          db: t.db,
          fmp: () => sandboxClient(sandbox),
          dataDir: t.dataDir,
          clock,
          logger,
          onProgress: (e) => progress.push(e.done),
        },
        { secrets: [sandbox.apiKey] },
      );
      expect(syncSummarySchema.parse(summary)).toEqual(summary);
      expect(summary.tasks.map((x) => [x.taskName, x.status])).toEqual([
        ['get_russell_2000_list', 'success'],
        ['ingest_market_data', 'success'],
        ['repair_price_gaps', 'success'],
        ['ingest_all_dcf', 'success'],
        ['check_data_quality', 'success'],
      ]);
      const universe = sandbox.market.tickers().map((x) => x.fmpSymbol);
      const withBars = sandbox.market.fmpSymbols();
      const expectedPrices = withBars.reduce(
        (n, s) => n + sandbox.market.bars(s, WINDOW.from, WINDOW.to).length,
        0,
      );
      expect(expectedPrices).toBe(withBars.length * WINDOW.closedSessions.length);
      const prices = await priceTable(t.db);
      expect(prices).toHaveLength(expectedPrices);
      const dcfSymbols = new Set(sandbox.market.dcfSymbols());
      const expectedDcf = universe.filter((s) => dcfSymbols.has(s)).length;
      expect(await dcfTable(t.db)).toHaveLength(expectedDcf);
      const history = await t.db.query(
        `SELECT ticker, to_char(valuation_date, 'YYYY-MM-DD') AS date, dcf, stock_price FROM dcf_history ORDER BY ticker`,
      );
      expect(history, 'dcf_history holds each value written to dcf_valuations').toEqual(
        (await dcfTable(t.db)).map(({ updated_at: _, ...row }) => row),
      );

      const [u, p, r, d, q] = summary.tasks;
      // Every ticker's history is whole (tonight's window from its first bar): nothing to repair, no request.
      expect(r!.metadata).toMatchObject({ tickersWithGaps: 0, requests: 0, barsWritten: 0 });
      expect(r!.rowsUpdated).toBe(0);
      expect(u!.tickers).toBe(universe.length);
      expect(p!.rowsInserted).toBe(expectedPrices);
      expect(p!.counts).toEqual({
        ok: withBars.length,
        no_data: universe.length - withBars.length,
        skipped: 0,
        invalid_rows: 0,
        failed: 0,
      });
      expect(d!.rowsInserted).toBe(expectedDcf);
      expect(summary.rowsUpdated).toBe(u!.rowsUpdated + expectedPrices + expectedDcf);
      // The data checks read tonight's window: the sandbox's clean bars; its tickers with prices and no DCF.
      const noDcf = withBars.filter((s) => !dcfSymbols.has(s)).length;
      expect(q!.quality).toMatchObject({ since: WINDOW.from, asOf: WINDOW.to, total: noDcf });
      expect(q!.quality!.findings.map((f) => [f.check, f.count])).toEqual([
        ['ohlc', 0],
        ['big_move', 0],
        ['stale', 0],
        ['old_dcf', 0],
        ['no_dcf', noDcf],
      ]);
      expect(q!.rowsUpdated).toBe(0);

      const logs = await syncLogs(t.db);
      expect(logs.map((l) => [l.task_name, l.status])).toEqual([
        ['get_russell_2000_list', 'success'],
        ['ingest_market_data', 'success'],
        ['repair_price_gaps', 'success'],
        ['ingest_all_dcf', 'success'],
        ['check_data_quality', 'success'],
      ]);
      expect(logs[4]!.metadata.quality).toEqual(q!.quality);
      for (const l of logs) expect(l.metadata.runId).toBe(summary.runId);
      expect(logs[1]!.rows_updated).toBe(expectedPrices);
      expect(logs[1]!.metadata.counts).toEqual(p!.counts);
      expect(logger.lines.length).toBeGreaterThan(0);
      expect(logger.lines.filter((l) => l.fields.runId !== summary.runId)).toEqual([]);
      expect(progress.at(-1)).toBe(universe.length);

      const list = (await readFile(join(t.dataDir, CLEAN_LIST_FILE), 'utf8')).trimEnd().split('\n');
      expect(list).toEqual([...universe].sort());
      expect(await readFailedLog(t.dataDir)).toEqual([]);
      perSymbolPrices = prices;
      perSymbolDcf = await dcfTable(t.db);
    });

    it('changes no row and reports 0 when run again over the same data', async () => {
      const summary = await runDailySync(
        { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
        {},
      );
      expect(summary.status).toBe('success');
      expect(summary.rowsUpdated).toBe(0);
      expect(summary.tasks.map((x) => x.rowsUpdated)).toEqual([0, 0, 0, 0, 0]);
      expect(await priceTable(t.db)).toEqual(perSymbolPrices);
      expect(await dcfTable(t.db)).toEqual(perSymbolDcf);
    });

    it('stores the same values in bulk mode with at most 10 requests', async () => {
      const bulkDb = await openTestDatabase(kind);
      try {
        await writeFile(join(bulkDb.dataDir, 'russell_2000_list.csv'), sandbox.market.holdingsCsv());
        sandbox.resetCounters();
        const summary = await runDailySync(
          { db: bulkDb.db, fmp: () => sandboxClient(sandbox), dataDir: bulkDb.dataDir, clock },
          { mode: 'bulk' },
        );
        expect(summary.status).toBe('success');
        expect(sandbox.counters().requests).toBeLessThanOrEqual(10);
        expect(withoutUpdatedAt(await priceTable(bulkDb.db))).toEqual(withoutUpdatedAt(perSymbolPrices));
        expect(withoutUpdatedAt(await dcfTable(bulkDb.db))).toEqual(withoutUpdatedAt(perSymbolDcf));
      } finally {
        await bulkDb.dispose();
      }
    });
  });

  describe(`failures and guards (${kind})`, () => {
    const SMALL = 60;
    let sandbox: Sandbox;
    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: SMALL });
    });
    afterAll(async () => {
      await sandbox?.stop();
    });

    async function withDb(fn: (t: TestDatabase) => Promise<void>): Promise<void> {
      const t = await openTestDatabase(kind);
      try {
        await fn(t);
      } finally {
        sandbox.update({ faults: '' });
        await t.dispose();
      }
    }

    const base: SyncOptions = { minTickers: 20 };

    it('stops at once on a wrong key: prices within `concurrency` requests, DCF none, the key nowhere', async () => {
      await withDb(async (t) => {
        const universe = syntheticTickers(40).join('\n');
        await writeFile(join(t.dataDir, 'russell_2000_list.csv'), universe);
        const badKey = 'wrong-key-5f0c1d2e3a4b';
        const logger = recordingLogger();
        sandbox.resetCounters();
        const summary = await runDailySync(
          {
            db: t.db,
            fmp: () => sandboxClient(sandbox, { apiKey: badKey }),
            dataDir: t.dataDir,
            clock,
            logger,
          },
          { ...base, concurrency: 8, secrets: [badKey] },
        );
        const c = sandbox.counters();
        expect(c.byEndpoint['historical-price-eod/full']?.total ?? 0).toBeLessThanOrEqual(8);
        expect(c.byEndpoint['discounted-cash-flow']?.total ?? 0).toBe(0);
        expect(summary.status).toBe('failed');
        const [, prices, repair, dcf, quality] = summary.tasks;
        expect(prices!.status).toBe('failed');
        expect(prices!.errorMessage).toMatch(/401|key/i);
        expect(repair!.errorMessage).toMatch(/not run: FMP refused the run during ingest_market_data/);
        expect(dcf!.status).toBe('failed');
        expect(dcf!.errorMessage).toMatch(/not run: FMP refused the run during ingest_market_data/);
        // The data checks read the database only: they run after FMP refused the run, and succeed.
        expect(quality!.status).toBe('success');
        const logs = await syncLogs(t.db);
        expect(logs.map((l) => l.status)).toEqual(['success', 'failed', 'failed', 'failed', 'success']);
        expect(logs[1]!.error_message).toMatch(/401|key/i);
        expect(logs[2]!.error_message).toMatch(/ingest_market_data/);
        expect(logs[3]!.error_message).toMatch(/ingest_market_data/);
        const everything = [
          JSON.stringify(summary),
          JSON.stringify(logs),
          JSON.stringify(logger.lines),
          await readFile(join(t.dataDir, FAILED_LOG_FILE), 'utf8').catch(() => ''),
        ].join('\n');
        expect(everything).not.toContain(badKey);
      });
    });

    it('a cancel mid-prices writes what was fetched, fails that task with the reason, runs no later task, and counts no ticker as failed', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 40);
        const cancel = new AbortController();
        const progress: number[] = [];
        const logger = recordingLogger();
        const summary = await runDailySync(
          {
            db: t.db,
            fmp: () => sandboxClient(sandbox),
            dataDir: t.dataDir,
            clock,
            logger,
            signal: cancel.signal,
            onProgress: (e) => {
              progress.push(e.done);
              if (e.task === 'ingest_market_data' && e.done === 8) cancel.abort('cancelled by SIGINT');
            },
          },
          { ...base, tickers, concurrency: 4 },
        );
        expect(syncSummarySchema.parse(summary)).toEqual(summary);
        expect(summary.status).toBe('failed');
        expect(summary.cancelled).toEqual({
          reason: 'cancelled by SIGINT',
          notRun: ['repair_price_gaps', 'ingest_all_dcf', 'check_data_quality'],
        });
        expect(summary.tasks.map((x) => [x.taskName, x.status, x.errorMessage])).toEqual([
          ['ingest_market_data', 'failed', 'cancelled by SIGINT'],
        ]);
        const counts = summary.tasks[0]!.counts;
        expect(counts.failed).toBe(0);
        const finished = Object.values(counts).reduce((a, b) => a + b, 0);
        // The calls in flight when the cancel came (at most `concurrency`) may finish; no new one starts.
        expect(finished).toBeGreaterThanOrEqual(8);
        expect(finished).toBeLessThanOrEqual(8 + 4);
        expect(Math.max(...progress)).toBe(finished);
        // What was fetched is stored: every ticker counted ok has its bars.
        expect(await priceTable(t.db)).toHaveLength(counts.ok! * WINDOW.closedSessions.length);
        const logs = await syncLogs(t.db);
        expect(logs.map((l) => [l.task_name, l.status, l.error_message])).toEqual([
          ['ingest_market_data', 'failed', 'cancelled by SIGINT'],
        ]);
        const [open] = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM sync_logs WHERE status = 'running' OR completed_at IS NULL`,
        );
        expect(open!.n).toBe(0);
        expect(logs[0]!.metadata.cancelled).toBe(true);
        expect(await readFailedLog(t.dataDir)).toEqual([]);
        expect(
          logger.lines.some((l) => l.message === 'task not run' && l.fields.task === 'ingest_all_dcf'),
        ).toBe(true);
        // The lock is free and nothing is left running: the next run goes through.
        const next = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tickers, concurrency: 4 },
        );
        expect(next.status).toBe('success');
        expect(next.cancelled).toBeUndefined();
      });
    });

    it('fails, not partial, when FMP answers 5xx to everything', async () => {
      await withDb(async (t) => {
        await writeFile(join(t.dataDir, 'russell_2000_list.csv'), syntheticTickers(30).join('\n'));
        sandbox.update({ faults: { '5xx': 1 } });
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tickers: sandbox.market.fmpSymbols().slice(0, 30) },
        );
        expect(summary.tasks.map((x) => [x.taskName, x.status])).toEqual([
          ['ingest_market_data', 'failed'],
          // No bar stored, so no history to repair: no request.
          ['repair_price_gaps', 'success'],
          ['ingest_all_dcf', 'failed'],
          ['check_data_quality', 'success'],
        ]);
        expect(summary.tasks[0]!.counts.failed).toBe(30);
        expect(summary.tasks[0]!.errorMessage).toMatch(/30 of 30 tickers failed/);
        const failedLog = await readFailedLog(t.dataDir);
        expect(failedLog).toHaveLength(60);
        for (const line of failedLog) {
          expect(line).toMatchObject({ runId: summary.runId, outcome: 'failed' });
          expect(line.httpStatus).toBeGreaterThanOrEqual(500);
        }
      });
    });

    it('refuses each broken universe file and keeps the previous list and table', async () => {
      await withDb(async (t) => {
        const good = holdingsCsv(syntheticTickers(30).map((ticker) => ({ ticker })));
        const source = join(t.dataDir, 'holdings.csv');
        await writeFile(source, good);
        const first = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tasks: ['tickers'], tickersSource: source },
        );
        expect(first.status).toBe('success');
        const listBefore = await readFile(join(t.dataDir, CLEAN_LIST_FILE), 'utf8');
        const tableBefore = await t.db.query('SELECT * FROM tickers ORDER BY ticker');
        const broken: [string, string, RegExp][] = [
          ['two rows', 'Ticker,ISIN\nUNASSIGNED,UNASSIGNED\n', /only 1 tickers/],
          [
            'SEDOL codes',
            `Ticker\n${Array.from({ length: 40 }, (_, i) => `B${String(i).padStart(5, '0')}1`).join('\n')}\n`,
            /SEDOL/,
          ],
          [
            'words',
            `${syntheticTickers(40)
              .map((x) => `${x}CORP`)
              .join('\n')}\n`,
            /words from company names/,
          ],
        ];
        for (const [what, text, why] of broken) {
          await writeFile(source, text);
          const s = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { ...base, tasks: ['tickers'], tickersSource: source },
          );
          expect(s.tasks[0]!.status, what).toBe('failed');
          expect(s.tasks[0]!.errorMessage, what).toMatch(why);
          expect(await readFile(join(t.dataDir, CLEAN_LIST_FILE), 'utf8')).toBe(listBefore);
          expect(await t.db.query('SELECT * FROM tickers ORDER BY ticker')).toEqual(tableBefore);
        }
        const logs = await syncLogs(t.db);
        expect(logs.map((l) => l.status)).toEqual(['success', 'failed', 'failed', 'failed']);
      });
    });

    it('keeps the last universe when the source is missing, and says so', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 25);
        const source = join(t.dataDir, 'list.txt');
        await writeFile(source, tickers.join('\n'));
        await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tasks: ['tickers'], tickersSource: source },
        );
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tickersSource: join(t.dataDir, 'missing.csv'), tasks: ['tickers', 'prices'] },
        );
        const [u, p] = summary.tasks;
        expect(u!.status).toBe('failed');
        expect(u!.errorMessage).toMatch(/cannot read the universe source .*missing\.csv/);
        expect(p!.status).toBe('success');
        expect(p!.tickers).toBe(25);
        expect(p!.metadata.universe).toMatchObject({
          source: 'table',
          tickers: 25,
          note: expect.stringMatching(/last good universe/),
        });
      });
    });

    it('downloads the holdings from an http URL and marks tickers that left inactive, never deleting them', async () => {
      await withDb(async (t) => {
        const first = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tasks: ['tickers'], tickersSource: sandbox.holdingsUrl },
        );
        const universe = sandbox.market
          .tickers()
          .map((x) => x.fmpSymbol)
          .sort();
        expect(first.tasks[0]).toMatchObject({
          errorMessage: null,
          status: 'success',
          tickers: universe.length,
          rowsUpdated: universe.length,
        });
        expect(first.tasks[0]!.metadata).toMatchObject({
          format: 'ishares',
          added: universe.length,
          removed: 0,
        });
        const smaller = join(t.dataDir, 'smaller.txt');
        await writeFile(smaller, universe.slice(2).join('\n'));
        const second = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tasks: ['tickers', 'prices'], tickersSource: smaller },
        );
        expect(second.tasks[0]!.metadata).toMatchObject({
          added: 0,
          removed: 2,
          removedTickers: universe.slice(0, 2),
        });
        expect(second.tasks[1]!.tickers).toBe(universe.length - 2);
        const rows = await t.db.query<{ ticker: string; active: boolean }>(
          'SELECT ticker, active FROM tickers ORDER BY ticker',
        );
        expect(rows).toHaveLength(universe.length);
        expect(rows.filter((r) => !r.active).map((r) => r.ticker)).toEqual(universe.slice(0, 2));
      });
    });

    it('falls back to per-symbol requests in auto mode when the plan refuses bulk (402)', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 10);
        sandbox.update({ plan: 'premium' });
        try {
          const auto = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { tickers, mode: 'auto' },
          );
          expect(auto.tasks.map((x) => [x.status, x.metadata.mode])).toEqual([
            ['success', 'per-symbol'],
            // The repair (nothing to repair) and the data checks have no fetch mode.
            ['success', undefined],
            ['success', 'per-symbol'],
            ['success', undefined],
          ]);
          expect(auto.tasks[0]!.metadata.bulkFallback).toMatch(/402/);
          expect(auto.tasks[0]!.rowsInserted).toBe(10 * WINDOW.closedSessions.length);
          const bulk = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { tickers, mode: 'bulk', tasks: ['prices'] },
          );
          expect(bulk.tasks[0]!.status).toBe('failed');
          expect(bulk.tasks[0]!.counts.failed).toBe(10);
          expect(bulk.tasks[0]!.failures[0]).toMatchObject({
            httpStatus: 402,
            message: expect.stringMatching(/eod-bulk failed/),
          });
        } finally {
          sandbox.update({ plan: 'ultimate' });
        }
      });
    });

    it('marks the running rows of a dead run as interrupted once it holds the lock', async () => {
      await withDb(async (t) => {
        const dead = await new SyncLogger(t.db).start('ingest_market_data', { runId: 'dead-run' });
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers: sandbox.market.fmpSymbols().slice(0, 2), tasks: ['dcf'] },
        );
        expect(summary.status).toBe('success');
        const logs = await syncLogs(t.db);
        expect(logs.find((l) => l.id === dead.id)).toMatchObject({
          status: 'failed',
          error_message: expect.stringMatching(/interrupted/),
        });
      });
    });

    it("falls back to iShares' download URL when no source file exists", async () => {
      await withDb(async (t) => {
        const asked: string[] = [];
        const summary = await runDailySync(
          {
            db: t.db,
            fmp: () => sandboxClient(sandbox),
            dataDir: t.dataDir,
            clock,
            fetchText: async (url) => {
              asked.push(url);
              return sandbox.market.holdingsCsv();
            },
          },
          { ...base, tasks: ['tickers'] },
        );
        expect(asked).toEqual([ISHARES_HOLDINGS_URL]);
        expect(summary.tasks[0]!.status).toBe('success');
      });
    });

    it('logs a task that cannot write as failed and still runs the next one', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 10);
        await t.db.query('ALTER TABLE stock_prices RENAME TO stock_prices_away');
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers },
        );
        await t.db.query('ALTER TABLE stock_prices_away RENAME TO stock_prices');
        // The repair and the data checks could not read stock_prices either: their tasks fail too.
        expect(summary.tasks.map((x) => x.status)).toEqual(['failed', 'failed', 'success', 'failed']);
        expect(summary.tasks[0]!.errorMessage).toMatch(/stock_prices/);
        expect(summary.tasks[1]!.errorMessage).toMatch(/stock_prices/);
        expect(summary.tasks[3]!.errorMessage).toMatch(/stock_prices/);
        expect((await syncLogs(t.db)).map((l) => [l.task_name, l.status])).toEqual([
          ['ingest_market_data', 'failed'],
          ['repair_price_gaps', 'failed'],
          ['ingest_all_dcf', 'success'],
          ['check_data_quality', 'failed'],
        ]);
        await t.db.query('ALTER TABLE dcf_valuations RENAME TO dcf_away');
        const again = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers, tasks: ['dcf'] },
        );
        await t.db.query('ALTER TABLE dcf_away RENAME TO dcf_valuations');
        expect(again.tasks[0]!.status).toBe('failed');
        expect(again.tasks[0]!.errorMessage).toMatch(/could not write DCF valuations/);
      });
    });

    it('runs an explicit ticker list without touching the universe task, table or list file', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 3);
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers: tickers.map((x) => x.toLowerCase()) },
        );
        expect(summary.tasks.map((x) => x.taskName)).toEqual([
          'ingest_market_data',
          'repair_price_gaps',
          'ingest_all_dcf',
          'check_data_quality',
        ]);
        expect(summary.tasks[0]!.rowsInserted).toBe(3 * WINDOW.closedSessions.length);
        expect(await t.db.query('SELECT ticker FROM tickers')).toEqual([]);
        await expect(readFile(join(t.dataDir, CLEAN_LIST_FILE), 'utf8')).rejects.toThrow(/ENOENT/);
        const prices = await priceTable(t.db);
        expect(new Set(prices.map((r) => r.ticker))).toEqual(new Set(tickers));
      });
    });

    it('reports a bad print, a stale ticker, an old DCF, a ticker without DCF and an inconsistent bar, and still succeeds', async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 25);
        const dcfSymbols = new Set(sandbox.market.dcfSymbols());
        const [spiky, stale, oldDcf, noDcf, broken] = tickers.filter((s) => dcfSymbols.has(s));
        const source = join(t.dataDir, 'list.txt');
        await writeFile(source, tickers.join('\n'));
        const first = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { ...base, tickersSource: source },
        );
        expect(first.status).toBe('success');
        const baseline = first.tasks[4]!.quality!.findings.find((f) => f.check === 'no_dcf')!.count;
        const [, , day, next] = WINDOW.closedSessions;
        await t.db.query(
          `UPDATE stock_prices SET close = close * 3, high = high * 3 WHERE ticker = $1 AND date = $2`,
          [spiky, day],
        );
        await t.db.query(`DELETE FROM stock_prices WHERE ticker = $1 AND date >= $2`, [stale, day]);
        await t.db.query(`UPDATE dcf_valuations SET valuation_date = '2026-03-02' WHERE ticker = $1`, [
          oldDcf,
        ]);
        await t.db.query(`DELETE FROM dcf_valuations WHERE ticker = $1`, [noDcf]);
        await t.db.query(`UPDATE stock_prices SET low = high + 1 WHERE ticker = $1 AND date = $2`, [
          broken,
          next,
        ]);
        const logger = recordingLogger();
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock, logger },
          { tasks: ['quality'] },
        );
        expect(syncSummarySchema.parse(summary)).toEqual(summary);
        expect(summary.status).toBe('success');
        const [task] = summary.tasks;
        expect(task).toMatchObject({ taskName: 'check_data_quality', status: 'success', errorMessage: null });
        const found = Object.fromEntries(task!.quality!.findings.map((f) => [f.check, f]));
        expect(found.ohlc).toMatchObject({
          count: 1,
          examples: [expect.stringMatching(`^${broken} ${next}: `)],
        });
        // Up 200% on the day, down about 67% the next session: two moves over 50%, none recorded as a split.
        expect(found.big_move).toMatchObject({
          count: 2,
          examples: [
            expect.stringMatching(`^${spiky} ${day}: close .* \\(200\\.0%\\)$`),
            expect.stringMatching(`^${spiky} ${next}: close .* \\(-6\\d\\.\\d%\\)$`),
          ],
        });
        expect(found.stale).toMatchObject({
          count: 1,
          examples: [`${stale}: last bar ${WINDOW.closedSessions[1]}`],
        });
        expect(found.old_dcf).toMatchObject({
          count: 1,
          examples: [`${oldDcf} 2026-03-02: valued 67 days before`],
        });
        expect(found.no_dcf!.count).toBe(baseline + 1);
        expect(found.no_dcf!.examples).toContain(noDcf);
        expect(task!.quality!.total).toBe(1 + 2 + 1 + 1 + baseline + 1);
        const [row] = (await syncLogs(t.db)).slice(-1);
        expect(row).toMatchObject({
          task_name: 'check_data_quality',
          status: 'success',
          error_message: null,
        });
        expect(row!.metadata.quality).toEqual(task!.quality);
        expect(logger.lines.some((l) => l.message === 'the data checks found rows to look at')).toBe(true);
      });
    });

    it("finds a bad print FMP served in the night's window, a move no split explains, and the night still succeeds", async () => {
      await withDb(async (t) => {
        const tickers = sandbox.market.fmpSymbols().slice(0, 25);
        const [printed] = tickers;
        const [, , day, next] = WINDOW.closedSessions;
        await writeFile(join(t.dataDir, 'list.txt'), tickers.join('\n'));
        sandbox.update({ badPrints: [{ symbol: printed!, date: day!, factor: 3 }] });
        try {
          const summary = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { ...base, tickersSource: join(t.dataDir, 'list.txt') },
          );
          expect(summary.status).toBe('success');
          const quality = summary.tasks.find((x) => x.taskName === 'check_data_quality')!;
          expect(quality.status).toBe('success');
          const moves = quality.quality!.findings.find((f) => f.check === 'big_move')!;
          expect(moves.count).toBe(2);
          expect(moves.examples).toEqual([
            expect.stringMatching(`^${printed} ${day}: close .* \\(200\\.0%\\)$`),
            expect.stringMatching(`^${printed} ${next}: close `),
          ]);
          expect(quality.quality!.findings.find((f) => f.check === 'ohlc')!.count).toBe(0);
        } finally {
          sandbox.update({ badPrints: [] });
        }
      });
    });

    it('refuses a second run while one holds the lock, logging nothing for it', async () => {
      await withDb(async (t) => {
        const other = kind === 'postgres' ? await t.reopen() : t.db;
        const tickers = sandbox.market.fmpSymbols().slice(0, 20);
        const results = await Promise.allSettled([
          runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { tickers },
          ),
          runDailySync(
            { db: other, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
            { tickers },
          ),
        ]);
        const refused = results.filter((r) => r.status === 'rejected');
        expect(refused).toHaveLength(1);
        const error = (refused[0] as PromiseRejectedResult).reason;
        expect(error).toBeInstanceOf(IngestError);
        expect(error).toMatchObject({ code: 'RUN_LOCKED', message: 'another sync is running' });
        expect((await syncLogs(t.db)).map((l) => l.status)).toEqual([
          'success',
          'success',
          'success',
          'success',
        ]);
        // The lock is released: the next run goes ahead.
        const again = await runDailySync(
          { db: other, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers },
        );
        expect(again.status).toBe('success');
      });
    });

    it('loses nothing under faults beyond the tickers it lists as failed', async () => {
      await withDb(async (clean) => {
        const tickers = sandbox.market.fmpSymbols();
        await runDailySync(
          { db: clean.db, fmp: () => sandboxClient(sandbox), dataDir: clean.dataDir, clock },
          { tickers },
        );
        const reference = withoutUpdatedAt(await priceTable(clean.db));
        const referenceDcf = withoutUpdatedAt(await dcfTable(clean.db));
        await withDb(async (t) => {
          sandbox.update({
            faults: {
              '5xx': 0.05,
              '429': 0.05,
              timeout: 0.02,
              reset: 0.03,
              malformed: 0.03,
              error200: 0.02,
              badrows: 0.03,
            },
          });
          // Hanging requests need a short deadline; a request the busy machine made slow may fail too, and is
          // then listed like any other: the assertions hold either way.
          const summary = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox, { timeoutMs: 1_000 }), dataDir: t.dataDir, clock },
            { tickers, failureThreshold: 1 },
          );
          const logged = await readFailedLog(t.dataDir);
          for (const task of summary.tasks.filter((x) => x.taskName !== 'check_data_quality')) {
            const listed = logged.filter((l) => l.task === task.taskName);
            expect(listed).toHaveLength(
              task.counts.failed! + task.counts.skipped! + task.counts.invalid_rows!,
            );
            for (const l of listed) expect(l.message).toEqual(expect.any(String));
          }
          const bad = (task: string) =>
            new Set(logged.filter((l) => l.task === task).map((l) => l.ticker as string));
          const badPrices = bad('ingest_market_data');
          const badDcf = bad('ingest_all_dcf');
          expect(withoutUpdatedAt(await priceTable(t.db)).filter((r) => !badPrices.has(r.ticker))).toEqual(
            reference.filter((r) => !badPrices.has(r.ticker)),
          );
          expect(
            withoutUpdatedAt(await dcfTable(t.db)).filter((r) => !badDcf.has(r.ticker as string)),
          ).toEqual(referenceDcf.filter((r) => !badDcf.has(r.ticker as string)));
          // Whatever a listed ticker stored is a subset of the reference (dropped rows, never wrong ones).
          const ref = new Set(reference.map((r) => JSON.stringify(r)));
          for (const r of withoutUpdatedAt(await priceTable(t.db)))
            expect(ref.has(JSON.stringify(r))).toBe(true);
        });
      });
    });
  });
}

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Database, readSymbolChanges } from '@smartstock/db';
import { createFmpClient, type FmpClient } from '@smartstock/fmp-client';
import type { Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPriceHistory } from '../src/audit.js';
import { addDays, isSession, lastNDaysWindow, sessionsBetween } from '../src/calendar.js';
import type { SyncSummary, TaskSummary } from '../src/summary.js';
import { runDailySync, type SyncOptions } from '../src/sync.js';
import { type BackendKind, openTestDatabase, startTestSandbox, type TestDatabase } from './helpers/env.js';
import { holdingsCsv } from './helpers/holdings.js';

const KIND: BackendKind = process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded';

/** Nights at 05:00 UTC (01:00 New York): each one's last closed session is the day before. */
function nightAt(date: string): Date {
  return new Date(`${date}T05:00:00Z`);
}
function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) {
    out.push(new Date(d).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * The month: every night from Monday 2025-06-02 to Saturday 2025-07-05, across Juneteenth (no session on June
 * 19), the Russell reconstitution (effective after the close of Friday June 27: the holdings file lists the new
 * members from the night of June 28), July 3 (early close) and July 4 (no session). The last session audited
 * is July 3.
 */
const NIGHTS = daysFrom('2025-06-02', '2025-07-05');
const BACKFILL = { from: '2025-05-05', to: '2025-05-30' } as const;
/**
 * Members the reconstitution adds. 30 in the suite (a minute of CPU on a busy machine is the budget); the issue's
 * full size, 250 joining 120, runs with SMARTSTOCK_MONTH_JOINERS=250 (their 5 years of history then take the
 * repair's cap of 37 requests a night for the rest of the month).
 */
const JOINERS = Number(process.env.SMARTSTOCK_MONTH_JOINERS ?? '30');
/**
 * The repair's cap a night: the default (10% of the members) for the suite's 150; for the full size, what the
 * IWM's 2,000 members get by default (200), since 250 joiners among 370 members would take the small universe's
 * 37 a night past the month's end.
 */
const REPAIR_MAX_REQUESTS = JOINERS > 30 ? 200 : undefined;
const SEED_NIGHT = '2025-06-01';
const RECONSTITUTION_NIGHT = '2025-06-28';
const LAST_NIGHT = NIGHTS.at(-1)!;
const HALT_DATE = '2025-06-17';
const BAD_PRINT_DATE = '2025-06-24';
/** The first night whose window holds the bad print's bar. */
const BAD_PRINT_NIGHT = '2025-06-25';
const RENAME_DATES = ['2025-06-11', '2025-06-23'] as const;

/** A small deterministic generator (mulberry32) for the fault nights. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Five nights after a session, drawn with a fixed seed, none of them a night named above. */
function faultNights(): Set<string> {
  const named = new Set<string>([RECONSTITUTION_NIGHT, BAD_PRINT_NIGHT, LAST_NIGHT, ...RENAME_DATES]);
  const candidates = NIGHTS.filter((n) => !named.has(n) && isSession(addDays(n, -1)));
  const next = rng(20250602);
  const out = new Set<string>();
  while (out.size < 5) out.add(candidates[Math.floor(next() * candidates.length)]!);
  return out;
}

/** A loopback client, 4 attempts a request, millisecond backoff: a 50% 5xx rate fails about 1 ticker in 16. */
function fewRetriesClient(sandbox: Sandbox): FmpClient {
  return createFmpClient({
    apiKey: sandbox.apiKey,
    baseUrl: sandbox.url,
    rateLimit: null,
    maxConcurrent: 50,
    retry: { attempts: 4, baseMs: 1, capMs: 2, rateLimitPauseMs: 2, rateLimitAttempts: 5 },
    timeoutMs: 30_000,
  });
}

async function barsOf(db: Database, ticker: string): Promise<Set<string>> {
  const rows = await db.query<{ date: string }>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date FROM stock_prices WHERE ticker = $1`,
    [ticker],
  );
  return new Set(rows.map((r) => r.date));
}

function task(summary: SyncSummary, name: string): TaskSummary {
  const t = summary.tasks.find((x) => x.taskName === name);
  expect(t, `${name} ran`).toBeDefined();
  return t!;
}

describe(`a simulated month of nightly syncs (${KIND})`, () => {
  let sandbox: Sandbox;
  let t: TestDatabase;
  let initial: string[];
  let joiners: string[];
  let renames: { date: string; oldSymbol: string; newSymbol: string }[];
  let halted: string;
  let misprinted: string;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ tickers: Math.max(240, 2.4 * JOINERS), now: nightAt(SEED_NIGHT) });
    const symbols = sandbox.market.fmpSymbols().filter((s) => /^[A-Z]{1,5}$/.test(s));
    expect(symbols.length).toBeGreaterThanOrEqual(122 + JOINERS);
    initial = symbols.slice(0, 120);
    joiners = symbols.slice(120, 120 + JOINERS);
    renames = RENAME_DATES.map((date, i) => ({
      date,
      oldSymbol: initial[10 + 40 * i]!,
      newSymbol: symbols[120 + JOINERS + i]!,
    }));
    halted = initial[30]!;
    misprinted = initial[70]!;
    sandbox.update({
      renames,
      halts: [{ symbol: halted, date: HALT_DATE }],
      badPrints: [{ symbol: misprinted, date: BAD_PRINT_DATE, factor: 3 }],
    });
    t = await openTestDatabase(KIND);
  }, 60_000);
  afterAll(async () => {
    await t?.dispose();
    await sandbox?.stop();
  });

  /** The holdings file of the night: the members, renamed symbols switched from their date, joiners after June 27. */
  function members(night: string): string[] {
    const list = initial.map((s) => {
      const r = renames.find((x) => x.oldSymbol === s);
      return r && night >= r.date ? r.newSymbol : s;
    });
    return night >= RECONSTITUTION_NIGHT ? [...list, ...joiners] : list;
  }

  async function run(night: string, options: SyncOptions): Promise<SyncSummary> {
    const at = nightAt(night);
    sandbox.update({ now: at });
    const source = join(t.dataDir, 'holdings.csv');
    await writeFile(source, holdingsCsv(members(night).map((ticker) => ({ ticker }))));
    return runDailySync(
      { db: t.db, fmp: () => fewRetriesClient(sandbox), dataDir: t.dataDir, clock: () => at },
      { tickersSource: source, minTickers: 50, repairMaxRequests: REPAIR_MAX_REQUESTS, ...options },
    );
  }

  it('ends a month of failures, a reconstitution, two renames, a halt and a bad print with no unexplained gap, each problem seen in the nightly checks', async () => {
    // The seed: the universe, then a few weeks of history for the initial members.
    const universe = await run(SEED_NIGHT, { tasks: ['tickers'] });
    expect(universe.status).toBe('success');
    const backfill = await run(SEED_NIGHT, { tasks: ['prices'], ...BACKFILL });
    expect(backfill.status).toBe('success');
    sandbox.resetCounters();

    const faulty = faultNights();
    const failed: { night: string; ticker: string }[] = [];
    const repairs: { night: string; barsWritten: number; emptyTries: number; confirmedEmpty: number }[] = [];
    const renamesStored: Record<string, number> = {};
    const bigMoves: Record<string, string[]> = {};
    const findings: Record<string, number> = {};
    let joined: { added: unknown; first: unknown } | undefined;

    for (const night of NIGHTS) {
      if (faulty.has(night)) sandbox.update({ faults: { '5xx': 0.5 } });
      let summary: SyncSummary;
      try {
        summary = await run(night, {});
      } finally {
        sandbox.update({ faults: '' });
      }
      expect(summary.tasks.map((x) => x.taskName)).toEqual([
        'get_russell_2000_list',
        'ingest_market_data',
        'repair_price_gaps',
        'ingest_all_dcf',
        'check_data_quality',
      ]);
      const universeTask = task(summary, 'get_russell_2000_list');
      expect(universeTask.status, night).toBe('success');
      if (night === RECONSTITUTION_NIGHT) {
        joined = { added: universeTask.metadata.added, first: universeTask.metadata.addedTickers };
      }

      const prices = task(summary, 'ingest_market_data');
      const failures = prices.failures.map((f) => f.ticker);
      if (faulty.has(night)) {
        // The night reports its failed tickers, counted and named: a few percent of the universe.
        const n = prices.counts.failed ?? 0;
        expect(n, `${night}: some tickers failed`).toBeGreaterThan(0);
        expect(n, `${night}: a few percent failed`).toBeLessThanOrEqual(members(night).length * 0.15);
        expect(failures).toHaveLength(n);
        expect(failures.every((f) => members(night).includes(f))).toBe(true);
      } else {
        expect(prices.counts.failed ?? 0, `${night}: no ticker failed`).toBe(0);
        expect(summary.status, night).toBe('success');
      }
      for (const ticker of failures) failed.push({ night, ticker });
      const changes = prices.metadata.symbolChanges as { stored: number } | undefined;
      if ((changes?.stored ?? 0) > 0) renamesStored[night] = changes!.stored;

      const repair = task(summary, 'repair_price_gaps').metadata as (typeof repairs)[number];
      repairs.push({
        night,
        barsWritten: repair.barsWritten,
        emptyTries: repair.emptyTries,
        confirmedEmpty: repair.confirmedEmpty,
      });

      const quality = task(summary, 'check_data_quality').quality;
      expect(quality, `${night}: the data checks report`).toBeDefined();
      for (const f of quality!.findings) findings[f.check] = (findings[f.check] ?? 0) + f.count;
      const big = quality!.findings.find((f) => f.check === 'big_move');
      if (big !== undefined && big.count > 0) bigMoves[night] = big.examples;
    }

    // The reconstitution: the holdings file's new members joined that night.
    // (The metadata names the first 50.)
    expect(joined).toEqual({ added: joiners.length, first: [...joiners].sort().slice(0, 50) });

    // Failures: every failed ticker's sessions of that night's window are stored by the end (for a renamed
    // symbol, those before its rename): repair_price_gaps refills them (that night, itself under the faults, or
    // the next), and the next night's window overlaps.
    expect(repairs.filter((r) => faulty.has(r.night)).every((r) => r.barsWritten > 0)).toBe(true);
    const stillMissing: string[] = [];
    for (const { night, ticker } of failed) {
      const w = lastNDaysWindow(5, nightAt(night));
      const renamed = renames.find((r) => r.oldSymbol === ticker);
      const bars = await barsOf(t.db, ticker);
      const missing = sessionsBetween(w.from, w.to).filter(
        (s) => !bars.has(s) && !(ticker === halted && s === HALT_DATE) && !(renamed && s >= renamed.date),
      );
      for (const s of missing) stillMissing.push(`${ticker} ${s} (failed ${night})`);
    }
    expect(stillMissing).toEqual([]);

    // The renames: each stored on its own night, once, in symbol_changes.
    expect(renamesStored).toEqual(Object.fromEntries(RENAME_DATES.map((d) => [d, 1])));
    const changes = await readSymbolChanges(t.db);
    expect(changes.map((c) => [c.oldSymbol, c.newSymbol, c.date]).sort()).toEqual(
      renames.map((r) => [r.oldSymbol, r.newSymbol, r.date]).sort(),
    );

    // The halt: the repair tried the session on the next two nights, then confirmed it empty, and never again.
    expect(repairs.filter((r) => r.emptyTries > 0 || r.confirmedEmpty > 0)).toEqual([
      { night: '2025-06-18', barsWritten: 0, emptyTries: 1, confirmedEmpty: 0 },
      { night: '2025-06-19', barsWritten: 0, emptyTries: 1, confirmedEmpty: 1 },
    ]);

    // The bad print: a big_move finding from the night its bar arrived (the jump, then the fall back), while
    // it is in the checks' window; no other move was flagged all month.
    expect(bigMoves[BAD_PRINT_NIGHT]).toEqual([
      expect.stringMatching(new RegExp(`^${misprinted} ${BAD_PRINT_DATE}: close .*\\(19\\d\\.\\d%\\)$`)),
    ]);
    expect(
      Object.values(bigMoves)
        .flat()
        .every((e) => e.startsWith(`${misprinted} `)),
    ).toBe(true);

    // The halt: the only confirmed-empty session, after two tries.
    const empty = await t.db.query<{ ticker: string; date: string; tries: number }>(
      `SELECT ticker::text AS ticker, to_char(date, 'YYYY-MM-DD') AS date, tries FROM confirmed_empty_sessions
        ORDER BY ticker, date`,
    );
    expect(empty).toEqual([{ ticker: halted, date: HALT_DATE, tries: 2 }]);

    // The audit as of the last night: no unexplained gap; the halt explained; each rename reported once.
    const audit = await auditPriceHistory(
      { db: t.db, clock: () => nightAt(LAST_NIGHT) },
      { asOf: LAST_NIGHT },
    );
    expect(audit.lastSession).toBe('2025-07-03');
    expect(audit.totals.missing).toBe(0);
    expect(audit.unexplained).toBe(false);
    expect(audit.totals.confirmedEmpty).toBe(1);
    expect(audit.tickers.find((x) => x.ticker === halted)).toMatchObject({ missing: 0, confirmedEmpty: 1 });
    for (const r of renames) {
      const rows = audit.tickers.filter(
        (x) => x.ticker === r.newSymbol || x.renamedFrom?.some((f) => f.symbol === r.oldSymbol),
      );
      expect(rows.map((x) => [x.ticker, x.renamedFrom])).toEqual([
        [r.newSymbol, [{ symbol: r.oldSymbol, until: r.date }]],
      ]);
      expect(audit.tickers.some((x) => x.ticker === r.oldSymbol)).toBe(false);
    }

    // The joiners: a bar for every session since they joined (the last session before the reconstitution night),
    // and their history backfilled within the repair's cap to the default depth, 5 years before the night that
    // fetched it (June 28 at the earliest, the last night at the latest): every bar FMP has from 2020-07-06 on.
    const since = sessionsBetween('2025-06-27', '2025-07-03');
    for (const ticker of joiners) {
      const bars = await barsOf(t.db, ticker);
      expect(
        since.filter((s) => !bars.has(s)),
        `${ticker} joined on the reconstitution`,
      ).toEqual([]);
      const history = sandbox.market.bars(ticker, '2020-07-06', '2025-07-03').map((b) => b.date);
      expect(history.length).toBeGreaterThan(1_000);
      expect(
        history.filter((d) => !bars.has(d)),
        `${ticker}: its history to the default depth`,
      ).toEqual([]);
    }

    const requests = sandbox.counters().requests;
    const repairBars = repairs.reduce((a, r) => a + r.barsWritten, 0);
    console.info(
      `month (${KIND}): ${NIGHTS.length} nights, ${requests} FMP requests, ${failed.length} ticker-nights failed ` +
        `on ${faulty.size} nights and all later repaired (${repairBars} bars by repair_price_gaps), findings ` +
        Object.entries(findings)
          .map(([check, n]) => `${check} ${n}`)
          .join(', '),
    );
  }, 240_000);
});

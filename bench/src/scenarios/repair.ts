/**
 * repair: `smartstock repair`'s work (ingest-core's repair_price_gaps through runDailySync: the gap audit, one
 * history request per ticker with gaps, the gap sessions' bars written, empty tries recorded) over the audit
 * scenario's database: 2,000 active tickers × 5 years of daily bars (~2.5 million rows), 5% of the tickers
 * missing ~2% of their sessions, 10 missing their last 5 sessions. The FMP sandbox runs in this process on a
 * loopback port, answering after 200 ms (FMP's latency), and the holes of 5 tickers are halts it never serves.
 * Three nights: the first repairs everything within the default cap (10% of the universe), the second asks
 * again for the halted sessions only (then confirmed empty), the third asks for nothing (the nightly cost of a
 * whole history: the audit alone).
 */
import { performance } from 'node:perf_hooks';
import { type Database, migrate, replaceUniverse } from '@smartstock/db';
import { createFmpClient } from '@smartstock/fmp-client';
import { startSandbox } from '@smartstock/fmp-sandbox';
import { auditPriceHistory, runDailySync, sessionsBetween, type TaskSummary } from '@smartstock/ingest-core';
import { round } from '../analysis.js';
import { freshPostgres, NO_POSTGRES_REASON, postgresServerUrl, tempDir } from '../databases.js';
import { progress } from '../log.js';
import { emptyResult, type ScenarioResult } from '../report.js';
import { AUDIT } from './audit.js';
import { openTarget } from './stored.js';

export const REPAIR = {
  ...AUDIT,
  seed: 1,
  /** FMP's usual answer time. */
  latencyMs: 200,
  /** Gappy tickers whose holes are halts: the sandbox never serves them. */
  haltedTickers: 5,
};

const GOAL = { firstNightSeconds: 60, wholeNightSeconds: 5 } as const;

/** The stored history of the sandbox's symbols: every session, minus the audit scenario's holes. */
async function seedHistory(db: Database, tickers: readonly string[], sessions: readonly string[]) {
  await replaceUniverse(
    db,
    tickers.map((ticker) => ({ ticker, name: null, sector: null, exchange: null, weight: null })),
    { asOf: REPAIR.historyStart },
  );
  const staleFrom = sessions[sessions.length - REPAIR.staleSessions]!;
  const [row] = await db.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO stock_prices (ticker, date, open, high, low, close, volume, source)
       SELECT t.ticker, s.d, 10, 11, 9, 10.5, 1000, 'bench'
       FROM unnest($1::text[]) WITH ORDINALITY AS t(ticker, i) CROSS JOIN unnest($2::date[]) AS s(d)
       WHERE NOT ((t.i - 1) % $3 = 0 AND abs(hashtext(t.ticker || s.d::text)) % $4 = 0)
         AND NOT (t.i > $5 AND s.d >= $6::date)
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [tickers, sessions, REPAIR.gappyEvery, REPAIR.holeOneIn, tickers.length - REPAIR.stale, staleFrom],
  );
  return row?.n ?? 0;
}

function repairFigures(task: TaskSummary, seconds: number) {
  const m = task.metadata;
  return {
    seconds: round(seconds, 2),
    status: task.status,
    tickersWithGaps: m.tickersWithGaps,
    requests: m.requests,
    sessionsRequested: m.sessionsRequested,
    barsWritten: m.barsWritten,
    emptyTries: m.emptyTries,
    confirmedEmpty: m.confirmedEmpty,
    leftForNextNight: m.leftForNextNight,
  };
}

export async function repairScenario(): Promise<ScenarioResult> {
  const name = 'repair';
  const goal =
    `the first night's repair of 2,000 tickers × 5 years in < ${GOAL.firstNightSeconds} s, ` +
    `a night with nothing to repair in < ${GOAL.wholeNightSeconds} s`;
  const server = postgresServerUrl();
  if (!server) return { ...emptyResult(name, goal), skipped: NO_POSTGRES_REASON };
  const scratch = await freshPostgres(server, name);
  const dataDir = await tempDir(name);
  const sandbox = await startSandbox({
    seed: REPAIR.seed,
    tickers: REPAIR.tickers,
    now: REPAIR.now,
    latencyMs: REPAIR.latencyMs,
  });
  try {
    const db = await openTarget(scratch.target);
    try {
      await migrate(db);
      const tickers = sandbox.market.fmpSymbols().sort();
      const sessions = sessionsBetween(REPAIR.historyStart, '2026-11-30');
      progress(`  ${name}: writing ${tickers.length} tickers × ${sessions.length} sessions`);
      const rows = await seedHistory(db, tickers, sessions);
      await db.query('ANALYZE');
      const clock = () => REPAIR.now;
      const before = await auditPriceHistory({ db, clock });
      const halts = before.tickers
        .filter((t) => t.gaps.length > 0)
        .slice(0, REPAIR.haltedTickers)
        .flatMap((t) =>
          t.gaps.flatMap((g) => sessionsBetween(g.from, g.to).map((date) => ({ symbol: t.ticker, date }))),
        );
      sandbox.update({ halts });
      const night = async () => {
        sandbox.resetCounters();
        const t0 = performance.now();
        const summary = await runDailySync(
          {
            db,
            fmp: () => createFmpClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.url, rateLimit: null }),
            dataDir: dataDir.path,
            clock,
          },
          { tasks: ['repair'] },
        );
        const seconds = (performance.now() - t0) / 1000;
        return { task: summary.tasks[0]!, seconds, requests: sandbox.counters().requests };
      };
      const nights = [];
      for (let n = 1; n <= 3; n++) {
        progress(`  ${name}: night ${n}`);
        nights.push(await night());
      }
      const after = await auditPriceHistory({ db, clock });
      const [first, second, third] = nights as [
        Awaited<ReturnType<typeof night>>,
        Awaited<ReturnType<typeof night>>,
        Awaited<ReturnType<typeof night>>,
      ];
      const met =
        first.task.status === 'success' &&
        first.seconds < GOAL.firstNightSeconds &&
        third.seconds < GOAL.wholeNightSeconds &&
        third.requests === 0 &&
        after.totals.missing === 0;
      return Object.assign(emptyResult(name, goal), {
        tickers: tickers.length,
        requests: first.requests,
        wallSeconds: round(first.seconds, 2),
        rowsWritten: Number(first.task.metadata.barsWritten ?? 0),
        met,
        details: {
          database: 'postgres',
          latencyMs: REPAIR.latencyMs,
          storedRows: rows,
          before: {
            missing: before.totals.missing,
            tickersWithGaps: before.totals.tickersWithGaps,
            haltedSessions: halts.length,
          },
          nights: nights.map((n) => repairFigures(n.task, n.seconds)),
          after: { missing: after.totals.missing, confirmedEmpty: after.totals.confirmedEmpty },
          secondNightRequests: second.requests,
        },
      });
    } finally {
      await db.close();
    }
  } finally {
    await sandbox.stop();
    await dataDir.dispose();
    await scratch.dispose();
  }
}

/**
 * audit / audit-embedded: `smartstock audit`'s work (ingest-core's auditPriceHistory: the NYSE session list,
 * then db's set-based auditPriceGaps) over 2,000 active tickers × 5 years of daily bars (~2.5 million rows).
 * The history is written inside the database (INSERT ... SELECT over the calendar), with holes as a real
 * database has them: 5% of the tickers miss ~2% of their sessions (failed nights), 10 are stale, and some holes
 * are confirmed empty. A second, timed audit follows a night every ticker missed, so that every ticker's counts
 * differ and the closer look runs on all of them (the worst case).
 */
import { performance } from 'node:perf_hooks';
import { type Database, migrate, recordEmptyTries, replaceUniverse } from '@smartstock/db';
import { auditPriceHistory, type PriceAudit, sessionsBetween } from '@smartstock/ingest-core';
import { round } from '../analysis.js';
import {
  freshEmbedded,
  freshPostgres,
  NO_POSTGRES_REASON,
  postgresServerUrl,
  type ScratchDatabase,
} from '../databases.js';
import { progress } from '../log.js';
import { emptyResult, type ScenarioResult } from '../report.js';
import { tickerOf } from './rows.js';
import { openTarget } from './stored.js';

export const AUDIT = {
  tickers: 2000,
  /** The audit's clock: Monday 2026-11-30, 18:00 New York (after the close). */
  now: new Date('2026-11-30T23:00:00Z'),
  historyStart: '2021-11-30',
  /** Every 20th ticker (5%) misses the sessions whose hash falls in 1 of 50 (~2%). */
  gappyEvery: 20,
  holeOneIn: 50,
  /** The last 10 tickers have no bar for their last 5 sessions. */
  stale: 10,
  staleSessions: 5,
  /** Holes of the first gappy tickers recorded as confirmed empty (two tries). */
  confirmedTickers: 5,
};

const GOAL_SECONDS = { postgres: 5, embedded: 20 } as const;

/** The stored history: every session of every ticker, minus the holes described above. */
async function seedHistory(db: Database, sessions: readonly string[]): Promise<number> {
  const tickers = Array.from({ length: AUDIT.tickers }, (_, i) => tickerOf(i));
  const entries = tickers.map((ticker) => ({
    ticker,
    name: null,
    sector: null,
    exchange: null,
    weight: null,
  }));
  await replaceUniverse(db, entries, { asOf: AUDIT.historyStart });
  const staleFrom = sessions[sessions.length - AUDIT.staleSessions]!;
  const [row] = await db.query<{ n: number }>(
    `WITH ins AS (
       INSERT INTO stock_prices (ticker, date, open, high, low, close, volume, source)
       SELECT t.ticker, s.d, 10, 11, 9, 10.5, 1000, 'bench'
       FROM unnest($1::text[]) WITH ORDINALITY AS t(ticker, i) CROSS JOIN unnest($2::date[]) AS s(d)
       WHERE NOT ((t.i - 1) % $3 = 0 AND abs(hashtext(t.ticker || s.d::text)) % $4 = 0)
         AND NOT (t.i > $5 AND s.d >= $6::date)
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [tickers, sessions, AUDIT.gappyEvery, AUDIT.holeOneIn, AUDIT.tickers - AUDIT.stale, staleFrom],
  );
  return row?.n ?? 0;
}

/** Records the holes of the first few gappy tickers as confirmed empty (two empty tries each). */
async function confirmSomeHoles(db: Database): Promise<void> {
  const tickers = Array.from({ length: AUDIT.confirmedTickers }, (_, k) => tickerOf(k * AUDIT.gappyEvery));
  const audit = await auditPriceHistory({ db, clock: () => AUDIT.now }, { tickers });
  const holes = audit.tickers.flatMap((t) =>
    t.gaps.flatMap((g) => sessionsBetween(g.from, g.to).map((date) => ({ ticker: t.ticker, date }))),
  );
  for (let i = 0; i < 2; i++) await recordEmptyTries(db, holes, { at: AUDIT.now });
}

async function timedAudit(db: Database): Promise<{ seconds: number; audit: PriceAudit }> {
  const t0 = performance.now();
  const audit = await auditPriceHistory({ db, clock: () => AUDIT.now });
  return { seconds: (performance.now() - t0) / 1000, audit };
}

function summary(audit: PriceAudit) {
  const { totals } = audit;
  return {
    sessions: audit.sessions,
    expected: totals.expected,
    stored: totals.stored,
    missing: totals.missing,
    confirmedEmpty: totals.confirmedEmpty,
    tickersWithGaps: totals.tickersWithGaps,
    stale: totals.stale,
    gapRanges: audit.tickers.reduce((n, t) => n + t.gaps.length, 0),
  };
}

async function runAudit(db: Database, name: string, kind: 'postgres' | 'embedded'): Promise<ScenarioResult> {
  const goal = GOAL_SECONDS[kind];
  const result = emptyResult(name, `an audit of 2,000 tickers × 5 years in < ${goal} s`);
  await migrate(db);
  const sessions = sessionsBetween(AUDIT.historyStart, '2026-11-30');
  progress(`  ${name}: writing ${AUDIT.tickers} tickers × ${sessions.length} sessions`);
  const rows = await seedHistory(db, sessions);
  await confirmSomeHoles(db);
  await db.query('ANALYZE');
  progress(`  ${name}: auditing`);
  const typical = await timedAudit(db);
  const again = await timedAudit(db);
  progress(`  ${name}: a night every ticker missed, then auditing again`);
  await db.query('DELETE FROM stock_prices WHERE date = $1::date', [sessions[sessions.length - 20]]);
  const everyTicker = await timedAudit(db);
  const met = typical.seconds < goal && everyTicker.seconds < goal;
  return Object.assign(result, {
    tickers: AUDIT.tickers,
    wallSeconds: round(typical.seconds, 2),
    met,
    details: {
      database: kind,
      storedRows: rows,
      seconds: {
        first: round(typical.seconds, 2),
        second: round(again.seconds, 2),
        everyTickerDiffers: round(everyTicker.seconds, 2),
      },
      first: summary(typical.audit),
      everyTickerDiffers: summary(everyTicker.audit),
    },
  });
}

export async function auditScenario(kind: 'postgres' | 'embedded'): Promise<ScenarioResult> {
  const name = kind === 'postgres' ? 'audit' : 'audit-embedded';
  const server = postgresServerUrl();
  if (kind === 'postgres' && !server) {
    return { ...emptyResult(name, `< ${GOAL_SECONDS.postgres} s`), skipped: NO_POSTGRES_REASON };
  }
  const scratch: ScratchDatabase =
    kind === 'postgres' ? await freshPostgres(server!, name) : await freshEmbedded(name);
  try {
    const db = await openTarget(scratch.target);
    try {
      return await runAudit(db, name, kind);
    } finally {
      await db.close();
    }
  } finally {
    await scratch.dispose();
  }
}

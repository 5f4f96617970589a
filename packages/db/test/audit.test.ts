import { describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../src/generated/migrations.js';
import {
  auditPriceGaps,
  type Database,
  migrate,
  type PriceRow,
  recordEmptyTries,
  replaceUniverse,
  type TickerAudit,
  writePrices,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

/** Two weeks of sessions as a caller's calendar would give them (2024-01-15 is a holiday). */
const SESSIONS = [
  '2024-01-02',
  '2024-01-03',
  '2024-01-04',
  '2024-01-05',
  '2024-01-08',
  '2024-01-09',
  '2024-01-10',
  '2024-01-11',
  '2024-01-12',
  '2024-01-16',
  '2024-01-17',
  '2024-01-18',
  '2024-01-19',
];
const AT = new Date('2024-01-20T12:00:00Z');

function bar(ticker: string, date: string): PriceRow {
  return {
    ticker,
    date,
    open: 10,
    high: 11,
    low: 9,
    close: 10.5,
    volume: 100,
    vwap: null,
    change: null,
    changePercent: null,
    source: 'test',
  };
}

const except = (...dates: string[]) => SESSIONS.filter((d) => !dates.includes(d));

/** The stored histories every case starts from. */
const HISTORIES: Record<string, string[]> = {
  AAA: [...SESSIONS, '2024-01-15'], // complete, plus a bar on the holiday (ignored)
  BBB: except('2024-01-04', '2024-01-05', '2024-01-11'),
  CCC: SESSIONS.slice(4), // joined on 2024-01-08
  DDD: SESSIONS.slice(0, 9), // nothing after 2024-01-12
  EEE: except('2024-01-09', '2024-01-10', '2024-01-17'),
  FFF: [],
  OLD: except('2024-01-03'),
};

async function seed(db: Database): Promise<void> {
  const entries = Object.keys(HISTORIES).map((ticker) => ({
    ticker,
    name: null,
    sector: null,
    exchange: null,
    weight: null,
  }));
  await replaceUniverse(db, entries, { asOf: '2024-01-02' });
  await replaceUniverse(
    db,
    entries.filter((e) => e.ticker !== 'OLD'),
    { asOf: '2024-01-19' },
  );
  await writePrices(
    db,
    Object.entries(HISTORIES).flatMap(([ticker, dates]) => dates.map((d) => bar(ticker, d))),
  );
}

function byTicker(tickers: TickerAudit[]): Record<string, TickerAudit> {
  return Object.fromEntries(tickers.map((t) => [t.ticker, t]));
}

describe.each(testBackends())('the price gap audit on $name', (backend) => {
  let shared: Database | undefined;
  /** One seeded database for the cases that only read; confirmed-empty rows are cleared before each. */
  async function seeded(): Promise<Database> {
    if (!shared) {
      shared = (await backend.fresh()).db;
      await migrate(shared);
      await seed(shared);
    }
    await shared.query('TRUNCATE confirmed_empty_sessions');
    return shared;
  }

  it('reports each gap as a range of sessions, and nothing for a complete history', async () => {
    const db = await seeded();
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    expect(audit).toMatchObject({ from: '2024-01-02', to: '2024-01-19', sessions: 13, unknown: [] });
    const t = byTicker(audit.tickers);
    expect(Object.keys(t)).toEqual(['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF']);
    expect(t.AAA).toEqual({
      ticker: 'AAA',
      expected: 13,
      stored: 13,
      confirmedEmpty: 0,
      missing: 0,
      gaps: [],
      firstBar: '2024-01-02',
      lastBar: '2024-01-19',
      sessionsSinceLastBar: 0,
      stale: false,
    });
    expect(t.BBB!.gaps).toEqual([
      { from: '2024-01-04', to: '2024-01-05', sessions: 2 },
      { from: '2024-01-11', to: '2024-01-11', sessions: 1 },
    ]);
    expect(t.BBB).toMatchObject({ expected: 13, stored: 10, missing: 3 });
    expect(t.CCC, 'a ticker is expected from its first stored bar').toMatchObject({
      expected: 9,
      missing: 0,
      firstBar: '2024-01-08',
      gaps: [],
    });
    expect(t.EEE!.gaps.map((g) => g.from)).toEqual(['2024-01-09', '2024-01-17']);
    expect(audit.totals).toEqual({
      tickers: 6,
      expected: 13 + 13 + 9 + 13 + 13 + 0,
      stored: 13 + 10 + 9 + 9 + 10 + 0,
      confirmedEmpty: 0,
      missing: 3 + 4 + 3,
      tickersWithGaps: 3,
      stale: 2,
    });
  });

  it('reports the sessions after the last bar as a gap and the ticker as stale from three of them', async () => {
    const db = await seeded();
    const t = byTicker((await auditPriceGaps(db, { sessions: SESSIONS })).tickers);
    expect(t.DDD).toMatchObject({
      lastBar: '2024-01-12',
      sessionsSinceLastBar: 4,
      stale: true,
      gaps: [{ from: '2024-01-16', to: '2024-01-19', sessions: 4 }],
    });
    expect(t.FFF, 'a ticker with no bar at all').toMatchObject({
      expected: 0,
      missing: 0,
      lastBar: null,
      sessionsSinceLastBar: null,
      stale: true,
    });
    const shorter = await auditPriceGaps(db, { sessions: SESSIONS.slice(0, 11) });
    expect(byTicker(shorter.tickers).DDD).toMatchObject({ sessionsSinceLastBar: 2, stale: false });
    const strict = await auditPriceGaps(db, { sessions: SESSIONS.slice(0, 11), staleAfter: 2 });
    expect(byTicker(strict.tickers).DDD!.stale).toBe(true);
  });

  it('expects every session from the history start when one is given, and ignores bars before it', async () => {
    const db = await seeded();
    const audit = await auditPriceGaps(db, { sessions: SESSIONS, historyStart: '2024-01-03' });
    expect(audit).toMatchObject({ from: '2024-01-03', to: '2024-01-19', sessions: 12 });
    const t = byTicker(audit.tickers);
    expect(t.AAA).toMatchObject({ expected: 12, stored: 12, missing: 0 });
    expect(t.CCC!.gaps).toEqual([{ from: '2024-01-03', to: '2024-01-05', sessions: 3 }]);
    expect(t.FFF).toMatchObject({
      expected: 12,
      missing: 12,
      gaps: [{ from: '2024-01-03', to: '2024-01-19', sessions: 12 }],
    });
    const none = await auditPriceGaps(db, { sessions: SESSIONS, historyStart: '2024-02-01' }).catch(
      (e: unknown) => e,
    );
    expect((none as Error).message).toBe(
      'auditPriceGaps: no session to audit: the history start 2024-02-01 is after the last session given ' +
        '(2024-01-19); pass an earlier history start',
    );
  });

  it('counts a session confirmed empty after two tries as explained, and one tried once as a gap', async () => {
    const db = await seeded();
    const first = await recordEmptyTries(
      db,
      [
        { ticker: 'EEE', date: '2024-01-10' },
        { ticker: 'EEE', date: '2024-01-09' },
        { ticker: 'EEE', date: '2024-01-17' },
        { ticker: 'EEE', date: '2024-01-09' },
      ],
      { at: AT },
    );
    expect(first.map((r) => [r.date, r.tries, r.confirmed])).toEqual([
      ['2024-01-09', 1, false],
      ['2024-01-10', 1, false],
      ['2024-01-17', 1, false],
    ]);
    const second = new Date('2024-01-21T12:00:00Z');
    const again = [
      { ticker: 'EEE', date: '2024-01-09' },
      { ticker: 'EEE', date: '2024-01-10' },
    ];
    expect((await recordEmptyTries(db, again, { at: second })).map((r) => r.confirmed)).toEqual([true, true]);
    await recordEmptyTries(db, again, { at: new Date('2024-01-22T12:00:00Z') });
    expect(
      await db.query(
        `SELECT date, tries, last_tried_at, confirmed_at FROM confirmed_empty_sessions ORDER BY date`,
      ),
    ).toEqual([
      {
        date: '2024-01-09',
        tries: 3,
        last_tried_at: new Date('2024-01-22T12:00:00Z'),
        confirmed_at: second,
      },
      {
        date: '2024-01-10',
        tries: 3,
        last_tried_at: new Date('2024-01-22T12:00:00Z'),
        confirmed_at: second,
      },
      { date: '2024-01-17', tries: 1, last_tried_at: AT, confirmed_at: null },
    ]);
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    expect(byTicker(audit.tickers).EEE).toMatchObject({
      expected: 13,
      stored: 10,
      confirmedEmpty: 2,
      missing: 1,
      gaps: [{ from: '2024-01-17', to: '2024-01-17', sessions: 1 }],
    });
    expect(audit.totals.confirmedEmpty).toBe(2);
  });

  it('does not count a confirmed-empty session that later got its bar twice', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await replaceUniverse(db, [{ ticker: 'AAA', name: null, sector: null, exchange: null, weight: null }], {
      asOf: '2024-01-02',
    });
    await writePrices(
      db,
      SESSIONS.map((d) => bar('AAA', d)),
    );
    const day = [{ ticker: 'AAA', date: '2024-01-09' }];
    await recordEmptyTries(db, day, { at: AT });
    await recordEmptyTries(db, day, { at: AT });
    const [audit] = (await auditPriceGaps(db, { sessions: SESSIONS })).tickers;
    expect(audit).toMatchObject({ expected: 13, stored: 13, confirmedEmpty: 0, missing: 0 });
  });

  it('audits only the tickers asked for, an inactive one included, and names those it does not know', async () => {
    const db = await seeded();
    const audit = await auditPriceGaps(db, { sessions: SESSIONS, tickers: ['OLD', 'AAA', 'NOPE', 'AAA'] });
    expect(audit.tickers.map((t) => t.ticker)).toEqual(['AAA', 'OLD']);
    expect(byTicker(audit.tickers).OLD!.gaps).toEqual([
      { from: '2024-01-03', to: '2024-01-03', sessions: 1 },
    ]);
    expect(audit.unknown).toEqual(['NOPE']);
    expect(audit.totals.tickers).toBe(2);
  });

  it('audits a database migrated before confirmed_empty_sessions existed as having none', async () => {
    const { db } = await backend.fresh();
    const before = embeddedMigrations.filter((m) => !m.name.endsWith('_confirmed_empty_sessions'));
    await migrate(db, { migrations: before });
    await seed(db);
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    expect(audit.totals).toMatchObject({ confirmedEmpty: 0, missing: 10, tickersWithGaps: 3 });
  });

  it('refuses a calendar out of order, naming the entry and what to pass instead', async () => {
    const db = await seeded();
    const error = await auditPriceGaps(db, { sessions: ['2024-01-03', '2024-01-02'] }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_ROW' });
    expect((error as Error).message).toBe(
      'auditPriceGaps: sessions[1] is "2024-01-02"; sessions must be YYYY-MM-DD dates in ascending order ' +
        'without repeats (build them from the exchange calendar)',
    );
    const bad = await recordEmptyTries(db, [{ ticker: 'aaa', date: '2024-01-02' }], { at: AT }).catch(
      (e: unknown) => e,
    );
    expect((bad as Error).message).toContain(
      'empty session row 0 (ticker "aaa", date 2024-01-02): ticker must be',
    );
  });

  it('finds the same gaps as a session-by-session comparison on a random history', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const days = Array.from({ length: 160 }, (_, i) =>
      new Date(Date.UTC(2023, 0, 2) + i * 86_400_000).toISOString().slice(0, 10),
    );
    // Weekends and a few random holidays are no session; some bars still land on them (bad data).
    const calendar = days.filter((_, i) => i % 7 < 5 && random() > 0.03);
    const tickers = Array.from({ length: 30 }, (_, i) => `R${String(i).padStart(2, '0')}`);
    const late = (i: number) => (i % 4 === 0 ? Math.floor(random() * 40) : 0);
    const stored = new Map(
      tickers.map((t, i) => {
        const from = days[late(i)]!;
        return [t, days.filter((d) => d >= from && random() > (calendar.includes(d) ? 0.08 : 0.95))];
      }),
    );
    const empties = tickers.flatMap((ticker) =>
      calendar
        .filter((d) => !stored.get(ticker)!.includes(d) && random() < 0.3)
        .map((date) => ({ ticker, date })),
    );
    await replaceUniverse(
      db,
      tickers.map((ticker) => ({ ticker, name: null, sector: null, exchange: null, weight: null })),
      { asOf: '2023-01-02' },
    );
    await writePrices(
      db,
      [...stored].flatMap(([ticker, dates]) => dates.map((d) => bar(ticker, d))),
    );
    await recordEmptyTries(db, empties, { at: AT });
    await recordEmptyTries(db, empties, { at: AT });
    for (const historyStart of [undefined, calendar[10]!]) {
      const audit = await auditPriceGaps(db, { sessions: calendar, historyStart });
      for (const t of audit.tickers) {
        const bars = stored.get(t.ticker)!.filter((d) => !historyStart || d >= historyStart);
        const have = new Set([...bars, ...empties.filter((e) => e.ticker === t.ticker).map((e) => e.date)]);
        const first = historyStart ?? bars[0]!;
        const expected = calendar.filter((d) => d >= first);
        const missing = expected.filter((d) => !have.has(d));
        const listed = t.gaps.flatMap((g) => calendar.filter((d) => d >= g.from && d <= g.to));
        const where = `${t.ticker} from ${historyStart ?? 'its first bar'}`;
        expect(listed, where).toEqual(missing);
        expect(t.missing, where).toBe(missing.length);
        expect(t.expected, where).toBe(expected.length);
        expect(t.stored, where).toBe(bars.filter((d) => calendar.includes(d)).length);
        for (const [a, b] of t.gaps.slice(1).map((g, i) => [t.gaps[i]!, g] as const)) {
          expect(calendar.indexOf(b.from) - calendar.indexOf(a.to), 'ranges are merged').toBeGreaterThan(1);
        }
      }
    }
  });
});

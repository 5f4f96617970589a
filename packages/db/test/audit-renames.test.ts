import { describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../src/generated/migrations.js';
import {
  auditPriceGaps,
  type Database,
  getFirstPriceDate,
  migrate,
  type PriceRow,
  recordEmptyTries,
  replaceUniverse,
  writePrices,
  writeSymbolChanges,
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
/** NEP trades as XIFR from this session on. */
const CHANGE = '2024-01-10';
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

const entry = (ticker: string) => ({ ticker, name: null, sector: null, exchange: null, weight: null });

/**
 * NEP in the universe until the rename, XIFR after it (NEP stays in tickers, inactive); AAA throughout. NEP's
 * bars stop the session before the change, XIFR's start on it; `nepDates` may leave a session out.
 */
async function seed(db: Database, nepDates = SESSIONS.filter((d) => d < CHANGE)): Promise<void> {
  await replaceUniverse(db, [entry('AAA'), entry('NEP')], { asOf: '2024-01-02' });
  await replaceUniverse(db, [entry('AAA'), entry('XIFR')], { asOf: '2024-01-19' });
  await writePrices(db, [
    ...SESSIONS.map((d) => bar('AAA', d)),
    ...nepDates.map((d) => bar('NEP', d)),
    ...SESSIONS.filter((d) => d >= CHANGE).map((d) => bar('XIFR', d)),
  ]);
}

const RENAME = { oldSymbol: 'NEP', newSymbol: 'XIFR', date: CHANGE, companyName: 'XPLR Infrastructure, LP' };

describe.each(testBackends())('the gap audit of a renamed ticker on $name', (backend) => {
  async function fresh(): Promise<Database> {
    const { db } = await backend.fresh();
    await migrate(db);
    return db;
  }

  it('audits a renamed pair as one company with no gap, from the old symbol first bar', async () => {
    const db = await fresh();
    await seed(db);
    await writeSymbolChanges(db, [RENAME]);
    expect(await getFirstPriceDate(db)).toBe('2024-01-02');
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    expect(audit.tickers.map((t) => t.ticker)).toEqual(['AAA', 'XIFR']);
    expect(audit.tickers[1]).toEqual({
      ticker: 'XIFR',
      renamedFrom: [{ symbol: 'NEP', until: CHANGE }],
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
    expect(audit.totals).toMatchObject({ tickers: 2, expected: 26, stored: 26, missing: 0 });
  });

  it('without the rename, the new symbol history starts at the change and the old one is not audited', async () => {
    const db = await fresh();
    await seed(db);
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    const xifr = audit.tickers.find((t) => t.ticker === 'XIFR')!;
    expect(xifr).toMatchObject({ expected: 7, stored: 7, firstBar: CHANGE });
    expect(xifr.renamedFrom).toBeUndefined();
  });

  it('finds a gap in the old symbol history as the new ticker gap, and shows the pair once when both are asked for', async () => {
    const db = await fresh();
    await seed(
      db,
      SESSIONS.filter((d) => d < CHANGE && d !== '2024-01-04'),
    );
    await writeSymbolChanges(db, [RENAME]);
    const audit = await auditPriceGaps(db, { sessions: SESSIONS, tickers: ['NEP', 'XIFR'] });
    expect(audit.tickers.map((t) => t.ticker)).toEqual(['XIFR']);
    expect(audit.tickers[0]).toMatchObject({
      expected: 13,
      stored: 12,
      missing: 1,
      gaps: [{ from: '2024-01-04', to: '2024-01-04', sessions: 1 }],
    });
    // A session the old symbol was confirmed empty for explains it.
    await recordEmptyTries(db, [{ ticker: 'NEP', date: '2024-01-04' }], { at: AT });
    await recordEmptyTries(db, [{ ticker: 'NEP', date: '2024-01-04' }], { at: AT });
    const explained = await auditPriceGaps(db, { sessions: SESSIONS, tickers: ['XIFR'] });
    expect(explained.tickers[0]).toMatchObject({ stored: 12, confirmedEmpty: 1, missing: 0, gaps: [] });
  });

  it('counts a session stored under both symbols once, and ignores the old symbol bars from the change on', async () => {
    const db = await fresh();
    await seed(db);
    // FMP backfilled XIFR with two pre-rename sessions; a late NEP print after the change does not count.
    await writePrices(db, [bar('XIFR', '2024-01-08'), bar('XIFR', '2024-01-09'), bar('NEP', '2024-01-11')]);
    await writeSymbolChanges(db, [RENAME]);
    const [xifr] = (await auditPriceGaps(db, { sessions: SESSIONS, tickers: ['XIFR'] })).tickers;
    expect(xifr).toMatchObject({ expected: 13, stored: 13, missing: 0 });
  });

  it('follows a chain of renames back to the first symbol', async () => {
    const db = await fresh();
    await replaceUniverse(db, [entry('CCC')], { asOf: '2024-01-19' });
    await writePrices(db, [
      ...SESSIONS.filter((d) => d < '2024-01-05').map((d) => bar('AAA', d)),
      ...SESSIONS.filter((d) => d >= '2024-01-05' && d < '2024-01-12').map((d) => bar('BBB', d)),
      ...SESSIONS.filter((d) => d >= '2024-01-12').map((d) => bar('CCC', d)),
    ]);
    await writeSymbolChanges(db, [
      { oldSymbol: 'AAA', newSymbol: 'BBB', date: '2024-01-05', companyName: null },
      { oldSymbol: 'BBB', newSymbol: 'CCC', date: '2024-01-12', companyName: null },
    ]);
    const [ccc] = (await auditPriceGaps(db, { sessions: SESSIONS })).tickers;
    expect(ccc).toMatchObject({
      ticker: 'CCC',
      renamedFrom: [
        { symbol: 'BBB', until: '2024-01-12' },
        { symbol: 'AAA', until: '2024-01-05' },
      ],
      expected: 13,
      stored: 13,
      missing: 0,
    });
  });

  it('audits a database migrated before symbol_changes existed as having no rename', async () => {
    const { db } = await backend.fresh();
    await migrate(db, { migrations: embeddedMigrations.filter((m) => !m.name.endsWith('_symbol_changes')) });
    await seed(db);
    const audit = await auditPriceGaps(db, { sessions: SESSIONS });
    expect(audit.tickers.find((t) => t.ticker === 'XIFR')).toMatchObject({ expected: 7, missing: 0 });
    expect(await getFirstPriceDate(db)).toBe('2024-01-02');
  });
});

import { recordEmptyTries, replaceUniverse, writeSymbolChanges } from '@smartstock/db';
import { seedHistories } from '@smartstock/testkit/histories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPriceHistory } from '../../src/audit.js';
import { sessionsBetween } from '../../src/calendar.js';
import { type BackendKind, FIXED_NOW, openTestDatabase, type TestDatabase } from './env.js';

/** 2026-03-30 .. 2026-05-08 on the NYSE calendar (Good Friday 2026-04-03 is no session). */
const SESSIONS = sessionsBetween('2026-03-30', '2026-05-08');
/** Friday 2026-05-08, 11:00 New York: that day's session has not closed. */
const BEFORE_CLOSE = new Date('2026-05-08T15:00:00Z');

const HISTORIES: Record<string, string[]> = {
  AAA: SESSIONS,
  BBB: SESSIONS.filter((d) => d !== '2026-04-02' && d !== '2026-04-06'),
  CCC: SESSIONS.filter((d) => d <= '2026-05-04'),
  NEW: [],
};

const seed = (t: TestDatabase) => seedHistories(t.db, HISTORIES, { asOf: '2026-03-30' });

/** The NYSE gap audit (auditPriceHistory) on one backend, with pinned clocks. */
export function defineAuditSuite(kind: BackendKind): void {
  describe(`the price history audit against the NYSE calendar (${kind})`, () => {
    let t: TestDatabase;
    const audit = (clock: Date, options: Parameters<typeof auditPriceHistory>[1] = {}) =>
      auditPriceHistory({ db: t.db, clock: () => clock }, options);
    const gapsOf = async (clock: Date, ticker: string, options = {}) =>
      (await audit(clock, options)).tickers.find((x) => x.ticker === ticker)!.gaps;

    beforeAll(async () => {
      t = await openTestDatabase(kind);
      await seed(t);
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it('merges missing sessions on either side of a holiday into one range, up to the last closed session', async () => {
      const result = await audit(FIXED_NOW);
      expect(result).toMatchObject({
        from: '2026-03-30',
        to: '2026-05-08',
        lastSession: '2026-05-08',
        sessions: SESSIONS.length,
        unexplained: true,
      });
      expect(await gapsOf(FIXED_NOW, 'BBB')).toEqual([{ from: '2026-04-02', to: '2026-04-06', sessions: 2 }]);
      expect(await gapsOf(FIXED_NOW, 'AAA')).toEqual([]);
      expect(result.totals).toMatchObject({ tickers: 4, missing: 2 + 4, tickersWithGaps: 2, stale: 2 });
    });

    it('reports the sessions after a ticker last bar as a gap, and it and a ticker with no bar as stale', async () => {
      const byTicker = Object.fromEntries((await audit(FIXED_NOW)).tickers.map((x) => [x.ticker, x]));
      expect(byTicker.CCC).toMatchObject({
        lastBar: '2026-05-04',
        sessionsSinceLastBar: 4,
        stale: true,
        gaps: [{ from: '2026-05-05', to: '2026-05-08', sessions: 4 }],
      });
      expect(byTicker.NEW).toMatchObject({ expected: 0, stale: true, lastBar: null });
      expect(byTicker.AAA!.stale).toBe(false);
    });

    it('does not expect the bar of a session that has not closed yet', async () => {
      const result = await audit(BEFORE_CLOSE);
      expect(result.lastSession).toBe('2026-05-07');
      expect(await gapsOf(BEFORE_CLOSE, 'CCC')).toEqual([
        { from: '2026-05-05', to: '2026-05-07', sessions: 3 },
      ]);
      expect(result.tickers.find((x) => x.ticker === 'AAA')).toMatchObject({
        missing: 0,
        lastBar: '2026-05-07',
      });
    });

    it('audits as of an earlier day, ending at the last session on or before it', async () => {
      const result = await audit(FIXED_NOW, { asOf: '2026-04-05' });
      expect(result.lastSession).toBe('2026-04-02');
      expect(await gapsOf(FIXED_NOW, 'BBB', { asOf: '2026-04-05' })).toEqual([
        { from: '2026-04-02', to: '2026-04-02', sessions: 1 },
      ]);
    });

    it('expects every session from a history start, so a late first bar leaves a gap before it', async () => {
      const gaps = await gapsOf(FIXED_NOW, 'AAA', { historyStart: '2026-03-23' });
      expect(gaps).toEqual([{ from: '2026-03-23', to: '2026-03-27', sessions: 5 }]);
    });

    it('finds nothing unexplained once the missing sessions are confirmed empty', async () => {
      const scoped = { tickers: ['BBB'] };
      expect((await audit(FIXED_NOW, scoped)).unexplained).toBe(true);
      const halted = ['2026-04-02', '2026-04-06'].map((date) => ({ ticker: 'BBB', date }));
      await recordEmptyTries(t.db, halted, { at: FIXED_NOW });
      await recordEmptyTries(t.db, halted, { at: FIXED_NOW });
      const result = await audit(FIXED_NOW, scoped);
      expect(result.unexplained).toBe(false);
      expect(result.totals).toMatchObject({ confirmedEmpty: 2, missing: 0 });
    });

    it('refuses a malformed date option or a history start after the last closed session, saying what to pass', async () => {
      await expect(audit(FIXED_NOW, { historyStart: '2026-02-30' })).rejects.toThrow(
        'historyStart must be a calendar date YYYY-MM-DD (got "2026-02-30"), e.g. 2021-01-04',
      );
      await expect(audit(BEFORE_CLOSE, { historyStart: '2026-05-08' })).rejects.toThrow(
        'historyStart 2026-05-08 is after the last closed session (2026-05-07): nothing to audit; give an earlier date',
      );
    });
  });

  describe(`the audit of a renamed ticker (${kind})`, () => {
    /** NEP trades as XIFR from this session on (FMP's change date). */
    const CHANGE = '2026-04-20';

    it('audits a renamed pair as one company with no gap, from the old symbol first bar', async () => {
      const t = await openTestDatabase(kind);
      try {
        await seedHistories(
          t.db,
          { NEP: SESSIONS.filter((d) => d < CHANGE), XIFR: SESSIONS.filter((d) => d >= CHANGE) },
          { asOf: '2026-03-30' },
        );
        // The holdings listed XIFR instead of NEP after the rename: NEP stays in tickers, inactive.
        await replaceUniverse(
          t.db,
          [{ ticker: 'XIFR', name: null, sector: null, exchange: null, weight: null }],
          {
            asOf: '2026-05-08',
          },
        );
        await writeSymbolChanges(t.db, [
          { oldSymbol: 'NEP', newSymbol: 'XIFR', date: CHANGE, companyName: 'XPLR Infrastructure, LP' },
        ]);
        const result = await auditPriceHistory({ db: t.db, clock: () => FIXED_NOW });
        expect(result).toMatchObject({ from: '2026-03-30', to: '2026-05-08', unexplained: false });
        expect(result.tickers).toEqual([
          expect.objectContaining({
            ticker: 'XIFR',
            renamedFrom: [{ symbol: 'NEP', until: CHANGE }],
            expected: SESSIONS.length,
            stored: SESSIONS.length,
            missing: 0,
            gaps: [],
            firstBar: '2026-03-30',
          }),
        ]);
      } finally {
        await t.dispose();
      }
    });
  });
}

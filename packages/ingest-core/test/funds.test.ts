import type { Sandbox, SandboxFund } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDailySync } from '../src/sync.js';
import { type Fund, fundHoldingsUrl, ISHARES_FUNDS } from '../src/universe/funds.js';
import { FIXED_NOW, openTestDatabase, startTestSandbox, type TestDatabase } from './helpers/env.js';

// The other iShares funds as universe sources: with no source given, a run downloads its fund's file (here the
// sandbox serves each fund's file where iShares' URL would be) and refuses one below the fund's own floor. The
// embedded database only: the universe task's writes are the same on both backends (sync.*.test.ts).

/** Large enough for IWV's floor of 2,500; IWM and IWV list the whole sandbox universe. */
const UNIVERSE = 2_600;
const HOLDINGS: Record<Fund, number> = { IWM: UNIVERSE, IWB: 1_005, IWV: UNIVERSE, IJR: 602, IJH: 401 };

describe('the iShares funds as universe sources', () => {
  let sandbox: Sandbox;
  let t: TestDatabase;
  /** The URLs the run asked for; each iShares URL answered with the sandbox's file of `served` (default: the same fund). */
  let requested: string[];
  let served: Partial<Record<Fund, SandboxFund>>;

  beforeAll(async () => {
    sandbox = await startTestSandbox({ tickers: UNIVERSE });
    t = await openTestDatabase('embedded');
  });
  afterAll(async () => {
    await t?.dispose();
    await sandbox?.stop();
  });

  const fetchText = async (url: string): Promise<string> => {
    requested.push(url);
    const fund = (Object.keys(ISHARES_FUNDS) as Fund[]).find((f) => fundHoldingsUrl(f) === url);
    if (!fund) throw new Error(`unexpected download ${url}`);
    const res = await fetch(sandbox.fundHoldingsUrl(served[fund] ?? fund));
    return res.text();
  };
  const universeRun = (fund: Fund, minTickers?: number) => {
    requested = [];
    return runDailySync(
      {
        db: t.db,
        fmp: () => {
          throw new Error('a universe-only run needs no FMP client');
        },
        dataDir: t.dataDir,
        clock: () => FIXED_NOW,
        fetchText,
      },
      { tasks: ['tickers'], fund, ...(minTickers !== undefined ? { minTickers } : {}) },
    );
  };
  const activeTickers = async () =>
    Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM tickers WHERE active'))[0]!.n);

  for (const fund of Object.keys(ISHARES_FUNDS) as Fund[]) {
    it(`loads ${fund}'s holdings from its own iShares URL, above its floor of ${ISHARES_FUNDS[fund].minTickers}`, async () => {
      served = {};
      const summary = await universeRun(fund);
      const task = summary.tasks[0]!;
      expect(task.status, task.errorMessage ?? '').toBe('success');
      expect(requested).toEqual([fundHoldingsUrl(fund)]);
      expect(task.tickers).toBe(HOLDINGS[fund]);
      expect(HOLDINGS[fund]).toBeGreaterThanOrEqual(ISHARES_FUNDS[fund].minTickers);
      expect(await activeTickers()).toBe(HOLDINGS[fund]);
    });
  }

  it("refuses a file below the fund's floor, naming the fund and its minimum, and keeps the universe", async () => {
    served = {};
    expect((await universeRun('IJR')).tasks[0]!.status).toBe('success');
    // IJR's download answered with IJH's 401 holdings: a truncated file for a 600-stock fund.
    served = { IJR: 'IJH' };
    const refused = (await universeRun('IJR')).tasks[0]!;
    expect(refused.status).toBe('failed');
    expect(refused.errorMessage).toMatch(/only 401 tickers after cleaning, at least 500 required for IJR/);
    expect(await activeTickers()).toBe(HOLDINGS.IJR);
    // An explicit minimum still wins over the fund's.
    const allowed = (await universeRun('IJR', 400)).tasks[0]!;
    expect(allowed.status, allowed.errorMessage ?? '').toBe('success');
    expect(await activeTickers()).toBe(401);
  });

  it('refuses a fund it does not know before anything runs', async () => {
    await expect(universeRun('SPY' as Fund)).rejects.toThrow(
      /invalid fund "SPY": must be one of IWM, IWB, IWV, IJR, IJH/,
    );
  });
});

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FAULT_KINDS, type FaultRates, type Sandbox } from '@smartstock/fmp-sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILED_LOG_FILE } from '../../src/failed-log.js';
import { runDailySync } from '../../src/sync.js';
import {
  type BackendKind,
  dcfTable,
  FIXED_NOW,
  openTestDatabase,
  priceTable,
  sandboxClient,
  startTestSandbox,
  syncLogs,
} from '../helpers/env.js';
import { recordingLogger } from '../helpers/logger.js';

const TICKERS = 150;
const clock = () => FIXED_NOW;

function strip<T extends { updated_at?: unknown }>(rows: T[]) {
  return rows.map(({ updated_at: _u, ...r }) => JSON.stringify(r));
}

async function failedLog(
  dataDir: string,
): Promise<{ task: string; ticker: string; outcome: string; message: string }[]> {
  const text = await readFile(join(dataDir, FAILED_LOG_FILE), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

const cases: [string, FaultRates][] = [
  ...FAULT_KINDS.map((k): [string, FaultRates] => [`${k} at 20%`, { [k]: 0.2 }]),
  ['every fault kind together (10% each)', Object.fromEntries(FAULT_KINDS.map((k) => [k, 0.1]))],
];

for (const kind of ['postgres', 'embedded'] as BackendKind[]) {
  describe(`fault injection against a fault-free reference (${kind})`, () => {
    let sandbox: Sandbox;
    let reference: { prices: Set<string>; dcf: Set<string>; priceRows: number };
    const tally = { runs: 0, rowsCompared: 0, rowsLost: 0 };

    beforeAll(async () => {
      sandbox = await startTestSandbox({ tickers: TICKERS });
      const t = await openTestDatabase(kind);
      try {
        const s = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock },
          { tickers: sandbox.market.fmpSymbols() },
        );
        expect(s.status).toBe('success');
        const prices = strip(await priceTable(t.db));
        reference = {
          prices: new Set(prices),
          dcf: new Set(strip(await dcfTable(t.db))),
          priceRows: prices.length,
        };
      } finally {
        await t.dispose();
      }
    });
    afterAll(async () => {
      await sandbox?.stop();
      // The README quotes these figures.
      console.info(`reliability ${kind}: ${JSON.stringify(tally)}`);
    });

    for (const [name, faults] of cases) {
      it(`loses nothing beyond the tickers it lists with ${name}`, async () => {
        const t = await openTestDatabase(kind);
        try {
          sandbox.update({ faults });
          const logger = recordingLogger();
          const summary = await runDailySync(
            { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock, logger },
            { tickers: sandbox.market.fmpSymbols(), secrets: [sandbox.apiKey] },
          );
          sandbox.update({ faults: '' });
          tally.runs++;
          const logged = await failedLog(t.dataDir);
          for (const task of summary.tasks) {
            const listed = logged.filter((l) => l.task === task.taskName);
            const c = task.counts as Record<string, number>;
            expect(listed.length).toBe(c.failed! + c.skipped! + c.invalid_rows!);
            for (const l of listed) expect(l.message.length).toBeGreaterThan(0);
            const share = (c.failed! + c.skipped!) / task.tickers;
            expect(task.status).toBe(
              share > 0.05 ? 'failed' : c.failed! + c.skipped! + c.invalid_rows! > 0 ? 'partial' : 'success',
            );
          }
          const listedPrices = new Set(
            logged.filter((l) => l.task === 'ingest_market_data').map((l) => l.ticker),
          );
          const stored = strip(await priceTable(t.db));
          // Nothing wrong and nothing duplicated: every stored row is a reference row (primary key = no duplicates).
          for (const r of stored) expect(reference.prices.has(r)).toBe(true);
          for (const r of strip(await dcfTable(t.db))) expect(reference.dcf.has(r)).toBe(true);
          // Nothing lost: every reference row of an unlisted ticker is stored.
          const storedSet = new Set(stored);
          const missing = [...reference.prices].filter(
            (r) => !storedSet.has(r) && !listedPrices.has(JSON.parse(r).ticker),
          );
          tally.rowsCompared += reference.priceRows;
          tally.rowsLost += missing.length;
          expect(missing).toEqual([]);
          const everything = JSON.stringify([summary, await syncLogs(t.db), logger.lines, logged]);
          expect(everything).not.toContain(sandbox.apiKey);
        } finally {
          sandbox.update({ faults: '' });
          await t.dispose();
        }
      });
    }

    it('aborts fast when the key is revoked mid-run, and never writes the key', async () => {
      const t = await openTestDatabase(kind);
      try {
        sandbox.resetCounters();
        sandbox.update({ revokeKeyAfter: 40 });
        const logger = recordingLogger();
        const summary = await runDailySync(
          { db: t.db, fmp: () => sandboxClient(sandbox), dataDir: t.dataDir, clock, logger },
          { tickers: sandbox.market.fmpSymbols(), concurrency: 10, secrets: [sandbox.apiKey] },
        );
        sandbox.update({ revokeKeyAfter: null });
        expect(summary.tasks.map((x) => x.status)).toEqual(['failed', 'failed']);
        expect(sandbox.counters().requests).toBeLessThanOrEqual(40 + 10);
        expect(sandbox.counters().byEndpoint['discounted-cash-flow']?.total ?? 0).toBe(0);
        const everything = JSON.stringify([
          summary,
          await syncLogs(t.db),
          logger.lines,
          await failedLog(t.dataDir),
        ]);
        expect(everything).not.toContain(sandbox.apiKey);
      } finally {
        sandbox.update({ revokeKeyAfter: null });
        await t.dispose();
      }
    });
  });
}

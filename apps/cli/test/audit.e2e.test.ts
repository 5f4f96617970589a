import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, recordEmptyTries, replaceUniverse, writeSymbolChanges } from '@smartstock/db';
import { sessionsBetween } from '@smartstock/ingest-core';
import { seedHistories } from '@smartstock/testkit/histories';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BACKENDS, type Backend, createBackend, runCli } from './helpers.js';

// Every audit runs --as-of a day long closed, so the sessions expected do not depend on today's date.
const AS_OF = '2024-04-05';
/** 2024-03-25 .. 2024-04-05: Good Friday 2024-03-29 is no session (9 sessions). */
const SESSIONS = sessionsBetween('2024-03-25', AS_OF);

const HISTORIES: Record<string, string[]> = {
  AAA: SESSIONS,
  BBB: SESSIONS.filter((d) => d !== '2024-03-28' && d !== '2024-04-01'),
  CCC: SESSIONS.filter((d) => d <= '2024-04-01'),
  HLT: SESSIONS.filter((d) => d !== '2024-04-03'),
};

describe.each(BACKENDS)('smartstock audit on the %s database', (name) => {
  let dir: string;
  let dataDir: string;
  let backend: Backend;
  const audit = (...args: string[]) =>
    runCli(['audit', '--as-of', AS_OF, ...args, '--data-dir', dataDir], { cwd: dir, env: backend.env });

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-audit-'));
    dataDir = path.join(dir, 'data');
    // The audit only reads what the cases store: no need to create the embedded database (the copy is migrated
    // already; migrate() below is for PostgreSQL's new database).
    backend = await createBackend(name, dataDir, 'audit', { start: 'migrated' });
    const db = await backend.open();
    try {
      await migrate(db);
      await seedHistories(db, HISTORIES, { asOf: SESSIONS[0]! });
      const halted = [{ ticker: 'HLT', date: '2024-04-03' }];
      for (const at of ['2024-04-04T12:00:00Z', '2024-04-05T12:00:00Z'])
        await recordEmptyTries(db, halted, { at: new Date(at) });
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints each ticker with a gap, the confirmed-empty and stale ones, the totals, and exits 1', async () => {
    const result = await audit();
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      [
        'Price history of 4 tickers against the NYSE calendar, 2024-03-25 .. 2024-04-05 (9 sessions):',
        '',
        'ticker  missing  gaps                        confirmed empty  last bar    stale',
        '------  -------  --------------------------  ---------------  ----------  ----------------',
        'BBB           2  2024-03-28..2024-04-01 (2)                0  2024-04-05',
        'CCC           4  2024-04-02..2024-04-05 (4)                0  2024-04-01  yes (4 sessions)',
        'HLT           0  -                                         1  2024-04-05',
        '',
        'Total: 29 of 36 expected sessions stored, 1 confirmed empty, 6 missing in 2 tickers; 1 stale ticker ' +
          '(no bar for the last 3 sessions or more).',
        // The data checks report; the seeded tickers have no DCF (and none of the audit's exit codes changes).
        'Data checks (bars of 2024-04-01 .. 2024-04-05, DCF), reported only:',
        '  4 tickers with prices and no DCF: AAA; BBB; CCC; +1 more',
        'UNEXPLAINED GAPS: 6 sessions in 2 tickers',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });

  it('exits 0 when every expected session has a bar or is confirmed empty', async () => {
    const result = await audit('--tickers', 'aaa,HLT');
    expect(result.stdout).toContain('no unexplained gap');
    expect(result.stdout).toMatch(/^AAA +0 +- +0 +2024-04-05$/m);
    expect(result.code).toBe(0);
  });

  it('prints one JSON document with every ticker and the gap ranges with --json', async () => {
    const result = await audit('--json', '--history-from', '2024-03-26');
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({
      from: '2024-03-26',
      to: AS_OF,
      lastSession: AS_OF,
      sessions: 8,
      unexplained: true,
      totals: { tickers: 4, missing: 6, confirmedEmpty: 1, stale: 1 },
    });
    expect(doc.tickers.map((t: { ticker: string }) => t.ticker)).toEqual(['AAA', 'BBB', 'CCC', 'HLT']);
    expect(doc.tickers[2].gaps).toEqual([{ from: '2024-04-02', to: '2024-04-05', sessions: 4 }]);
    expect(doc.quality).toMatchObject({ since: '2024-04-01', asOf: AS_OF, total: 4 });
    expect(doc.quality.findings.find((f: { check: string }) => f.check === 'no_dcf')).toEqual({
      check: 'no_dcf',
      count: 4,
      examples: ['AAA', 'BBB', 'CCC', 'HLT'],
    });
  });

  it('refuses a ticker the universe does not know and a malformed date, saying what to do (exit 2)', async () => {
    const unknown = await audit('--tickers', 'AAA,ZZZZ');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      '--tickers: ZZZZ is not in the tickers table (the universe): check the spelling, or run `smartstock tickers` first',
    );
    const bad = await audit('--history-from', '2024-02-30');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--history-from must be a calendar date YYYY-MM-DD (got "2024-02-30")');
  });
});

describe.each(BACKENDS)('smartstock audit of a renamed ticker on the %s database', (name) => {
  let dir: string;
  let dataDir: string;
  let backend: Backend;
  /** NEP trades as XIFR from this session on. */
  const CHANGE = '2024-04-01';
  const audit = (...args: string[]) =>
    runCli(['audit', '--as-of', AS_OF, ...args, '--data-dir', dataDir], { cwd: dir, env: backend.env });

  beforeAll(async () => {
    assertBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-audit-rename-'));
    dataDir = path.join(dir, 'data');
    backend = await createBackend(name, dataDir, 'audit_rename', { start: 'migrated' });
    const db = await backend.open();
    try {
      await migrate(db);
      await seedHistories(
        db,
        { NEP: SESSIONS.filter((d) => d < CHANGE), XIFR: SESSIONS.filter((d) => d >= CHANGE) },
        { asOf: SESSIONS[0]! },
      );
      await replaceUniverse(
        db,
        [{ ticker: 'XIFR', name: null, sector: null, exchange: null, weight: null }],
        {
          asOf: AS_OF,
        },
      );
      await writeSymbolChanges(db, [
        { oldSymbol: 'NEP', newSymbol: 'XIFR', date: CHANGE, companyName: 'XPLR Infrastructure, LP' },
      ]);
    } finally {
      await db.close();
    }
  });
  afterAll(async () => {
    await backend?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the renamed pair once, as one company with no gap, and exits 0', async () => {
    const result = await audit('--tickers', 'XIFR');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(
      'Price history of 1 ticker against the NYSE calendar, 2024-03-25 .. 2024-04-05 (9 sessions):',
    );
    expect(result.stdout).toMatch(/^XIFR \(was NEP until 2024-04-01\) +0 +- +0 +2024-04-05$/m);
    expect(result.stdout).toContain('Total: 9 of 9 expected sessions stored');
    expect(result.stdout).toContain('no unexplained gap');
    expect(result.code).toBe(0);
  });

  it('names the earlier symbol in --json as renamedFrom', async () => {
    const result = await audit('--json');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.tickers).toEqual([
      expect.objectContaining({
        ticker: 'XIFR',
        renamedFrom: [{ symbol: 'NEP', until: CHANGE }],
        expected: 9,
        stored: 9,
        missing: 0,
        firstBar: '2024-03-25',
      }),
    ]);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SyncLogger } from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';
import { emptySyncLogs } from './support/helpers.js';

const FMP_KEY = 'fmpLiveKey_9f8e7d6c5b4a3210';
const DB_PASSWORD = 's3cret/p@ss word';
const DB_URL = `postgresql://smart:${encodeURIComponent(DB_PASSWORD)}@db.internal:5432/smartstock`;

/** Every spelling of a secret that must never reach the table. */
const leaks = (text: string): string[] =>
  [FMP_KEY, DB_PASSWORD, encodeURIComponent(DB_PASSWORD), 'p%40ss', 'hunter2'].filter((s) =>
    text.includes(s),
  );

describe.each(backends)('secrets kept out of sync_logs on $name', (backend) => {
  let t: TestDatabase;
  let logger: SyncLogger;
  beforeAll(async () => {
    t = await backend.open();
    logger = new SyncLogger(t.db, { secrets: [FMP_KEY, DB_PASSWORD] });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await emptySyncLogs(t.db);
  });

  /** The whole table as text: whatever a user's SELECT could show. */
  async function tableText(): Promise<string> {
    const rows = await t.db.query<{ dump: string }>(
      `SELECT coalesce(string_agg(concat_ws(' | ', task_name, status, error_message, metadata::text), E'\\n'), '') AS dump
       FROM sync_logs`,
    );
    return rows[0]?.dump ?? '';
  }

  it('an error carrying the API key, a connection string and an apikey query stores none of them', async () => {
    const cause = new Error(`connect to ${DB_URL} failed; also tried postgres://admin:hunter2@10.0.0.5/db`);
    const error = Object.assign(
      new Error(`GET https://financialmodelingprep.com/stable/eod?symbol=AAPL&apikey=${FMP_KEY} -> 401`, {
        cause,
      }),
      { code: 'AUTH' },
    );
    const run = await logger.start('ingest_market_data', {
      source: `https://fmp.test/list?apikey=${FMP_KEY}`,
    });
    const record = await run.fail(error, {
      metadata: {
        request: {
          url: `https://fmp.test/eod?apikey=${encodeURIComponent(FMP_KEY)}`,
          headers: { apikey: FMP_KEY },
        },
        databaseUrl: DB_URL,
        failures: [{ ticker: 'AAPL', message: `key ${FMP_KEY} refused` }],
      },
    });

    const stored = await tableText();
    expect(leaks(stored)).toEqual([]);
    expect(leaks(JSON.stringify(record))).toEqual([]);
    expect(record.errorMessage).toBe(
      'Error [AUTH]: GET https://financialmodelingprep.com/stable/eod?symbol=AAPL&apikey=*** -> 401' +
        ' <- caused by: Error: connect to postgresql://smart:***@db.internal:5432/smartstock failed;' +
        ' also tried postgres://admin:***@10.0.0.5/db',
    );
    expect(record.metadata).toEqual({
      source: 'https://fmp.test/list?apikey=***',
      request: { url: 'https://fmp.test/eod?apikey=***', headers: { apikey: '***' } },
      databaseUrl: 'postgresql://smart:***@db.internal:5432/smartstock',
      failures: [{ ticker: 'AAPL', message: 'key *** refused' }],
    });
  });

  it('a partial run message is redacted too', async () => {
    const run = await logger.start('ingest_all_dcf');
    await run.partial({ rowsUpdated: 1, errorMessage: `3 tickers failed: apikey: ${FMP_KEY}` });
    expect(leaks(await tableText())).toEqual([]);
  });

  it('the error of a database write that failed names no secret either', async () => {
    const run = await logger.start('ingest_all_dcf');
    await t.db.query('ALTER TABLE sync_logs RENAME TO sync_logs_aside');
    try {
      const error = await run
        .succeed({ rowsUpdated: 1, metadata: { note: FMP_KEY } })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'WRITE_FAILED' });
      expect(leaks(String((error as Error).message))).toEqual([]);
    } finally {
      await t.db.query('ALTER TABLE sync_logs_aside RENAME TO sync_logs');
    }
  });

  it('a huge error message is stored bounded, with a marker saying how long it was', async () => {
    const run = await logger.start('ingest_market_data');
    const record = await run.fail(new Error(`${'x'.repeat(200_000)} apikey=${FMP_KEY}`));
    const [row] = await t.db.query<{ length: number; tail: string }>(
      'SELECT length(error_message) AS length, right(error_message, 60) AS tail FROM sync_logs WHERE id = $1',
      [run.id],
    );
    expect(row?.length).toBe(4000);
    expect(row?.tail).toMatch(/… \[truncated; 200\d+ characters in total\]$/);
    expect(record.errorMessage).toHaveLength(4000);
    expect(leaks(await tableText())).toEqual([]);
  });

  it('the bound is configurable, and NUL characters PostgreSQL refuses are replaced rather than failing the write', async () => {
    const small = new SyncLogger(t.db, { maxMessageLength: 200 });
    const run = await small.start('ingest_market_data', { raw: 'a\u0000b' });
    const record = await run.fail(new Error(`bad byte \u0000 ${'y'.repeat(1000)}`));
    expect(record.errorMessage).toHaveLength(200);
    expect(record.errorMessage?.startsWith('Error: bad byte \uFFFD y')).toBe(true);
    expect(record.metadata).toEqual({ raw: 'a\uFFFDb' });
  });
});

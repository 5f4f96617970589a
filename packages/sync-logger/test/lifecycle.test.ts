import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SyncLogArgumentError,
  SyncLogger,
  SyncLogRowMissingError,
  SyncLogWriteError,
  SyncRunFinishedError,
} from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';
import { emptySyncLogs, manualClock, rawRow } from './support/helpers.js';

describe.each(backends)('sync run lifecycle on $name', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await backend.open();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await emptySyncLogs(t.db);
  });

  it('start inserts a running row at once, before the task has done anything', async () => {
    const clock = manualClock('2026-03-02T05:00:00.000Z');
    const logger = new SyncLogger(t.db, { clock });
    const run = await logger.start('ingest_market_data', { mode: 'bulk', tickers: 1987 });

    expect(run.taskName).toBe('ingest_market_data');
    expect(run.startedAt.toISOString()).toBe('2026-03-02T05:00:00.000Z');
    expect(run.finished).toBe(false);
    expect(await rawRow(t.db, run.id)).toEqual({
      id: run.id,
      task_name: 'ingest_market_data',
      status: 'running',
      rows_updated: 0,
      error_message: null,
      started_at: '2026-03-02 05:00:00',
      completed_at: null,
      duration_seconds: null,
      metadata: '{"mode": "bulk", "tickers": 1987}',
    });
  });

  it('succeed stores success, the rows, completion time, duration and the start metadata merged with the final one', async () => {
    const clock = manualClock('2026-03-02T05:00:00.000Z');
    const logger = new SyncLogger(t.db, { clock });
    const run = await logger.start('ingest_market_data', { mode: 'bulk', tickers: 1987 });
    clock.advance(90_500);

    const record = await run.succeed({
      rowsUpdated: 1234,
      metadata: { tickers: 1990, rowsInserted: 1000, rowsChanged: 234 },
    });

    expect(record).toEqual({
      id: run.id,
      taskName: 'ingest_market_data',
      status: 'success',
      rowsUpdated: 1234,
      errorMessage: null,
      startedAt: new Date('2026-03-02T05:00:00.000Z'),
      completedAt: new Date('2026-03-02T05:01:30.500Z'),
      durationSeconds: 90.5,
      metadata: { mode: 'bulk', tickers: 1990, rowsInserted: 1000, rowsChanged: 234 },
    });
    const row = await rawRow(t.db, run.id);
    expect(row).toMatchObject({
      status: 'success',
      rows_updated: 1234,
      completed_at: '2026-03-02 05:01:30.5',
    });
    expect(run.finished).toBe(true);
    expect(await logger.getLatestSyncStatus('ingest_market_data')).toEqual(record);
  });

  it('the start metadata is kept as it was at start, even if the caller changes the object later', async () => {
    const startMetadata: Record<string, unknown> = { phase: 'start' };
    const run = await new SyncLogger(t.db).start('ingest_all_dcf', startMetadata);
    startMetadata.phase = 'mutated';
    expect((await run.succeed({ rowsUpdated: 0 })).metadata).toEqual({ phase: 'start' });
  });

  it('a run without any metadata stores NULL metadata', async () => {
    const run = await new SyncLogger(t.db).start('ingest_all_dcf');
    await run.succeed({ rowsUpdated: 0 });
    expect((await rawRow(t.db, run.id))?.metadata).toBeNull();
  });

  it('partial stores partial with its message and the finer counts in metadata', async () => {
    const clock = manualClock('2026-03-02T05:10:00.000Z');
    const run = await new SyncLogger(t.db, { clock }).start('ingest_all_dcf');
    clock.advance(1_000);
    const record = await run.partial({
      rowsUpdated: 1900,
      errorMessage: '12 of 1912 tickers failed (0.6%, threshold 5%)',
      metadata: { counts: { ok: 1900, failed: 12 } },
    });
    expect(record).toMatchObject({
      status: 'partial',
      rowsUpdated: 1900,
      errorMessage: '12 of 1912 tickers failed (0.6%, threshold 5%)',
      durationSeconds: 1,
      metadata: { counts: { ok: 1900, failed: 12 } },
    });
    expect(await rawRow(t.db, run.id)).toMatchObject({ status: 'partial', rows_updated: 1900 });
  });

  it('fail stores the error as name, code, message and causes, never the stack', async () => {
    class FmpAuthError extends Error {
      readonly code = 'AUTH';
      override name = 'FmpAuthError';
    }
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const error = new FmpAuthError('FMP refused the API key (HTTP 401)', {
      cause: new TypeError('fetch failed', { cause: network }),
    });
    const run = await new SyncLogger(t.db).start('get_russell_2000_list');
    const record = await run.fail(error, { rowsUpdated: 3, metadata: { phase: 'download' } });

    expect(record.status).toBe('failed');
    expect(record.rowsUpdated).toBe(3);
    expect(record.errorMessage).toBe(
      'FmpAuthError [AUTH]: FMP refused the API key (HTTP 401) <- caused by: TypeError: fetch failed' +
        ' <- caused by: Error [ECONNREFUSED]: connect ECONNREFUSED 127.0.0.1:443',
    );
    expect(record.errorMessage).not.toContain('lifecycle.test.ts');
    expect(record.metadata).toEqual({ phase: 'download' });
    expect(record.completedAt).not.toBeNull();
  });

  it('fail accepts a thrown value that is not an Error', async () => {
    const run = await new SyncLogger(t.db).start('ingest_all_dcf');
    expect((await run.fail('disk full')).errorMessage).toBe('disk full');
  });

  it('a run finishes only once: a second finish throws SyncRunFinishedError and leaves the row as it was', async () => {
    const run = await new SyncLogger(t.db).start('ingest_market_data');
    await run.succeed({ rowsUpdated: 5 });
    const before = await rawRow(t.db, run.id);

    const second = run.fail(new Error('late failure'));
    await expect(second).rejects.toBeInstanceOf(SyncRunFinishedError);
    await expect(second).rejects.toMatchObject({
      code: 'ALREADY_FINISHED',
      message: expect.stringContaining(`already finished as 'success'`),
    });
    await expect(run.succeed({ rowsUpdated: 6 })).rejects.toThrow(/finished only once/);
    expect(await rawRow(t.db, run.id)).toEqual(before);
  });

  it('two finishes racing each other: exactly one is stored, the other is refused', async () => {
    const run = await new SyncLogger(t.db).start('ingest_market_data');
    const results = await Promise.allSettled([run.succeed({ rowsUpdated: 1 }), run.fail(new Error('boom'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(SyncRunFinishedError);
    expect((results[1] as PromiseRejectedResult).reason.message).toContain(
      `already finished as 'success (still being stored)'`,
    );
    expect(await rawRow(t.db, run.id)).toMatchObject({ status: 'success', rows_updated: 1 });
  });

  it('a finish the database refused can be retried once the database is back', async () => {
    const run = await new SyncLogger(t.db).start('ingest_market_data');
    await t.db.query('ALTER TABLE sync_logs RENAME TO sync_logs_elsewhere');
    try {
      await expect(run.succeed({ rowsUpdated: 7 })).rejects.toBeInstanceOf(SyncLogWriteError);
      await expect(run.succeed({ rowsUpdated: 7 })).rejects.toMatchObject({ code: 'WRITE_FAILED' });
    } finally {
      await t.db.query('ALTER TABLE sync_logs_elsewhere RENAME TO sync_logs');
    }
    expect(run.finished).toBe(false);
    await run.succeed({ rowsUpdated: 7 });
    expect(await rawRow(t.db, run.id)).toMatchObject({ status: 'success', rows_updated: 7 });
  });

  it('finishing a run whose row was deleted meanwhile says so', async () => {
    const run = await new SyncLogger(t.db).start('ingest_market_data');
    await t.db.query('DELETE FROM sync_logs WHERE id = $1', [run.id]);
    await expect(run.succeed({ rowsUpdated: 1 })).rejects.toBeInstanceOf(SyncLogRowMissingError);
    await expect(run.succeed({ rowsUpdated: 1 })).rejects.toBeInstanceOf(SyncRunFinishedError);
  });

  it('runs started at the same moment get rows of their own', async () => {
    const logger = new SyncLogger(t.db, { clock: manualClock('2026-03-02T05:00:00.000Z') });
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => logger.start(`task_${i}`)));
    expect(new Set(runs.map((r) => r.id)).size).toBe(8);
    await Promise.all(runs.map((r, i) => r.succeed({ rowsUpdated: i })));
    const rows = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sync_logs WHERE status = 'success'`,
    );
    expect(rows[0]?.n).toBe(8);
  });

  it('bad input is refused with an error naming what was wrong, and nothing is written', async () => {
    const logger = new SyncLogger(t.db);
    await expect(logger.start('')).rejects.toThrow(/taskName must be a non-empty string, got ""/);
    await expect(logger.start('x'.repeat(101))).rejects.toThrow(/at most 100 characters.*got 101/);
    await expect(logger.start('ok', [] as unknown as Record<string, unknown>)).rejects.toThrow(
      /metadata must be a plain object when given, got an array/,
    );
    expect(await t.db.query('SELECT id FROM sync_logs')).toEqual([]);

    const run = await logger.start('ingest_market_data');
    await expect(run.succeed({ rowsUpdated: -1 })).rejects.toThrow(
      /rowsUpdated must be an integer from 0 to 2147483647/,
    );
    await expect(run.succeed({ rowsUpdated: 1.5 })).rejects.toBeInstanceOf(SyncLogArgumentError);
    await expect(run.partial({ rowsUpdated: 1, errorMessage: 42 as unknown as string })).rejects.toThrow(
      /errorMessage must be a string when given, got 42/,
    );
    await expect(logger.getRecent(0)).rejects.toThrow(/limit must be an integer from 1 to 100000, got 0/);
    await expect(logger.getFailedSince(new Date('nope'))).rejects.toThrow(/since must be a valid Date/);
    expect(() => new SyncLogger(t.db, { maxMessageLength: 10 })).toThrow(/maxMessageLength/);
    // Refused input did not finish the run.
    expect(run.finished).toBe(false);
    expect((await rawRow(t.db, run.id))?.status).toBe('running');
  });
});

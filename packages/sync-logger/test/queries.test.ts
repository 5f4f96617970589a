import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SyncLogger, type SyncLogRecord } from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';
import { emptySyncLogs, manualClock } from './support/helpers.js';

describe.each(backends)('sync log queries on $name', (backend) => {
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

  /**
   * Three nights of the three tasks: night 1 all fine, night 2 prices partial and dcf failed, night 3
   * tickers fine and prices still running. Plus a row the Python tool wrote (no metadata, NULL rows).
   */
  async function threeNights() {
    const clock = manualClock('2026-03-01T05:00:00.000Z');
    const logger = new SyncLogger(t.db, { clock });
    const step = async (
      task: string,
      outcome: 'success' | 'partial' | 'failed' | 'running',
      minutes: number,
    ) => {
      const run = await logger.start(task);
      clock.advance(minutes * 60_000);
      if (outcome === 'success') return run.succeed({ rowsUpdated: minutes });
      if (outcome === 'partial') return run.partial({ rowsUpdated: minutes, errorMessage: 'some skipped' });
      if (outcome === 'failed') return run.fail(new Error('FMP down'));
      return run;
    };
    await t.db.query(
      `INSERT INTO sync_logs (task_name, status, rows_updated, error_message, started_at, completed_at, duration_seconds)
       VALUES ('legacy_task', 'success', NULL, NULL, '2026-02-27 05:00:00', '2026-02-27 05:00:09', 9.0)`,
    );
    await step('get_russell_2000_list', 'success', 1);
    await step('ingest_market_data', 'success', 40);
    await step('ingest_all_dcf', 'success', 20);
    clock.set('2026-03-02T05:00:00.000Z');
    await step('get_russell_2000_list', 'success', 1);
    await step('ingest_market_data', 'partial', 45);
    await step('ingest_all_dcf', 'failed', 2);
    clock.set('2026-03-03T05:00:00.000Z');
    await step('get_russell_2000_list', 'success', 1);
    const running = await step('ingest_market_data', 'running', 3);
    return { logger, clock, running };
  }

  it('addMetadata merges fields into finished rows, redacted, and leaves other rows alone', async () => {
    const logger = new SyncLogger(t.db, {
      clock: manualClock('2026-03-01T05:00:00.000Z'),
      secrets: ['s3cr3t-key'],
    });
    const a = await (await logger.start('ingest_market_data', { runId: 'r1' })).succeed({ rowsUpdated: 1 });
    const b = await (await logger.start('ingest_all_dcf')).succeed({ rowsUpdated: 1 });
    const other = await (await logger.start('ingest_all_dcf', { runId: 'r0' })).succeed({ rowsUpdated: 1 });
    await logger.addMetadata([a.id, b.id], { alerts: [{ ok: false, error: 'HTTP 503 for s3cr3t-key' }] });
    const rows = await logger.getRecent(10);
    const byId = new Map(rows.map((r) => [r.id, r.metadata]));
    expect(byId.get(a.id)).toEqual({ runId: 'r1', alerts: [{ ok: false, error: 'HTTP 503 for ***' }] });
    expect(byId.get(b.id)).toEqual({ alerts: [{ ok: false, error: 'HTTP 503 for ***' }] });
    expect(byId.get(other.id)).toEqual({ runId: 'r0' });
  });

  it('getHealthRows leaves runs of a few tickers out unless asked, and finds the last good run behind a failure', async () => {
    const clock = manualClock('2026-03-01T05:00:00.000Z');
    const logger = new SyncLogger(t.db, { clock });
    const full = { scope: { universe: 'full' } };
    const subset = { scope: { universe: 'subset', tickers: 2 } };
    await (await logger.start('ingest_market_data', full)).partial({ rowsUpdated: 9, errorMessage: 'x' });
    clock.advance(60_000);
    await (await logger.start('ingest_market_data', full)).fail(new Error('FMP down'));
    clock.advance(60_000);
    await (await logger.start('ingest_market_data', subset)).succeed({ rowsUpdated: 2 });
    // A row of another tool, without metadata, counts as a full-universe run.
    await t.db.query(
      `INSERT INTO sync_logs (task_name, status, started_at) VALUES ('ingest_all_dcf', 'running', '2026-03-01 04:00:00')`,
    );

    const nightly = await logger.getHealthRows('ingest_market_data');
    expect(nightly.latest).toMatchObject({ status: 'failed', errorMessage: 'Error: FMP down' });
    expect(nightly.lastGood).toMatchObject({ status: 'partial', rowsUpdated: 9 });
    const every = await logger.getHealthRows('ingest_market_data', { includeSubsetRuns: true });
    expect(every.latest).toMatchObject({ status: 'success', rowsUpdated: 2 });
    expect(every.lastGood).toMatchObject({ status: 'success', rowsUpdated: 2 });
    expect(await logger.getHealthRows('ingest_all_dcf')).toMatchObject({
      latest: { status: 'running', metadata: null },
      lastGood: null,
    });
    expect(await logger.getHealthRows('never_ran')).toEqual({ latest: null, lastGood: null });
  });

  it('getLatestSyncStatus gives the most recently completed run of a task, not the run in progress', async () => {
    const { logger } = await threeNights();
    expect(await logger.getLatestSyncStatus('ingest_all_dcf')).toMatchObject({
      status: 'failed',
      errorMessage: 'Error: FMP down',
      startedAt: new Date('2026-03-02T05:46:00.000Z'),
    });
    expect(await logger.getLatestSyncStatus('ingest_market_data')).toMatchObject({
      status: 'partial',
      completedAt: new Date('2026-03-02T05:46:00.000Z'),
      durationSeconds: 2700,
    });
    expect(await logger.getLatestSyncStatus('never_ran')).toBeNull();
  });

  it('getLatestSyncStatus of a task that has never finished a run gives its running row', async () => {
    const { logger } = await threeNights();
    const first = await logger.start('first_ever_task');
    expect(await logger.getLatestSyncStatus('first_ever_task')).toMatchObject({
      id: first.id,
      status: 'running',
    });
  });

  it('a run that crashed long ago does not hide the results that came after it', async () => {
    const { logger, clock } = await threeNights();
    clock.set('2026-03-04T05:00:00.000Z');
    await (await logger.start('ingest_market_data')).succeed({ rowsUpdated: 2 });
    expect(await logger.getLatestSyncStatus('ingest_market_data')).toMatchObject({
      status: 'success',
      rowsUpdated: 2,
    });
  });

  it('reads rows other tools wrote: NULL rows_updated reads as 0, no metadata as null', async () => {
    const { logger } = await threeNights();
    expect(await logger.getLatestSyncStatus('legacy_task')).toEqual({
      id: 1,
      taskName: 'legacy_task',
      status: 'success',
      rowsUpdated: 0,
      errorMessage: null,
      startedAt: new Date('2026-02-27T05:00:00.000Z'),
      completedAt: new Date('2026-02-27T05:00:09.000Z'),
      durationSeconds: 9,
      metadata: null,
    } satisfies SyncLogRecord);
    await t.db.query(
      `INSERT INTO sync_logs (task_name, status, completed_at, metadata) VALUES ('odd_metadata', 'success', now(), '[1, 2]')`,
    );
    expect((await logger.getLatestSyncStatus('odd_metadata'))?.metadata).toEqual({ value: [1, 2] });
  });

  it('getLatestStatuses returns exactly the rows of the latest_sync_status view, one per task', async () => {
    const { logger } = await threeNights();
    await logger.start('first_ever_task');
    // Two rows of one task started in the same instant: the view and the logger must pick the same one.
    const same = manualClock('2026-03-03T06:00:00.000Z');
    const twin = new SyncLogger(t.db, { clock: same });
    await (await twin.start('twin_task')).succeed({ rowsUpdated: 1 });
    await (await twin.start('twin_task')).fail(new Error('second'));

    const latest = await logger.getLatestStatuses();
    const view = await t.db.query<{ id: number; task_name: string; status: string }>(
      'SELECT id, task_name, status FROM latest_sync_status ORDER BY task_name',
    );
    expect(latest.map((r) => ({ id: r.id, task_name: r.taskName, status: r.status }))).toEqual(
      view.map((r) => ({ id: Number(r.id), task_name: r.task_name, status: r.status })),
    );
    expect(latest.map((r) => [r.taskName, r.status])).toEqual([
      ['first_ever_task', 'running'],
      ['get_russell_2000_list', 'success'],
      ['ingest_all_dcf', 'failed'],
      ['ingest_market_data', 'partial'],
      ['legacy_task', 'success'],
      ['twin_task', 'failed'],
    ]);
  });

  it('getRecent lists runs in progress first, then by completion time, newest first', async () => {
    const { logger } = await threeNights();
    const recent = await logger.getRecent(4);
    expect(recent.map((r) => [r.taskName, r.status])).toEqual([
      ['ingest_market_data', 'running'],
      ['get_russell_2000_list', 'success'],
      ['ingest_all_dcf', 'failed'],
      ['ingest_market_data', 'partial'],
    ]);
    expect((await logger.getRecent(100)).length).toBe(9);
  });

  it('getRecent of one task lists only that task', async () => {
    const { logger } = await threeNights();
    const recent = await logger.getRecent(10, 'ingest_market_data');
    expect(recent.map((r) => r.status)).toEqual(['running', 'partial', 'success']);
  });

  it('getFailedSince lists failed runs completed at or after the instant, newest first', async () => {
    const { logger, running } = await threeNights();
    expect('fail' in running).toBe(true);
    const failed = await logger.getFailedSince(new Date('2026-03-02T00:00:00.000Z'));
    expect(failed.map((r) => [r.taskName, r.completedAt?.toISOString()])).toEqual([
      ['ingest_all_dcf', '2026-03-02T05:48:00.000Z'],
    ]);
    expect(await logger.getFailedSince(new Date('2026-03-02T05:48:00.000Z'))).toHaveLength(1);
    expect(await logger.getFailedSince(new Date('2026-03-02T05:48:00.001Z'))).toHaveLength(0);
  });
});

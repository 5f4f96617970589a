import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { INTERRUPTED_MESSAGE, type Logger, SyncLogger } from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';
import { emptySyncLogs, manualClock, rawRow } from './support/helpers.js';

function recordingLogger() {
  const entries: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

describe.each(backends)('interrupted runs on $name', (backend) => {
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

  /** A run started by a process that then died: its handle is simply never finished. */
  async function deadRun(
    task: string,
    startedAt: string,
    metadata?: Record<string, unknown>,
    logger?: Logger,
  ) {
    const dead = new SyncLogger(t.db, { clock: manualClock(startedAt), logger });
    return dead.start(task, metadata);
  }

  it('running rows of runs that died become failed, with completion time, duration and a message', async () => {
    const dead = await deadRun('ingest_market_data', '2026-03-02T05:00:00.000Z', { mode: 'bulk' });
    const { logger: log, entries } = recordingLogger();
    const next = new SyncLogger(t.db, { clock: manualClock('2026-03-03T05:00:00.000Z'), logger: log });

    expect(await next.markInterrupted()).toBe(1);

    expect(await rawRow(t.db, dead.id)).toEqual({
      id: dead.id,
      task_name: 'ingest_market_data',
      status: 'failed',
      rows_updated: 0,
      error_message: INTERRUPTED_MESSAGE,
      started_at: '2026-03-02 05:00:00',
      completed_at: '2026-03-03 05:00:00',
      duration_seconds: 86_400,
      metadata: '{"mode": "bulk", "interrupted": true}',
    });
    expect(INTERRUPTED_MESSAGE).toMatch(
      /^interrupted: the process running this task stopped before it finished/,
    );
    expect(entries).toContainEqual({
      level: 'warn',
      message: 'marked interrupted sync runs as failed',
      fields: { count: 1, runs: [{ id: dead.id, taskName: 'ingest_market_data' }] },
    });
    const failed = await next.getFailedSince(new Date('2026-03-03T00:00:00.000Z'));
    expect(failed.map((r) => r.id)).toEqual([dead.id]);
  });

  it('finished rows, and the runs this logger still has open, are left alone; a second call marks nothing', async () => {
    const clock = manualClock('2026-03-03T05:00:00.000Z');
    const next = new SyncLogger(t.db, { clock });
    const done = await next.start('get_russell_2000_list');
    await done.succeed({ rowsUpdated: 3 });
    const mine = await next.start('ingest_market_data');
    const dead = await deadRun('ingest_all_dcf', '2026-03-02T05:00:00.000Z');
    const before = await rawRow(t.db, done.id);

    expect(await next.markInterrupted()).toBe(1);
    expect(await next.markInterrupted()).toBe(0);

    expect(await rawRow(t.db, done.id)).toEqual(before);
    expect((await rawRow(t.db, mine.id))?.status).toBe('running');
    expect((await rawRow(t.db, dead.id))?.status).toBe('failed');
    await mine.succeed({ rowsUpdated: 9 });
    expect((await rawRow(t.db, mine.id))?.status).toBe('success');
  });

  it('can be limited to one task or to runs started before an instant', async () => {
    const a = await deadRun('ingest_all_dcf', '2026-03-01T05:00:00.000Z');
    const b = await deadRun('ingest_market_data', '2026-03-01T05:00:00.000Z');
    const c = await deadRun('ingest_market_data', '2026-03-03T04:59:00.000Z');
    const next = new SyncLogger(t.db, { clock: manualClock('2026-03-03T05:00:00.000Z') });

    expect(
      await next.markInterrupted({
        taskName: 'ingest_market_data',
        startedBefore: new Date('2026-03-02T00:00:00Z'),
      }),
    ).toBe(1);
    expect((await rawRow(t.db, b.id))?.status).toBe('failed');
    expect((await rawRow(t.db, a.id))?.status).toBe('running');
    expect((await rawRow(t.db, c.id))?.status).toBe('running');
    await expect(next.markInterrupted({ taskName: '' })).rejects.toThrow(
      /taskName must be a non-empty string/,
    );
  });

  it('a legacy running row without started_at gets no duration', async () => {
    await t.db.query(
      `INSERT INTO sync_logs (task_name, status, started_at) VALUES ('legacy', 'running', NULL)`,
    );
    const next = new SyncLogger(t.db, { clock: manualClock('2026-03-03T05:00:00.000Z') });
    expect(await next.markInterrupted()).toBe(1);
    const [row] = await t.db.query<{ status: string; duration_seconds: number | null; completed_at: string }>(
      `SELECT status, duration_seconds, completed_at::text AS completed_at FROM sync_logs WHERE task_name = 'legacy'`,
    );
    expect(row).toEqual({ status: 'failed', duration_seconds: null, completed_at: '2026-03-03 05:00:00' });
  });

  it('a run marked interrupted that was alive after all stores its real outcome, with a warning', async () => {
    const { logger: log, entries } = recordingLogger();
    const slow = await deadRun('ingest_market_data', '2026-03-02T05:00:00.000Z', undefined, log);
    await new SyncLogger(t.db, { clock: manualClock('2026-03-02T06:00:00.000Z') }).markInterrupted();
    expect((await rawRow(t.db, slow.id))?.status).toBe('failed');

    const record = await slow.succeed({ rowsUpdated: 5 });
    expect(record).toMatchObject({ status: 'success', errorMessage: null, rowsUpdated: 5 });
    expect((await rawRow(t.db, slow.id))?.status).toBe('success');
    expect(entries.filter((e) => e.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'sync run was no longer running when it finished; storing its real outcome',
        fields: { id: slow.id, taskName: 'ingest_market_data', previousStatus: 'failed' },
      },
    ]);
  });
});

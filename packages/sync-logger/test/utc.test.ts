import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncLogger } from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';
import { manualClock, rawRow } from './support/helpers.js';

// The process runs in New York and (where the backend lets a test choose) the database session in Tokyo:
// a timestamp that went through any local-time conversion would come back shifted by hours. The columns
// must hold UTC wall time.
const originalTz = process.env.TZ;

describe.each(backends)('UTC timestamps on $name, process in New York', (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    process.env.TZ = 'America/New_York';
    t = await backend.open({ timeZone: 'Asia/Tokyo' });
  });
  afterAll(async () => {
    await t?.close();
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
  });

  it('the process really is not in UTC, nor the session where the backend allows it', async () => {
    expect(new Date('2026-07-04T23:30:00.000Z').getTimezoneOffset()).toBe(240);
    const [row] = await t.db.query<{ tz: string }>('SELECT current_setting($1) AS tz', ['TimeZone']);
    expect(row?.tz).toBe(backend.sessionTimeZone('Asia/Tokyo'));
  });

  it('a run written at a known instant reads back as the same instant, and SQL shows its UTC wall time', async () => {
    const clock = manualClock('2026-07-04T23:30:00.123Z');
    const logger = new SyncLogger(t.db, { clock });
    const run = await logger.start('ingest_market_data');
    clock.advance(61_250);
    const record = await run.succeed({ rowsUpdated: 1 });

    expect(record.startedAt?.toISOString()).toBe('2026-07-04T23:30:00.123Z');
    expect(record.completedAt?.toISOString()).toBe('2026-07-04T23:31:01.373Z');
    expect(record.durationSeconds).toBe(61.25);
    expect(await rawRow(t.db, run.id)).toMatchObject({
      started_at: '2026-07-04 23:30:00.123',
      completed_at: '2026-07-04 23:31:01.373',
    });
    const [latest] = await logger.getLatestStatuses();
    expect(latest?.startedAt?.getTime()).toBe(Date.UTC(2026, 6, 4, 23, 30, 0, 123));
  });

  it('the Prisma client of @smartstock/db reads our rows as the same instants', async () => {
    const clock = manualClock('2026-07-04T23:30:00.123Z');
    const run = await new SyncLogger(t.db, { clock }).start('prisma_reader');
    clock.advance(1_000);
    await run.succeed({ rowsUpdated: 1, metadata: { k: 'v' } });
    const row = await t.db.prisma.syncLog.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.startedAt?.toISOString()).toBe('2026-07-04T23:30:00.123Z');
    expect(row.completedAt?.toISOString()).toBe('2026-07-04T23:30:01.123Z');
    expect(row).toMatchObject({
      taskName: 'prisma_reader',
      status: 'success',
      rowsUpdated: 1,
      metadata: { k: 'v' },
    });
  });

  it('a row another tool wrote as UTC wall time reads back as that UTC instant', async () => {
    await t.db.query(
      `INSERT INTO sync_logs (task_name, status, started_at, completed_at)
       VALUES ('python_task', 'success', '2026-01-15 12:00:00', '2026-01-15 12:00:30.5')`,
    );
    const record = await new SyncLogger(t.db).getLatestSyncStatus('python_task');
    expect(record?.startedAt?.toISOString()).toBe('2026-01-15T12:00:00.000Z');
    expect(record?.completedAt?.toISOString()).toBe('2026-01-15T12:00:30.500Z');
  });

  it('getFailedSince compares instants exactly at the boundary', async () => {
    const clock = manualClock('2026-12-31T23:59:59.000Z');
    const logger = new SyncLogger(t.db, { clock });
    const run = await logger.start('ingest_all_dcf');
    clock.advance(500);
    const record = await run.fail(new Error('x'));
    const at = record.completedAt!;
    expect(at.toISOString()).toBe('2026-12-31T23:59:59.500Z');
    expect((await logger.getFailedSince(at)).map((r) => r.id)).toEqual([run.id]);
    expect(await logger.getFailedSince(new Date(at.getTime() + 1))).toEqual([]);
  });
});

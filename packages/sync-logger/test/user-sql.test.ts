import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncLogger } from '../src/index.js';
import { backends, type TestDatabase } from './support/backends.js';

// The monitoring queries of the user's daily-sync guide, verbatim. They must keep working on our table.
const LATEST_PER_TASK = `SELECT DISTINCT ON (task_name)
    task_name, status, rows_updated, error_message, completed_at, duration_seconds
FROM sync_logs
ORDER BY task_name, completed_at DESC;`;
const RECENT = `SELECT task_name, status, rows_updated, error_message, completed_at
FROM sync_logs
ORDER BY completed_at DESC
LIMIT 10;`;
const FAILED_7_DAYS = `SELECT task_name, error_message, completed_at
FROM sync_logs
WHERE status = 'failed'
  AND completed_at > NOW() - INTERVAL '7 days'
ORDER BY completed_at DESC;`;
const FAILED_24_HOURS = `SELECT task_name, error_message, completed_at
FROM sync_logs
WHERE status = 'failed'
  AND completed_at > NOW() - INTERVAL '24 hours'
ORDER BY completed_at DESC;`;

interface Row {
  task_name: string;
  status?: string;
  error_message: string | null;
}

describe.each(backends)("the user's own SQL against our sync_logs on $name", (backend) => {
  let t: TestDatabase;
  beforeAll(async () => {
    // NOW() is compared with UTC wall time, as the user's queries assume: a UTC session, the default of
    // hosted PostgreSQL servers (see the README).
    t = await backend.open({ timeZone: 'UTC' });
    // The queries compare with the server's NOW(), so the runs are placed relative to the real clock (and
    // the today logger keeps its default one). Safe on any day and under any load: every run is hours
    // inside or outside its window, and nothing here measures a duration.
    const hoursAgo = (h: number) => () => new Date(Date.now() - h * 3_600_000);
    // Ten days ago: a failure too old for both windows.
    const old = await new SyncLogger(t.db, { clock: hoursAgo(240) }).start('ingest_all_dcf');
    await old.fail(new Error('old failure'));
    // Three days ago: a failure inside the 7-day window only.
    const midweek = await new SyncLogger(t.db, { clock: hoursAgo(72) }).start('ingest_all_dcf');
    await midweek.fail(new Error('midweek failure'));
    // Last night: a run that died (left running), then marked interrupted by today's run.
    await new SyncLogger(t.db, { clock: hoursAgo(20) }).start('ingest_market_data');
    const today = new SyncLogger(t.db);
    expect(await today.markInterrupted()).toBe(1);
    const tickers = await today.start('get_russell_2000_list', { source: 'ishares' });
    await tickers.succeed({ rowsUpdated: 1987 });
    const prices = await today.start('ingest_market_data');
    await prices.partial({ rowsUpdated: 9_500, errorMessage: '20 of 1987 tickers failed' });
    // A run in progress right now.
    await today.start('ingest_all_dcf');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('"latest sync status for each task" runs unchanged; a run in progress shows first (NULL completed_at sorts first)', async () => {
    const rows = await t.db.query<Row>(LATEST_PER_TASK);
    expect(rows.map((r) => [r.task_name, r.status])).toEqual([
      ['get_russell_2000_list', 'success'],
      ['ingest_all_dcf', 'running'],
      ['ingest_market_data', 'partial'],
    ]);
  });

  it('"all recent syncs" runs unchanged and lists every run, the running one first', async () => {
    const rows = await t.db.query<Row>(RECENT);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({ task_name: 'ingest_all_dcf', status: 'running' });
  });

  it('"failed tasks in last 7 days" shows the recent failure and the interrupted run, not the old one', async () => {
    const rows = await t.db.query<Row>(FAILED_7_DAYS);
    expect(rows.map((r) => r.error_message?.slice(0, 25))).toEqual([
      'interrupted: the process ',
      'Error: midweek failure',
    ]);
  });

  it('"tasks that failed in last 24 hours" shows the interrupted run', async () => {
    const rows = await t.db.query<Row>(FAILED_24_HOURS);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ task_name: 'ingest_market_data' });
    expect(rows[0]?.error_message).toMatch(/^interrupted: /);
  });
});

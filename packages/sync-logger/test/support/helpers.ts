import type { Database } from '@smartstock/db';

/** A clock the test moves by hand. */
export function manualClock(iso: string) {
  let now = new Date(iso).getTime();
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  clock.set = (isoTime: string) => {
    now = new Date(isoTime).getTime();
  };
  return clock;
}

export interface RawRow {
  id: number;
  task_name: string;
  status: string;
  rows_updated: number | null;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  duration_seconds: number | null;
  metadata: string | null;
}

/** A sync_logs row exactly as SQL shows it: timestamps as their stored wall-clock text. */
export async function rawRow(db: Database, id: number): Promise<RawRow | undefined> {
  const rows = await db.query<RawRow>(
    `SELECT id, task_name, status, rows_updated, error_message, started_at::text AS started_at,
       completed_at::text AS completed_at, duration_seconds, metadata::text AS metadata
     FROM sync_logs WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export async function emptySyncLogs(db: Database): Promise<void> {
  await db.query('TRUNCATE sync_logs RESTART IDENTITY');
}

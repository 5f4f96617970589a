import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';

/** A value `writeSyncState` stored, with when. */
export interface SyncStateEntry<T = unknown> {
  value: T;
  /** When it was written (the caller's clock, UTC). */
  updatedAt: Date;
}

const KEY = /^[a-z0-9][a-z0-9._:-]{0,99}$/;

function checkKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new DatabaseError(
      'INVALID_ROW',
      `${what}: key must be 1-100 lower-case letters, digits, ".", "_", ":" or "-", got ${JSON.stringify(key)}`,
    );
  }
  return key;
}

const utcWallTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

/** The value stored under `key` in sync_state (what a run remembers for later nights), or null. */
export async function readSyncState<T = unknown>(
  db: Database,
  key: string,
): Promise<SyncStateEntry<T> | null> {
  const checked = checkKey(key, 'readSyncState');
  const [row] = await backendOf(db).query<{ value: T; updated_at: Date }>(
    `SELECT value, updated_at FROM sync_state WHERE key = $1`,
    [checked],
  );
  return row === undefined ? null : { value: row.value, updatedAt: row.updated_at };
}

/**
 * Stores `value` (any JSON value) under `key` in sync_state, replacing what was there; `at` is the caller's
 * clock. `null` as the value deletes the key.
 */
export async function writeSyncState(
  db: Database,
  key: string,
  value: unknown,
  options: { at: Date },
): Promise<void> {
  const checked = checkKey(key, 'writeSyncState');
  const at = options?.at;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new DatabaseError(
      'INVALID_ROW',
      `writeSyncState: options.at must be a valid Date, got ${String(at)}`,
    );
  }
  if (value === null || value === undefined) {
    await backendOf(db).query(`DELETE FROM sync_state WHERE key = $1`, [checked]);
    return;
  }
  await backendOf(db).query(
    `INSERT INTO sync_state (key, value, updated_at) VALUES ($1, $2::jsonb, $3::timestamp)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    [checked, JSON.stringify(value), utcWallTime(at)],
  );
}

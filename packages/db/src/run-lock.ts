import { backendOf, type Database } from './backend.js';

/** A held sync lock (`tryAcquireRunLock`): one run at a time per database, across processes and machines. */
export interface RunLock {
  release(): Promise<void>;
  /**
   * Aborted (with a DatabaseError) when the lock was lost without release(): on PostgreSQL the connection
   * holding it ended, so the server has already freed the lock and another run may take it. A run that
   * sees this must stop: it no longer has the database to itself.
   */
  readonly lost: AbortSignal;
}

// Advisory locks share one key space per database; the first key keeps ours apart from other applications'.
const RUN_LOCK_CLASS = 0x5353_0001;

/**
 * One run at a time; null when the lock is held elsewhere. PostgreSQL: pg_try_advisory_lock on a dedicated
 * (non-pooled) connection, held until release() or until that connection ends (a killed run frees it).
 * Embedded: the process already holds the data directory's lock file, so this is an in-process guard.
 */
export async function tryAcquireRunLock(db: Database, name = 'smartstock-sync'): Promise<RunLock | null> {
  const backend = backendOf(db);
  if (backend.kind === 'embedded') {
    if (backend.heldRunLocks.has(name)) return null;
    backend.heldRunLocks.add(name);
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        backend.heldRunLocks.delete(name);
      },
      // The lock file lives as long as the process: an embedded run lock cannot be lost.
      lost: new AbortController().signal,
    };
  }
  const session = await backend.openSession();
  try {
    const [row] = await session.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok`,
      [RUN_LOCK_CLASS, name],
    );
    if (!row?.ok) {
      await session.close();
      return null;
    }
  } catch (error) {
    await session.close();
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // Ending the session releases the lock even when the unlock query cannot run.
      await session
        .query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [RUN_LOCK_CLASS, name])
        .catch(() => undefined);
      await session.close();
    },
    lost: session.lost,
  };
}

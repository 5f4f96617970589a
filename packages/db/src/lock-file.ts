import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { DatabaseError } from './errors.js';
import type { Logger } from './logger.js';

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface LockFile {
  readonly path: string;
  readonly owner: LockOwner;
  release(): void;
}

/**
 * Takes `path` exclusively for this process: the file is created with O_CREAT|O_EXCL (atomic on local file
 * systems) and holds the owner's pid, host and start time. A lock left by a dead process on this host is
 * cleared; a live holder (or one on another host, whose pid we cannot check) makes this throw
 * DATABASE_LOCKED at once.
 */
export function acquireLockFile(path: string, what: string, logger: Logger): LockFile {
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      try {
        writeSync(fd, `${JSON.stringify(owner)}\n`);
      } finally {
        closeSync(fd);
      }
      return makeLock(path, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new DatabaseError(
          'CONNECTION_FAILED',
          `cannot create the lock file ${path}: ${String(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    const holder = readOwner(path);
    if (holder === 'missing') continue;
    if (holder !== 'unreadable' && isAlive(holder)) throw lockedError(path, what, holder);
    if (holder === 'unreadable' && !isOlderThan(path, 10_000)) {
      // Another process may be between creating the file and writing its owner.
      throw lockedError(path, what, null);
    }
    logger.warn('clearing a stale lock file left by a process that is gone', {
      path,
      pid: holder === 'unreadable' ? null : holder.pid,
    });
    clearStale(path, holder);
  }
  throw new DatabaseError('DATABASE_LOCKED', `${what} is locked: could not take ${path}`);
}

function makeLock(path: string, owner: LockOwner): LockFile {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    const current = readOwner(path);
    if (typeof current === 'object' && current.pid === owner.pid && current.startedAt === owner.startedAt) {
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  };
  // A normal exit without close() must not leave a lock behind; a SIGKILL does, and the next opener
  // clears it because its pid is dead.
  process.on('exit', release);
  return { path, owner, release };
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return 'unreadable';
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') {
      return { pid: parsed.pid, hostname: parsed.hostname, startedAt: String(parsed.startedAt ?? '') };
    }
  } catch {
    // Fall through: a half-written or foreign file.
  }
  return 'unreadable';
}

function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isOlderThan(path: string, ms: number): boolean {
  try {
    const { mtimeMs } = statSync(path);
    return Date.now() - mtimeMs > ms;
  } catch {
    return true;
  }
}

// Two processes may find the same stale lock. Each renames it to a private name first (only one rename of
// the file can succeed); if what it moved turns out to be a live lock taken in between, it puts it back.
function clearStale(path: string, stale: LockOwner | 'unreadable'): void {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readOwner(aside);
  const same =
    stale === 'unreadable'
      ? moved === 'unreadable'
      : typeof moved === 'object' && moved.pid === stale.pid && moved.startedAt === stale.startedAt;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone else holds the path now; their lock wins and the moved one is lost with its dead owner.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Nothing to clean.
  }
}

function lockedError(path: string, what: string, holder: LockOwner | null): DatabaseError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`
    : 'another process (the lock file is being written)';
  return new DatabaseError(
    'DATABASE_LOCKED',
    `${what} is in use by ${who}: an embedded database can be opened by one process at a time. ` +
      `Stop that process, or use a PostgreSQL DATABASE_URL for concurrent access. Lock file: ${path}`,
  );
}

import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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
 * Takes `path` exclusively for this process. The owner's pid, host and start time are written to a private
 * file first, which is then hard-linked to `path`: link() fails if `path` exists (atomic on local file
 * systems), and a lock file that exists is therefore always complete, so a refusal can always name the
 * holder. A lock left by a dead process on this host is cleared; a live holder (or one on another host,
 * whose pid we cannot check) makes this throw DATABASE_LOCKED at once.
 */
export function acquireLockFile(path: string, what: string, logger: Logger): LockFile {
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const draft = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(draft, `${JSON.stringify(owner)}\n`, { mode: 0o644, flag: 'wx' });
  } catch (error) {
    throw cannotCreate(path, error);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, path);
        return makeLock(path, owner);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw cannotCreate(path, error);
      }
      const holder = readOwner(path);
      if (holder === 'missing') continue;
      if (holder !== 'unreadable' && isAlive(holder)) throw lockedError(path, what, holder);
      if (holder === 'unreadable' && !isOlderThan(path, 10_000)) {
        // Not ours (ours are complete when they appear): a foreign or older writer may still be writing it.
        throw lockedError(path, what, null);
      }
      logger.warn('clearing a stale lock file left by a process that is gone', {
        path,
        pid: holder === 'unreadable' ? null : holder.pid,
      });
      clearStale(path, holder);
    }
    throw new DatabaseError('DATABASE_LOCKED', `${what} is locked: could not take ${path}`);
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // Already gone: nothing to clean.
    }
  }
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

function cannotCreate(path: string, error: unknown): DatabaseError {
  return new DatabaseError('CONNECTION_FAILED', `cannot create the lock file ${path}: ${String(error)}`, {
    cause: error,
  });
}

function lockedError(path: string, what: string, holder: LockOwner | null): DatabaseError {
  const who = holder
    ? `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`
    : 'another process (its lock file cannot be read yet)';
  return new DatabaseError(
    'DATABASE_LOCKED',
    `${what} is in use by ${who}: an embedded database can be opened by one process at a time. ` +
      `Stop that process, or use a PostgreSQL DATABASE_URL for concurrent access. Lock file: ${path}`,
  );
}

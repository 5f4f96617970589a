import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** PostgreSQL's page size: a file's zero runs are whole pages (a WAL segment is zero past its last record). */
const PAGE = 8192;
/** Smaller files are copied whole: most of a data directory is catalog files of a page or two. */
const SPARSE_FROM = 64 * 1024;
const ZERO_PAGE = Buffer.alloc(PAGE);

/**
 * Copies a closed PostgreSQL data directory, leaving holes where the source has whole pages of zeros. The
 * template's 16 MB WAL segment is half zeros, as is much of its catalog; a copy reads back the same bytes
 * (a hole reads as zeros) but the kernel need not find and fill new pages for them, which on this project's
 * machines is most of a copy's cost. Synchronous: it runs in test set-up, and the async form paid a promise
 * per file for nothing.
 */
export function copyDataDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) copyDataDir(source, target);
    else if (entry.isFile()) copyFileSparse(source, target);
  }
}

function copyFileSparse(source: string, target: string): void {
  const { size, mode } = statSync(source);
  if (size < SPARSE_FROM) {
    copyFileSync(source, target);
    return;
  }
  const bytes = readFileSync(source);
  const fd = openSync(target, 'w', mode & 0o777);
  try {
    // Runs of non-zero pages, each written at its offset; the length is set at the end (a trailing hole).
    let start = -1;
    for (let at = 0; at < bytes.length; at += PAGE) {
      const page = bytes.subarray(at, at + PAGE);
      const zero = page.equals(ZERO_PAGE.subarray(0, page.length));
      if (!zero && start < 0) start = at;
      if (zero && start >= 0) {
        writeSync(fd, bytes, start, at - start, start);
        start = -1;
      }
    }
    if (start >= 0) writeSync(fd, bytes, start, bytes.length - start, start);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

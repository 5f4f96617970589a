import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
// By path, not by package: @smartstock/testkit depends on this package.
import { copyDataDir } from '../../../tooling/testkit/src/copy-data-dir.js';
import { createDatabase, DatabaseError, migrate, redactConnectionString } from '../src/index.js';
import { adminUrl, tempDir, testBackends } from './helpers/backends.js';

/**
 * A data directory whose database is already initialised (a copy of the suite's template): for the cases about
 * reopening and locks. A new directory's initdb (3-6 core-seconds) is the first case's subject, and it alone
 * pays for one.
 */
function initialisedDataDir(): string {
  const dataDir = tempDir();
  copyDataDir(inject('pgliteTemplate'), join(dataDir, 'db'));
  return dataDir;
}

describe('redactConnectionString', () => {
  it('hides the password of a URL, even one containing an unescaped @', () => {
    expect(redactConnectionString('postgresql://bob:s3cret@db.example.com:5432/prod')).toBe(
      'postgresql://bob:***@db.example.com:5432/prod',
    );
    expect(redactConnectionString('failed: postgres://bob:p@ss@host/db?sslmode=require')).toBe(
      'failed: postgres://bob:***@host/db?sslmode=require',
    );
  });

  it('hides password= parameters and leaves URLs without a password alone', () => {
    expect(redactConnectionString('host=h user=u password=hunter2 dbname=d')).toBe(
      'host=h user=u password=*** dbname=d',
    );
    expect(redactConnectionString('postgresql://h/db?user=u&password=x1&sslmode=require')).toBe(
      'postgresql://h/db?user=u&password=***&sslmode=require',
    );
    expect(redactConnectionString('postgresql://bob@host/db')).toBe('postgresql://bob@host/db');
  });
});

describe('createDatabase', () => {
  it.each([
    ['mysql://bob:s3cret@host/db', 'must start with postgres:// or postgresql://'],
    ['not a url s3cret', 'not a valid URL'],
    ['', 'empty'],
    ['postgresql:///db?password=s3cret', 'names no host'],
  ])('refuses %j with INVALID_URL and never shows the password', async (url, reason) => {
    const error = await createDatabase({ url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'INVALID_URL' });
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('fails with CONNECTION_FAILED naming the redacted target when PostgreSQL is unreachable', async () => {
    // Port 1 on loopback refuses at once.
    const error = await createDatabase({ url: 'postgresql://bob:s3cret@127.0.0.1:1/db' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'CONNECTION_FAILED' });
    expect((error as Error).message).toContain('postgresql://bob:***@127.0.0.1:1/db');
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('opens the embedded database under <dataDir>/db, holds <dataDir>/db.lock, and releases it on close', async () => {
    const dataDir = tempDir();
    const db = await createDatabase({ dataDir });
    expect(db.kind).toBe('embedded');
    expect(db.description).toBe(`embedded:${join(dataDir, 'db')}`);
    const lock = JSON.parse(readFileSync(join(dataDir, 'db.lock'), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid });
    expect(typeof lock.hostname).toBe('string');
    await db.close();
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);
  });

  it('keeps embedded data across a close and a reopen', async () => {
    const dataDir = initialisedDataDir();
    const first = await createDatabase({ dataDir });
    await migrate(first);
    await first.prisma.syncLog.create({ data: { taskName: 'kept', status: 'success' } });
    await first.close();
    const second = await createDatabase({ dataDir });
    expect(await second.prisma.syncLog.count({ where: { taskName: 'kept' } })).toBe(1);
    await second.close();
  });

  it('refuses a second open of the same embedded directory in one process, naming this pid', async () => {
    const dataDir = initialisedDataDir();
    const db = await createDatabase({ dataDir });
    const error = await createDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_LOCKED' });
    expect((error as Error).message).toContain(`process ${process.pid}`);
    await db.close();
  });

  it('describes a PostgreSQL database with the password redacted', async () => {
    const url = adminUrl();
    if (!url) return expect(testBackends().map((b) => b.name)).toEqual(['embedded']);
    const withPassword = new URL(url);
    const db = await createDatabase({ url: withPassword.toString() });
    expect(db.kind).toBe('postgres');
    expect(db.description).toBe(
      `${withPassword.protocol}//${withPassword.username ? `${withPassword.username}${withPassword.password ? ':***' : ''}@` : ''}${withPassword.host}${withPassword.pathname}`,
    );
    await db.close();
  });
});

describe.each(testBackends())('a database on $name', (backend) => {
  it('returns dates as YYYY-MM-DD, timestamps as UTC Dates and bigints as numbers', async () => {
    const { db } = await backend.fresh();
    const [row] = await db.query<Record<string, unknown>>(
      `SELECT '2024-02-29'::date AS d, '2024-02-29 23:30:00'::timestamp AS ts, 9007199254740::bigint AS big,
              current_setting('TimeZone') AS tz`,
    );
    expect(row).toEqual({
      d: '2024-02-29',
      ts: new Date('2024-02-29T23:30:00Z'),
      big: 9007199254740,
      tz: 'UTC',
    });
  });

  it('serves the typed Prisma client on the migrated schema', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const created = await db.prisma.syncLog.create({
      data: { taskName: 'ingest_market_data', status: 'running', metadata: { tickers: 3 } },
    });
    expect(created.id).toBeGreaterThan(0);
    const found = await db.prisma.syncLog.findUniqueOrThrow({ where: { id: created.id } });
    expect(found).toMatchObject({ taskName: 'ingest_market_data', status: 'running', rowsUpdated: 0 });
    expect(found.metadata).toEqual({ tickers: 3 });
  });
});

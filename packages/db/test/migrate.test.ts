import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { embeddedMigrations } from '../src/generated/migrations.js';
import { type Database, DatabaseError, migrate } from '../src/index.js';
import { testBackends } from './helpers/backends.js';

const INIT = '20261129000000_init';
/** Every migration this copy embeds, in order: the first, then the additive ones after it. */
const ALL = embeddedMigrations.map((m) => m.name);
const initFile = fileURLToPath(new URL(`../../../prisma/migrations/${INIT}/migration.sql`, import.meta.url));

async function tableNames(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

describe.each(testBackends())('migrate on $name', (backend) => {
  it('builds every table and the view from an empty database and records it as Prisma does', async () => {
    const { db } = await backend.fresh();
    const result = await migrate(db);
    expect(result.applied).toEqual(ALL);
    expect(ALL[0]).toBe(INIT);
    expect(await tableNames(db)).toEqual([
      '_prisma_migrations',
      'confirmed_empty_sessions',
      'dcf_history',
      'dcf_valuations',
      'latest_sync_status',
      'price_backfill_windows',
      'stock_prices',
      'symbol_changes',
      'sync_logs',
      'sync_state',
      'tickers',
      'universe_memberships',
    ]);
    const rows = await db.query<Record<string, unknown>>(
      `SELECT * FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(ALL);
    const row = rows[0]!;
    expect(row.migration_name).toBe(INIT);
    expect(row.checksum).toBe(createHash('sha256').update(readFileSync(initFile)).digest('hex'));
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.started_at).toBeInstanceOf(Date);
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  });

  it('is idempotent: a second run applies nothing and records nothing', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    expect(await migrate(db)).toEqual({ applied: [] });
    const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(count!.n).toBe(ALL.length);
  });

  it('creates _prisma_migrations with the exact columns Prisma creates', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const columns = await db.query(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        len: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        len: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        len: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
  });

  it('refuses an applied migration whose SQL has changed, naming it, and changes nothing', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const edited = embeddedMigrations.map((m) => ({
      ...m,
      sql: `${m.sql}\nCREATE TABLE sneaky (id int);\n`,
      checksum: createHash('sha256').update(`${m.sql}\nCREATE TABLE sneaky (id int);\n`).digest('hex'),
    }));
    const error = await migrate(db, { migrations: edited }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'MIGRATION_CHANGED' });
    expect((error as Error).message).toContain(INIT);
    expect(await tableNames(db)).not.toContain('sneaky');
  });

  it('accepts an applied migration checked out with CRLF line endings, as Prisma does', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const crlf = embeddedMigrations.map((m) => {
      const sql = m.sql.replace(/\n/g, '\r\n');
      return { ...m, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
    expect(await migrate(db, { migrations: crlf })).toEqual({ applied: [] });
  });

  it('applies a later migration after the first, in order, each recorded', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const next = {
      name: '20991231000000_extra',
      sql: 'CREATE TABLE extra_things (id int PRIMARY KEY);\n',
      checksum: createHash('sha256')
        .update('CREATE TABLE extra_things (id int PRIMARY KEY);\n')
        .digest('hex'),
    };
    expect(await migrate(db, { migrations: [...embeddedMigrations, next] })).toEqual({
      applied: [next.name],
    });
    const names = await db.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
    );
    expect(names.map((r) => r.migration_name)).toEqual([...ALL, next.name]);
  });

  it('refuses a database migrated by a newer version, naming the migration it does not know', async () => {
    const { db } = await backend.fresh();
    const sql = 'CREATE TABLE newer_things (id int PRIMARY KEY);\n';
    const newer = {
      name: '20991231000000_newer',
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    };
    await migrate(db, { migrations: [...embeddedMigrations, newer] });
    const before = await db.query('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY 1');
    // This copy knows only the embedded migrations: the older package meeting the newer database.
    const error = await migrate(db).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'SCHEMA_TOO_NEW' });
    expect((error as Error).message).toMatch(/20991231000000_newer.*newer version.*Upgrade @smartstock\/db/);
    expect(await db.query('SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY 1')).toEqual(
      before,
    );
  });

  it('rolls a failing migration back completely and records nothing for it', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    const broken = {
      name: '20991231000000_broken',
      sql: 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n',
      checksum: 'x'.repeat(64),
    };
    const error = await migrate(db, { migrations: [...embeddedMigrations, broken] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED' });
    expect((error as Error).message).toContain(broken.name);
    expect((error as Error).message).toContain('no_such_function');
    expect(await tableNames(db)).not.toContain('half_done');
    const [count] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(count!.n).toBe(ALL.length);
  });

  it('lets concurrent migrators apply each migration exactly once', async () => {
    const fresh = await backend.fresh();
    // PostgreSQL: two pools racing for the advisory lock; embedded: two calls on the one instance.
    const second = backend.name === 'postgres' ? await fresh.reopen() : fresh.db;
    const results = await Promise.all([migrate(fresh.db), migrate(second), migrate(fresh.db)]);
    expect(results.flatMap((r) => r.applied)).toEqual(ALL);
    const [count] = await fresh.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "_prisma_migrations"`,
    );
    expect(count!.n).toBe(ALL.length);
  });

  it('upgrades a database migrated by the first version: adds the new tables and keeps every row', async () => {
    const { db } = await backend.fresh();
    await migrate(db, { migrations: embeddedMigrations.slice(0, 1) });
    await db.query(
      `INSERT INTO dcf_valuations (ticker, valuation_date, dcf) VALUES ('AAPL', '2024-05-01', 150)`,
    );
    expect(await migrate(db)).toEqual({ applied: ALL.slice(1) });
    expect(await tableNames(db)).toEqual(expect.arrayContaining(['dcf_history', 'confirmed_empty_sessions']));
    expect(await db.query('SELECT ticker, valuation_date, dcf FROM dcf_valuations')).toEqual([
      { ticker: 'AAPL', valuation_date: '2024-05-01', dcf: 150 },
    ]);
  });

  it('refuses to adopt a dcf_history table made elsewhere without the key the writer needs', async () => {
    const { db } = await backend.fresh();
    await migrate(db, { migrations: embeddedMigrations.slice(0, 1) });
    await db.query(`CREATE TABLE dcf_history (ticker text, valuation_date date, dcf float8)`);
    const error = await migrate(db).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ADOPTION_IMPOSSIBLE' });
    expect((error as Error).message).toContain(
      'cannot adopt the existing table dcf_history: it lacks source, stock_price, updated_at',
    );
    expect((error as Error).message).toContain('ALTER TABLE dcf_history RENAME TO dcf_history_old');
  });

  it('orders the latest_sync_status view by completion, a run still in progress last', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await db.query(
      `INSERT INTO sync_logs (task_name, status, started_at, completed_at) VALUES
        ('prices', 'success', '2024-01-01 05:00', '2024-01-01 05:30'),
        ('prices', 'failed',  '2024-01-02 05:00', '2024-01-02 05:10'),
        ('prices', 'running', '2024-01-03 05:00', NULL),
        ('dcf',    'running', '2024-01-03 05:00', NULL)`,
    );
    const rows = await db.query<{ task_name: string; status: string }>(
      `SELECT task_name, status FROM latest_sync_status ORDER BY task_name`,
    );
    expect(rows).toEqual([
      { task_name: 'dcf', status: 'running' },
      { task_name: 'prices', status: 'failed' },
    ]);
  });
});

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { testBackends } from './helpers/backends.js';
import { readPrismaSchema } from './helpers/prisma-schema.js';

const schemaPath = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));
const expected = readPrismaSchema(schemaPath);

describe('the schema.prisma reader', () => {
  it('reads every model of the schema with its table, key and indexes', () => {
    expect(expected.map((t) => t.table).sort()).toEqual([
      'confirmed_empty_sessions',
      'dcf_history',
      'dcf_valuations',
      'price_backfill_windows',
      'stock_prices',
      'symbol_changes',
      'sync_logs',
      'sync_state',
      'tickers',
      'universe_memberships',
    ]);
    const syncLogs = expected.find((t) => t.table === 'sync_logs')!;
    expect(syncLogs.primaryKey).toEqual(['id']);
    expect(syncLogs.indexes).toEqual({
      idx_sync_logs_task_name: '(task_name)',
      idx_sync_logs_completed_at: '(completed_at DESC)',
    });
    expect(syncLogs.columns.find((c) => c.column === 'task_name')).toMatchObject({
      dataType: 'character varying',
      maxLength: 100,
      nullable: false,
    });
  });
});

describe.each(testBackends())('the migrated schema on $name', (backend) => {
  it('matches schema.prisma: tables, columns, types, nullability, defaults, keys and indexes', async () => {
    const { db } = await backend.fresh();
    await migrate(db);

    const tables = await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
       ORDER BY 1`,
    );
    expect(tables.map((t) => t.name)).toEqual(expected.map((t) => t.table).sort());

    for (const table of expected) {
      const columns = await db.query<{
        column_name: string;
        data_type: string;
        character_maximum_length: number | null;
        datetime_precision: number | null;
        is_nullable: string;
        column_default: string | null;
      }>(
        `SELECT column_name, data_type, character_maximum_length, datetime_precision, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
         ORDER BY ordinal_position`,
        [table.table],
      );
      expect(
        columns.map((c) => c.column_name),
        `columns of ${table.table}`,
      ).toEqual(table.columns.map((c) => c.column));
      for (const want of table.columns) {
        const got = columns.find((c) => c.column_name === want.column)!;
        const where = `${table.table}.${want.column}`;
        expect(got.data_type, `type of ${where}`).toBe(want.dataType);
        expect(got.character_maximum_length, `length of ${where}`).toBe(want.maxLength);
        if (want.datetimePrecision !== null) {
          expect(got.datetime_precision, `precision of ${where}`).toBe(want.datetimePrecision);
        }
        expect(got.is_nullable, `nullability of ${where}`).toBe(want.nullable ? 'YES' : 'NO');
        if (want.default) expect(got.column_default, `default of ${where}`).toMatch(want.default);
        else expect(got.column_default, `default of ${where}`).toBeNull();
      }

      const primaryKey = await db.query<{ name: string; columns: string[] }>(
        `SELECT c.conname AS name,
                array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns
         FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'p'`,
        [table.table],
      );
      expect(primaryKey, `primary key of ${table.table}`).toEqual([
        { name: `${table.table}_pkey`, columns: table.primaryKey },
      ]);

      const indexes = await db.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = $1 AND indexname <> $2 ORDER BY 1`,
        [table.table, `${table.table}_pkey`],
      );
      const actual = Object.fromEntries(indexes.map((i) => [i.name, i.def.replace(/^.* USING btree /, '')]));
      expect(actual, `indexes of ${table.table}`).toEqual(table.indexes);
    }
  });
});

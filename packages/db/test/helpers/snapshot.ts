import type { Database } from '../../src/index.js';

/** Everything a migration could change: tables, columns and types, indexes, and every row. */
export async function snapshot(db: Database): Promise<Record<string, unknown>> {
  const columns = await db.query(
    `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale,
            is_nullable, column_default
     FROM information_schema.columns WHERE table_schema = current_schema()
     ORDER BY table_name, ordinal_position`,
  );
  const indexes = await db.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()
     ORDER BY tablename, indexname`,
  );
  const tables = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const rows: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    rows[name] = await db.query(`SELECT * FROM "${name}" ORDER BY 1, 2, 3`);
  }
  return { columns, indexes, rows };
}

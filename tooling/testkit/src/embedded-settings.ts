/**
 * PostgreSQL settings written into every test's embedded template (`ALTER SYSTEM`, read at each start).
 *
 * `shared_buffers`: PGlite's initdb keeps PostgreSQL's default of 128MB, and each start allocates and
 * initialises that much inside the WASM memory. Measured on 2 cores: an open of a copied template took about
 * 0.95 core-seconds and 40,000-50,000 page faults at 128MB, about 0.33 and 8,000 at 16MB; a test's database
 * holds a few thousand rows, which fit either way. Results are the same at any size; production keeps the
 * default (a nightly run opens its database once).
 */
export const TEST_EMBEDDED_SETTINGS: Readonly<Record<string, string>> = { shared_buffers: '16MB' };

/**
 * PGlite's initdb makes three databases of about 300 files each: `postgres` (ours) and the templates
 * `template0` and `template1`, which only a `CREATE DATABASE` reads, and an embedded database never runs one.
 * Every test copies the data directory, and later removes it, file by file: without the templates a copy is
 * 410 files and 25 MB instead of 1,010 and 39 MB (measured: a copy about 0.34 -> 0.22 core-seconds, and its
 * removal less in proportion). What the tests check happens in `postgres` either way.
 */
const DROP_TEMPLATE_DATABASES = [
  `UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`,
  'DROP DATABASE template0',
  'DROP DATABASE template1',
  'CHECKPOINT',
];

/**
 * The statements that make a test template from a new data directory: TEST_EMBEDDED_SETTINGS, then the
 * unused template databases dropped. Run them on the template before closing it; they are part of its cache
 * key.
 */
export function testTemplateSql(): string[] {
  return [...testSettingsSql(), ...DROP_TEMPLATE_DATABASES];
}

/** TEST_EMBEDDED_SETTINGS as `ALTER SYSTEM` statements, read at the database's next start. */
export function testSettingsSql(): string[] {
  return Object.entries(TEST_EMBEDDED_SETTINGS).map(
    ([name, value]) => `ALTER SYSTEM SET ${name} = '${value}'`,
  );
}

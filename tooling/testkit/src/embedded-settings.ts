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

/** The statements that write TEST_EMBEDDED_SETTINGS; run them on the template before closing it. */
export function testEmbeddedSettingsSql(): string[] {
  return Object.entries(TEST_EMBEDDED_SETTINGS).map(
    ([name, value]) => `ALTER SYSTEM SET ${name} = '${value}'`,
  );
}

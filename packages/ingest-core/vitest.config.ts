import { DEFAULT_EXCLUDE, packageConfig } from '../../vitest.shared';

// The integration suite syncs a 2,000-ticker sandbox universe on two backends: generous per-test timeouts.
// The embedded backend always; the `*.postgres.test.ts` files when TEST_DATABASE_URL names a server, as in every
// package, so `pnpm test` needs no server (test:all and CI always set it).
const postgres = Boolean(process.env.TEST_DATABASE_URL);
if (!postgres) {
  console.info(
    '@smartstock/ingest-core tests run on: embedded PGlite only (set TEST_DATABASE_URL to add PostgreSQL)',
  );
}
export default packageConfig({
  testTimeout: 120_000,
  embeddedTemplate: true,
  ...(postgres ? {} : { exclude: [...DEFAULT_EXCLUDE, 'test/*.postgres.test.ts'] }),
});

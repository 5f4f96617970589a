import { packageConfig } from '../../vitest.shared';

const config = packageConfig();
// As in @smartstock/db: Vitest 4 hands the SSR conditions to Node's resolver for external packages, and an
// 'import' condition there makes pg's require('pg-pool') load pg-pool's ESM build ("Class extends value
// [object Module]"), so PostgreSQL could not be opened from these tests.
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['@smartstock/source', 'node'];
if (config.test) config.test.globalSetup = ['test/global-setup.ts', '@smartstock/testkit/global-setup'];

export default config;

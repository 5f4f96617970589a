import { packageConfig } from '../../vitest.shared';

const config = packageConfig();
// Vitest 4 hands the SSR conditions to Node's own resolver for external packages, so an 'import' condition
// there makes pg's require('pg-pool') load pg-pool's ESM build ("Class extends value [object Module]").
if (config.ssr?.resolve) config.ssr.resolve.conditions = ['@smartstock/source', 'node'];
if (config.test) {
  config.test.globalSetup = ['test/global-setup.ts'];
  config.test.setupFiles = ['test/setup.ts'];
}

export default config;

import { packageConfig } from '../../vitest.shared';

// The slow fault cases: run by `pnpm test:reliability`, not by `pnpm test`.
export default packageConfig({
  include: ['test/reliability/**/*.test.ts'],
  exclude: ['**/node_modules/**', '**/dist/**'],
  testTimeout: 300_000,
  reportFile: 'test-results.reliability.json',
});

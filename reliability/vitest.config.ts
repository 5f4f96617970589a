import { packageConfig } from '../vitest.shared';

export default packageConfig({
  include: ['test/**/*.test.ts'],
  exclude: ['**/node_modules/**'],
  reportFile: 'test-results.reliability.json',
  testTimeout: 300_000,
});

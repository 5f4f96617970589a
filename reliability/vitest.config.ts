import { mergeConfig } from 'vitest/config';
import { packageConfig } from '../vitest.shared';

export default mergeConfig(
  packageConfig({
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    reportFile: 'test-results.reliability.json',
    testTimeout: 300_000,
    embeddedTemplate: true,
  }),
  {
    // One file at a time: the cases spawn CLI processes and time kills against their progress, and this
    // machine has two cores shared with everything else.
    test: { fileParallelism: false, hookTimeout: 300_000 },
  },
);

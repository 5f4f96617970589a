import { defineConfig } from 'vitest/config';
import { CLOCK_FILES } from './scripts/clock-runs.mjs';

// The shifted-clock runs of scripts/clock-runs.mjs: one vitest run a clock setting, each package a project with
// its own config (its conditions, flags and global setup), the files given on the command line. One run instead
// of one a package: each vitest run starts Vite and transforms its files before any test (about 2 core-seconds).
export default defineConfig({
  test: {
    projects: CLOCK_FILES.map((entry) => entry.dir),
    // The transforms the suites' runs cached (vitest.shared.ts).
    experimental: { fsModuleCache: true },
    // Reporters are the run's, not a project's: the report that scripts/test-all.mjs adds to its total.
    reporters: [
      'default',
      ['json', { outputFile: process.env.SMARTSTOCK_TEST_REPORT ?? 'test-results.clock.json' }],
    ],
  },
});

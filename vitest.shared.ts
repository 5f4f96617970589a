import { defineConfig } from 'vitest/config';
import { TEST_NODE_FLAGS } from './tooling/testkit/src/node-flags';

// Every package resolves its workspace dependencies from source (the `@smartstock/source` export
// condition), so a test run never depends on a stale dist/ of another package.
const conditions = ['@smartstock/source', 'node', 'import', 'module', 'default'];

/** What no package's run includes: dependencies, built output, the reliability suite's own files. */
export const DEFAULT_EXCLUDE: readonly string[] = ['**/node_modules/**', '**/dist/**', 'test/reliability/**'];

export interface PackageConfigOptions {
  testTimeout?: number;
  include?: string[];
  exclude?: string[];
  reportFile?: string;
  /** Copy a migrated embedded database per test (`freshEmbeddedDataDir` of @smartstock/testkit). */
  embeddedTemplate?: boolean;
}

export function packageConfig(overrides: PackageConfigOptions = {}) {
  return defineConfig({
    resolve: { conditions },
    // Vitest 4 hands the SSR conditions to Node's own resolver for external packages: an 'import'
    // condition there makes pg's require('pg-pool') load pg-pool's ESM build ("Class extends value
    // [object Module]"), so the SSR side keeps only our source condition and 'node'.
    ssr: {
      resolve: { conditions: ['@smartstock/source', 'node'], externalConditions: ['@smartstock/source'] },
    },
    test: {
      include: overrides.include ?? ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: overrides.exclude ?? [...DEFAULT_EXCLUDE],
      // Ceilings for a hang, not durations: on a busy 2-core machine (CI beside other work) a case that spawns
      // a few CLI processes on the embedded database can take a minute and must not fail for it.
      testTimeout: overrides.testTimeout ?? 120_000,
      hookTimeout: 180_000,
      ...(overrides.embeddedTemplate ? { globalSetup: ['@smartstock/testkit/global-setup'] } : {}),
      // The files of a package share one worker and its module cache: each file no longer pays to import
      // msw, pg and PGlite again (fmp-client's suite: 13 s -> 6 s). Every file sets up and tears down what it
      // uses (servers, databases, fake timers), so nothing leaks from one file into the next.
      isolate: false,
      // Each vitest run (about 20 in test:all: the suites, their parts, the shifted-clock runs) transformed the
      // same workspace sources again. Vitest keeps what it transformed in node_modules/.experimental-vitest-cache,
      // keyed by each file's content and the config, so a later run reads it instead (fmp-client's suite, warm:
      // transform 0.9 -> 0.15 s).
      experimental: { fsModuleCache: true },
      // Short-lived processes that open PGlite: see TEST_NODE_FLAGS.
      execArgv: [...TEST_NODE_FLAGS],
      clearMocks: true,
      restoreMocks: true,
      // The JSON report feeds the one-line total that scripts/test-all.mjs prints at the end.
      reporters: [
        'default',
        [
          'json',
          {
            // scripts/clock-runs.mjs names the report of a shifted-clock run, so it adds to the total.
            outputFile: process.env.SMARTSTOCK_TEST_REPORT ?? overrides.reportFile ?? 'test-results.json',
          },
        ],
      ],
    },
  });
}

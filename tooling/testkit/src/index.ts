import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { copyDataDir } from './copy-data-dir.js';
import './context.js';

/**
 * A new data directory holding a migrated embedded database, copied from the run's template (the package's
 * vitest config must list `@smartstock/testkit/global-setup`, which `packageConfig({ embeddedTemplate: true })`
 * does). The caller removes the directory.
 */
export async function freshEmbeddedDataDir(prefix = 'smartstock-test-'): Promise<string> {
  return seedEmbeddedDataDir(await mkdtemp(join(tmpdir(), prefix)));
}

/**
 * Copies the run's migrated template to `<dataDir>/db`, for a data directory whose path the test chooses (a
 * spawned CLI given `--data-dir`): the CLI then opens a migrated database instead of creating one. Returns
 * `dataDir`.
 */
export async function seedEmbeddedDataDir(dataDir: string): Promise<string> {
  copyDataDir(embeddedTemplate(), join(dataDir, 'db'));
  return dataDir;
}

/** The run's migrated template directory, to copy to `<dataDir>/db`. */
export function embeddedTemplate(): string {
  const template = inject('smartstockEmbeddedTemplate');
  if (!template) {
    throw new Error(
      'no embedded template: set packageConfig({ embeddedTemplate: true }) in vitest.config.ts',
    );
  }
  return template;
}

import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { tempDir } from './backends.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles a TypeScript entry (and the package source it imports) into one ESM file in a fresh directory
 * outside the repository, with only a node_modules link for the third-party packages: no prisma/ folder,
 * no src/. This is how the Action ships the library, and how child processes run our code in tests.
 */
export async function bundle(entry: string): Promise<string> {
  const dir = tempDir('smartstock-db-bundle-');
  mkdirSync(dir, { recursive: true });
  symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const outfile = join(dir, 'main.mjs');
  await build({
    entryPoints: [join(packageRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return outfile;
}

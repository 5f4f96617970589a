// Runs `prisma generate` without Prisma's native schema engine. Generation itself runs in WASM; the CLI
// only checks that an engine file exists (and would try to download one from Prisma's CDN otherwise),
// so we point it at a placeholder when the user has not configured a real engine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const env = { ...process.env };
let placeholderDir = null;
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  placeholderDir = mkdtempSync(join(tmpdir(), 'smartstock-prisma-'));
  const placeholder = join(placeholderDir, 'schema-engine');
  writeFileSync(placeholder, '');
  env.PRISMA_SCHEMA_ENGINE_BINARY = placeholder;
}
const result = spawnSync(
  'pnpm',
  ['exec', 'prisma', 'generate', '--config', resolve(here, '../../../prisma.config.ts')],
  { stdio: 'inherit', env, cwd: resolve(here, '..') },
);
if (placeholderDir) rmSync(placeholderDir, { recursive: true, force: true });
process.exit(result.status ?? 1);

// Run before test and typecheck so they work standalone: embeds the migrations (cheap, always) and
// generates the Prisma client when it is missing or older than the schema.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const run = (script) => {
  const result = spawnSync(process.execPath, [resolve(here, script)], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

run('embed-migrations.mjs');
const client = resolve(here, '../src/generated/prisma/client.ts');
const schema = resolve(here, '../../../prisma/schema.prisma');
if (!existsSync(client) || statSync(client).mtimeMs < statSync(schema).mtimeMs) run('generate.mjs');

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, migrate } from '@smartstock/db';
import type { TestProject } from 'vitest/node';
import './context.js';
import { testTemplateSql } from './embedded-settings.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What the template's bytes depend on: our migrations, the PGlite version that wrote them, the test template's SQL. */
async function templateKey(): Promise<string> {
  const hash = createHash('sha256');
  const migrations = join(root, 'prisma', 'migrations');
  for (const name of (await readdir(migrations)).sort()) {
    const file = join(migrations, name, 'migration.sql');
    if (existsSync(file)) hash.update(name).update(await readFile(file));
  }
  const pglite = join(root, 'packages', 'db', 'node_modules', '@electric-sql', 'pglite', 'package.json');
  hash.update(JSON.parse(await readFile(pglite, 'utf8')).version);
  hash.update(JSON.stringify(testTemplateSql()));
  return hash.digest('hex').slice(0, 16);
}

/**
 * PGlite's initdb plus our migrations cost 3-8 s per new data directory, and most of an embedded test's time
 * went there. The migrated, closed directory is built once per machine (keyed by the migrations and the PGlite
 * version, under node_modules/.cache) and every test copies it (well under a second). Concurrent first runs
 * each build one and the first rename wins, so no reader ever sees a half-built template.
 */
export default async function setup(project: TestProject): Promise<void> {
  const cache = join(root, 'node_modules', '.cache', 'smartstock-test-template');
  const key = await templateKey();
  const dir = join(cache, key);
  if (!existsSync(join(dir, 'db'))) {
    const draft = `${dir}.draft-${process.pid}`;
    await rm(draft, { recursive: true, force: true });
    await mkdir(draft, { recursive: true });
    const db = await createDatabase({ dataDir: draft });
    try {
      await migrate(db);
      for (const sql of testTemplateSql()) await db.query(sql);
    } finally {
      await db.close();
    }
    await rm(join(draft, 'db.lock'), { force: true });
    await rename(draft, dir).catch(async () => rm(draft, { recursive: true, force: true }));
    // Templates of other keys (older migrations, another PGlite) are never read again: 25-40 MB each.
    for (const name of await readdir(cache)) {
      if (!name.startsWith(key)) await rm(join(cache, name), { recursive: true, force: true });
    }
  }
  project.provide('smartstockEmbeddedTemplate', join(dir, 'db'));
}

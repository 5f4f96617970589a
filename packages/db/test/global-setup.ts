import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
// By path, not by package: @smartstock/testkit depends on this package.
import { testTemplateSql } from '../../../tooling/testkit/src/embedded-settings.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

// initdb takes seconds; every embedded test database starts as a copy of one fresh, closed data directory, with
// testkit's test template SQL (a smaller shared_buffers, no template databases: see embedded-settings.ts).
export default async function setup(project: TestProject) {
  const root = mkdtempSync(join(tmpdir(), 'smartstock-db-template-'));
  const template = join(root, 'db');
  const pglite = await PGlite.create({ dataDir: template });
  for (const sql of testTemplateSql()) await pglite.exec(sql);
  await pglite.close();
  project.provide('pgliteTemplate', template);
  const url = process.env.TEST_DATABASE_URL;
  console.info(
    url
      ? '@smartstock/db tests run on: embedded PGlite and PostgreSQL (TEST_DATABASE_URL)'
      : '@smartstock/db tests run on: embedded PGlite only (set TEST_DATABASE_URL to add PostgreSQL)',
  );
  return () => rmSync(root, { recursive: true, force: true });
}

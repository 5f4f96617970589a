import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, migrate } from '@smartstock/db';
import type { TestProject } from 'vitest/node';
import './context.js';

/**
 * PGlite's initdb plus our migrations cost 3-4 s per new data directory, and most of an embedded test's time
 * went there. Done once per test run here; each test copies the closed directory (well under a second).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'smartstock-template-'));
  const db = await createDatabase({ dataDir: root });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  project.provide('smartstockEmbeddedTemplate', join(root, 'db'));
  return () => rm(root, { recursive: true, force: true });
}

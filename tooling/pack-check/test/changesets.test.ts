import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The part of a release that can run here: `changeset version` on a copy of the workspace's manifests and
// pending changesets, as the release workflow's "Version Packages" pull request would do it.

const run = promisify(execFile);
const root = join(fileURLToPath(new URL('..', import.meta.url)), '..', '..');
const LIBRARIES = ['common', 'db', 'fmp-client', 'fmp-sandbox', 'ingest-core', 'sync-logger'];

async function manifests(): Promise<string[]> {
  const files = ['package.json', 'pnpm-workspace.yaml'];
  for (const dir of ['packages', 'apps', 'tooling']) {
    for (const name of await readdir(join(root, dir))) files.push(`${dir}/${name}/package.json`);
  }
  return [...files, 'bench/package.json', 'reliability/package.json'];
}

describe('changeset version on the pending changesets', () => {
  let copy: string;
  let pending: string[];
  const manifest = async (name: string) =>
    JSON.parse(await readFile(join(copy, 'packages', name, 'package.json'), 'utf8')) as {
      version: string;
      dependencies?: Record<string, string>;
    };

  beforeAll(async () => {
    copy = await mkdtemp(join(tmpdir(), 'smartstock-changesets-'));
    for (const file of await manifests()) {
      await mkdir(dirname(join(copy, file)), { recursive: true });
      await cp(join(root, file), join(copy, file)).catch(() => undefined);
    }
    await cp(join(root, '.changeset'), join(copy, '.changeset'), { recursive: true });
    pending = (await readdir(join(copy, '.changeset'))).filter((f) => f.endsWith('.md') && f !== 'README.md');
    await run(process.execPath, [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], {
      cwd: copy,
    });
  });
  afterAll(async () => {
    if (copy) await rm(copy, { recursive: true, force: true });
  });

  it('consumes every pending changeset and writes a CHANGELOG.md entry for each library', async () => {
    expect(pending.length).toBeGreaterThan(0);
    expect(
      (await readdir(join(copy, '.changeset'))).filter((f) => f.endsWith('.md') && f !== 'README.md'),
    ).toEqual([]);
    for (const name of LIBRARIES) {
      const { version } = await manifest(name);
      const changelog = await readFile(join(copy, 'packages', name, 'CHANGELOG.md'), 'utf8');
      expect(changelog, name).toContain(`# @smartstock/${name}\n\n## ${version}\n`);
      expect(changelog, name).toMatch(/### (Major|Minor|Patch) Changes\n\n- /);
    }
  });

  it('keeps internal dependencies as workspace:^ ranges (packed as carets) and @prisma/client exact', async () => {
    for (const name of LIBRARIES) {
      for (const [dep, range] of Object.entries((await manifest(name)).dependencies ?? {})) {
        if (dep.startsWith('@smartstock/')) expect(range, `${name} -> ${dep}`).toBe('workspace:^');
      }
    }
    const workspace = await readFile(join(copy, 'pnpm-workspace.yaml'), 'utf8');
    expect(workspace).toMatch(/["']?@prisma\/client["']?: \d+\.\d+\.\d+\n/);
  });
});

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { createDatabase } from '@smartstock/db';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages as an outside service gets them: packed as they would be published (workspace ranges become
// caret ranges), linted as tarballs, installed with npm into a folder outside the monorepo, type-checked under
// the strictest settings a service may use, and used to run a daily sync against the sandbox.

const run = promisify(execFile);
const here = fileURLToPath(new URL('..', import.meta.url));
const root = join(here, '..', '..');
/** attw's esm-only profile: the resolutions it ignores. */
const ESM_ONLY_IGNORED: string[] = ['node10', 'node16-cjs'];
const PACKAGES = ['common', 'db', 'fmp-client', 'fmp-sandbox', 'ingest-core', 'sync-logger'];
const TYPESCRIPT = JSON.parse(
  await readFile(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8'),
).version as string;

const STRICT = {
  target: 'ES2022',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: false,
  types: ['node'],
};

const CONSUMER = `import { redactSecrets } from '@smartstock/common';
import { createDatabase, isDatabaseError, migrate } from '@smartstock/db';
import { createFmpClient, isFmpError } from '@smartstock/fmp-client';
import { startSandbox } from '@smartstock/fmp-sandbox';
import { runDailySync, syncSummarySchema } from '@smartstock/ingest-core';
import { SyncLogger } from '@smartstock/sync-logger';

// argv: 'embedded' <dataDir> | a PostgreSQL URL <dataDir>
const [target, dataDir] = process.argv.slice(2);
if (!target || !dataDir) throw new Error('usage: node run.js embedded|URL DATA_DIR');
const sandbox = await startSandbox({ tickers: 30, seed: 2 });
const db = await createDatabase(target === 'embedded' ? { dataDir } : { url: target, dataDir });
try {
  await migrate(db);
  const summary = await runDailySync(
    {
      db,
      fmp: () => createFmpClient({ apiKey: sandbox.apiKey, baseUrl: sandbox.url, rateLimit: null }),
      dataDir,
    },
    { tickersSource: sandbox.holdingsUrl, minTickers: 10, from: '2024-03-04', to: '2024-03-08' },
  );
  const latest = await new SyncLogger(db).getLatestStatuses();
  const checked = syncSummarySchema.parse(summary);
  console.log(
    JSON.stringify({
      status: checked.status,
      tasks: latest.map((r) => [r.taskName, r.status]),
      rows: checked.rowsUpdated,
      redacted: redactSecrets('key=abcdef', ['abcdef']),
      brands: [isDatabaseError(new Error('x')), isFmpError(new Error('x'))],
    }),
  );
} finally {
  await db.close();
  await sandbox.stop();
}
`;

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await sizeOf(join(path, entry));
  return total;
}

async function npmInstall(dir: string, specs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  await run(
    'npm',
    // npm's own cache (~/.npm), preferred over the registry: a rerun, or a fresh clone on the same machine,
    // installs the third-party dependencies from it (a cache inside the clone started empty in every clone).
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...specs],
    {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
}

describe('the packed packages, installed with npm outside the monorepo', () => {
  let work: string;
  let tarballs: Record<string, string>;
  let consumer: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'smartstock-pack-check-'));
    const packs = join(work, 'packs');
    await mkdir(packs);
    for (const name of PACKAGES) {
      await run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', name) });
    }
    tarballs = {};
    for (const file of await readdir(packs)) {
      tarballs[file.replace(/^smartstock-/, '').replace(/-\d+\.\d+\.\d+[^/]*\.tgz$/, '')] = join(packs, file);
    }
    consumer = join(work, 'consumer');
    await npmInstall(consumer, [
      ...Object.values(tarballs),
      `typescript@${TYPESCRIPT}`,
      '@types/node@^20.19.0',
    ]);
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs every package, with caret ranges for its internal dependencies', async () => {
    expect(Object.keys(tarballs).sort()).toEqual([...PACKAGES].sort());
    for (const name of PACKAGES) {
      const manifest = JSON.parse(
        await readFile(join(consumer, 'node_modules', '@smartstock', name, 'package.json'), 'utf8'),
      ) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };
      for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        if (dep.startsWith('@smartstock/')) expect(range, `${name} -> ${dep}`).toMatch(/^\^\d/);
        expect(range, `${name} -> ${dep}`).not.toMatch(/^workspace:/);
        // db's dist carries a client generated by this exact version.
        if (dep === '@prisma/client') expect(range, `${name} -> ${dep}`).toMatch(/^\d+\.\d+\.\d+$/);
      }
    }
  });

  // What `publint run <tarball> --strict` and `attw <tarball> --profile esm-only` fail on, run in this process:
  // twelve CLI starts, each loading TypeScript again, were 16 core-seconds of the suite.
  it('every tarball passes publint --strict and attw --profile esm-only', async () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const data = new Uint8Array(await readFile(tarball));
      const lint = await publint({ pack: { tarball: data.buffer }, strict: true });
      // --strict: every warning is an error, and an error fails the run (suggestions do not).
      const errors = lint.messages.filter((m) => m.type === 'error');
      expect(
        errors.map((m) => formatMessage(m, lint.pkg)),
        `publint ${name}`,
      ).toEqual([]);
      const analysis = await checkPackage(createPackageFromTarballData(data));
      if (!analysis.types) throw new Error(`attw ${name}: the tarball has no types`);
      // The esm-only profile: problems of node10 and of a CommonJS importer under node16 are not failures.
      const problems = analysis.problems.filter(
        (p) => !('resolutionKind' in p) || !ESM_ONLY_IGNORED.includes(p.resolutionKind),
      );
      expect(problems, `attw ${name}`).toEqual([]);
    }
  });

  it('type-checks a service using every package under nodenext and bundler, strictest settings', async () => {
    await writeFile(join(consumer, 'run.ts'), CONSUMER);
    for (const [module, moduleResolution] of [
      ['NodeNext', 'NodeNext'],
      ['ESNext', 'Bundler'],
    ]) {
      const config = join(consumer, `tsconfig.${moduleResolution}.json`);
      await writeFile(
        config,
        JSON.stringify({
          compilerOptions: { ...STRICT, module, moduleResolution, noEmit: true },
          files: ['run.ts'],
        }),
      );
      const checked = await run(
        process.execPath,
        [join(consumer, 'node_modules/typescript/bin/tsc'), '-p', config],
        {
          cwd: consumer,
        },
      ).catch((e: { stdout: string }) => e);
      expect('code' in checked ? checked.stdout : '', moduleResolution).toBe('');
    }
  });

  it('runs a daily sync through the installed packages into the embedded database and into PostgreSQL', async () => {
    // Type-checked above: this only compiles the one file to JavaScript, with the TypeScript the service
    // installed (in this process: a tsc run would parse every declaration file again, 8 core-seconds for nothing).
    const ts = createRequire(join(consumer, 'package.json'))('typescript') as typeof import('typescript');
    const { outputText } = ts.transpileModule(CONSUMER, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: 'run.ts',
      reportDiagnostics: false,
    });
    await mkdir(join(consumer, 'out'), { recursive: true });
    await writeFile(join(consumer, 'out', 'run.js'), outputText);
    const targets: string[] = ['embedded'];
    const admin = process.env.TEST_DATABASE_URL;
    let dbName: string | null = null;
    if (admin) {
      // A unique name only: no date or duration is derived from it.
      dbName = `smartstock_pack_${randomBytes(5).toString('hex')}`;
      const db = await createDatabase({ url: admin });
      await db.query(`CREATE DATABASE ${dbName}`);
      await db.close();
      const url = new URL(admin);
      url.pathname = `/${dbName}`;
      targets.push(url.toString());
    }
    try {
      for (const [i, target] of targets.entries()) {
        const { stdout } = await run(
          process.execPath,
          [join(consumer, 'out', 'run.js'), target, join(work, `data${i}`)],
          {
            cwd: consumer,
          },
        );
        expect(JSON.parse(stdout), target === 'embedded' ? 'embedded' : 'PostgreSQL').toMatchObject({
          status: 'success',
          tasks: [
            ['check_data_quality', 'success'],
            ['get_russell_2000_list', 'success'],
            ['ingest_all_dcf', 'success'],
            ['ingest_market_data', 'success'],
          ],
          redacted: 'key=***',
          brands: [false, false],
        });
      }
    } finally {
      if (admin && dbName) {
        const db = await createDatabase({ url: admin });
        await db.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
        await db.close();
      }
    }
  });

  it('installs fmp-client alone without any database package, and reports each package tree size', async () => {
    const alone = join(work, 'alone');
    await npmInstall(alone, [tarballs['fmp-client']!, tarballs.common!]);
    expect(existsSync(join(alone, 'node_modules', '@smartstock', 'fmp-client'))).toBe(true);
    for (const heavy of ['@smartstock/db', '@electric-sql/pglite', '@prisma/client', 'pg']) {
      expect(existsSync(join(alone, 'node_modules', heavy)), heavy).toBe(false);
    }
    const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
    console.info(
      `install sizes: fmp-client alone ${mb(await sizeOf(join(alone, 'node_modules')))}, ` +
        `all six ${mb((await sizeOf(join(consumer, 'node_modules'))) - (await sizeOf(join(consumer, 'node_modules', 'typescript'))) - (await sizeOf(join(consumer, 'node_modules', '@types'))))}`,
    );
  });
});

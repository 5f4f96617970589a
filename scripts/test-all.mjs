#!/usr/bin/env node
// The one command that runs every check (`pnpm test:all`): lint, typecheck, build, every test suite (the
// packages', the reliability suite and the release checks, side by side), then the calendar-sensitive files again
// under shifted clocks and a far time zone. It ends with the time of each step and a single
// `tests: N passed, N failed` line summed over every suite that ran, the shifted runs included.
//
// With `--packages` it is the contributor's inner loop (`pnpm test`): the build, then only the packages' own
// `test` scripts on the same scheduler; the reliability suite (`test:reliability`) and the release checks
// (`test:release`: the packed tarballs, the README's examples) are left to test:all.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLOCK_RUNS, clockRunCommand } from './clock-runs.mjs';

const root = new URL('..', import.meta.url).pathname;
const packagesOnly = process.argv.includes('--packages');
/** The script a workspace's suite runs, the first it has: test:all runs every kind, `--packages` only `test`. */
const SUITE_SCRIPTS = packagesOnly ? ['test'] : ['test:reliability', 'test:release', 'test'];
const workspaces = [
  ...['packages', 'apps', 'tooling'].flatMap((dir) =>
    readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
  ),
  join(root, 'bench'),
  join(root, 'reliability'),
];
// The JSON reports of every run: each suite's in its folder, the shifted-clock runs' at the root.
const reports = () =>
  [root, ...workspaces].flatMap((ws) =>
    existsSync(ws)
      ? readdirSync(ws)
          .filter((f) => /^test-results.*\.json$/.test(f))
          .map((f) => join(ws, f))
      : [],
  );
for (const file of reports()) rmSync(file);

// Three suites at a time on a 2-core machine (much of a test's time is spent waiting on another process: the
// CLI under test, PostgreSQL, the sandbox, a browser), longest first, so the long ones never start last and
// hold up the end alone (turbo would start them in its own order). Vitest gives each suite one worker on 2
// cores (its default is the cores less one), so a suite's files run one after another, and the longest
// suites run in parts (PARTS). Four at a time was slower: 2026-12-04, embedded only, the tests took 461 s and
// 982 core-seconds against 427 s and 889 at three (more processes competing for two cores cost more CPU).
// TEST_CONCURRENCY overrides the three.
const concurrency = Number(process.env.TEST_CONCURRENCY ?? '3');
/**
 * Every suite (or part of one, `dir#part`) with its script, longest first by their last figures (2026-12-04,
 * three at a time: the reliability suite's other files 259 s, db 230, ingest-core 216, the CLI's other files
 * 180, the fault matrix 131, pack-check 123, the CLI's main end-to-end file 122). With these the three slots
 * end within seconds of each other: the run is bound by the CPU, not by the order. New suites run after these.
 */
const LONGEST_FIRST = [
  'reliability#others',
  'apps/cli#others',
  'packages/ingest-core',
  'packages/db',
  'reliability#faults',
  'apps/cli#e2e',
  'tooling/pack-check',
  'tooling/docs-check',
  'packages/fmp-client',
  'bench',
  'packages/sync-logger',
  'apps/action',
  'packages/fmp-sandbox',
];
/**
 * Suites run in parts, each its own vitest run in its own slot, each naming its own report. The reliability
 * suite runs its files one at a time (its cases time kills against a CLI's progress), and whole it was the
 * last suite to end, alone on the machine: its fault matrix and its other files run side by side instead.
 * The CLI's suite, whole, was the longest of all (350-390 s): its main end-to-end file runs beside the rest.
 */
const PARTS = {
  'apps/cli': [
    { label: 'e2e', args: ['test/cli.e2e.test.ts'] },
    { label: 'others', args: ['--exclude', 'test/cli.e2e.test.ts'] },
  ],
  reliability: [
    { label: 'faults', args: ['test/faults'] },
    { label: 'others', args: ['--exclude', 'test/faults*'] },
  ],
};
function testSuites() {
  const found = workspaces.flatMap((dir) => {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) return [];
    const { name, scripts = {} } = JSON.parse(readFileSync(file, 'utf8'));
    const script = SUITE_SCRIPTS.find((name) => scripts[name]) ?? null;
    if (!script) return [];
    const suite = { name, dir, script, label: script, command: ['run', script], env: {} };
    const at = dir.slice(root.length);
    const parts = PARTS[at];
    if (!parts) return [{ ...suite, rank: LONGEST_FIRST.indexOf(at) }];
    return parts.map((part) => ({
      ...suite,
      rank: LONGEST_FIRST.indexOf(`${at}#${part.label}`),
      label: `${script}:${part.label}`,
      // vitest itself: pnpm would hand a `--` on to the script, and vitest would read what follows as filters.
      command: ['exec', 'vitest', 'run', ...part.args],
      env: { SMARTSTOCK_TEST_REPORT: `test-results.${part.label}.json` },
    }));
  });
  const rank = (s) => (s.rank === -1 ? LONGEST_FIRST.length : s.rank);
  return found.sort((a, b) => rank(a) - rank(b));
}

/**
 * Runs every suite, `concurrency` at a time, each one's output printed whole when it ends with turbo's prefix
 * (`@smartstock/db:test: ...`), which suiteDurations reads. Resolves with the failed suites' names.
 */
async function runSuites() {
  const queue = testSuites();
  const failed = [];
  const texts = [];
  const worker = async () => {
    for (let suite = queue.shift(); suite; suite = queue.shift()) {
      const result = await run('pnpm', suite.command, {
        cwd: suite.dir,
        env: { ...process.env, ...suite.env },
        quiet: true,
      });
      const prefix = `${suite.name}:${suite.label}: `;
      const text = result.text
        .split('\n')
        .map((line) => prefix + line)
        .join('\n');
      process.stdout.write(`${text}\n`);
      texts.push(text);
      if (result.code !== 0) failed.push(`${suite.name} (${suite.label})`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { code: failed.length === 0 ? 0 : 1, text: texts.join('\n'), failed };
}

/** Runs a command with its output passed through; resolves with its exit code and its stdout+stderr text. */
function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    const pass = (stream) => (chunk) => {
      text += chunk;
      if (!options.quiet) stream.write(chunk);
    };
    child.stdout.on('data', pass(process.stdout));
    child.stderr.on('data', pass(process.stderr));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), text }));
  });
}

/** vitest's own "Duration" line of each suite in turbo's prefixed output (`@smartstock/db:test:    Duration  12.3s`). */
function suiteDurations(text) {
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  return [...plain.matchAll(/^(@smartstock\/[\w-]+:[\w:-]+):\s+Duration\s+([\d.]+)(m?s)/gm)].map((m) => ({
    suite: m[1],
    seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1),
  }));
}

/** `tsc -p tsconfig.json`, its output printed when it ends; resolves with its exit code and time. */
async function runTypecheck() {
  const t0 = Date.now();
  const result = await run('pnpm', ['exec', 'tsc', '-p', 'tsconfig.json'], { quiet: true });
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`typecheck: ${result.code === 0 ? 'ok' : 'FAILED'} in ${seconds} s\n${result.text}`);
  return result;
}

async function runClockRuns() {
  if (spawnSync('faketime', ['--version'], { stdio: 'ignore' }).error) {
    console.error(
      'faketime is not installed: the shifted-clock runs need it (Debian: apt-get install faketime; .ci/run installs it)',
    );
    return 1;
  }
  let failed = 0;
  // Two settings at a time, each one vitest run; its output is printed whole when it ends.
  const queue = [...CLOCK_RUNS];
  const worker = async () => {
    for (let setting = queue.shift(); setting; setting = queue.shift()) {
      const cmd = clockRunCommand(setting, root);
      const result = await run(cmd.command, cmd.args, { cwd: cmd.cwd, env: cmd.env, quiet: true });
      process.stdout.write(`\n--- ${setting.label}: ${cmd.describe}\n${result.text}`);
      if (result.code !== 0) failed++;
    }
  };
  await Promise.all([worker(), worker()]);
  return failed === 0 ? 0 : 1;
}

const build = {
  name: 'build',
  command: ['pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']],
  stopOnFailure: true,
};
// test:all lints in the same turbo run as the build: the linters (about a core for 4 s) use what the build's
// chain of declaration builds leaves idle. Either failing stops the run before any test.
const lintAndBuild = {
  name: 'lint and build',
  command: ['pnpm', ['exec', 'turbo', 'run', 'lint', 'lint:root', 'build', '--output-logs=errors-only']],
  stopOnFailure: true,
};
const tests = {
  name: packagesOnly
    ? 'tests (the packages)'
    : 'tests (packages + reliability + release checks) and one typecheck of the workspace',
  // The builds are done above; each suite runs its own script in its folder. test:all typechecks the whole
  // workspace as one program (tsconfig.json says why) beside the first suites rather than before them: tsc uses
  // one core for about 10 s, and the suites are what the run waits for. The inner loop leaves that to test:all.
  fn: async () => {
    const [typecheck, result] = await Promise.all([packagesOnly ? null : runTypecheck(), runSuites()]);
    durations.push(...suiteDurations(result.text));
    const failed = [
      ...(typecheck && typecheck.code !== 0 ? ['typecheck (tsc -p tsconfig.json)'] : []),
      ...result.failed,
    ];
    if (failed.length > 0) console.error(`failed: ${failed.join(', ')}`);
    return failed.length === 0 ? 0 : 1;
  },
};
const clocks = { name: `shifted clocks (${CLOCK_RUNS.map((c) => c.label).join('; ')})`, fn: runClockRuns };
const steps = packagesOnly ? [build, tests] : [lintAndBuild, tests, clocks];

const started = Date.now();
const timings = [];
const durations = [];
let failedStep = null;
for (const step of steps) {
  console.log(`\n=== ${step.name} ===`);
  const t0 = Date.now();
  let code;
  if (step.fn) code = await step.fn();
  else {
    const results = await Promise.all(
      (step.commands ?? [step.command]).map(([command, args]) => run(command, args)),
    );
    code = results.find((r) => r.code !== 0)?.code ?? 0;
    for (const r of results) durations.push(...suiteDurations(r.text));
  }
  timings.push({ name: step.name, seconds: (Date.now() - t0) / 1000, ok: code === 0 });
  if (code !== 0) {
    failedStep ??= step.name;
    if (step.stopOnFailure) break;
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

console.log('\nstep times:');
for (const t of timings)
  console.log(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.seconds.toFixed(1).padStart(6)} s  ${t.name}`);
if (durations.length > 0) {
  console.log('suite durations (vitest):');
  for (const d of durations.sort((a, b) => b.seconds - a.seconds)) {
    console.log(`       ${d.seconds.toFixed(1).padStart(6)} s  ${d.suite}`);
  }
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
console.log(
  `\nbackends: embedded PGlite${process.env.TEST_DATABASE_URL ? ' + PostgreSQL (TEST_DATABASE_URL)' : ' only (TEST_DATABASE_URL not set)'}`,
);
console.log(`finished in ${minutes} min${failedStep ? `; failed step: ${failedStep}` : ''}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedStep || failed > 0 || skipped > 0 || passed === 0 ? 1 : 0);

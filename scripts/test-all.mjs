#!/usr/bin/env node
// The one command that runs every check: lint, typecheck, build, every test suite (the packages' and the
// reliability suite, side by side), then the calendar-sensitive files again under shifted clocks and a far time
// zone. It ends with the time of each step and a single `tests: N passed, N failed` line summed over every
// suite that ran, the shifted runs included.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLOCK_RUNS, clockRunCommands } from './clock-runs.mjs';

const root = new URL('..', import.meta.url).pathname;
const workspaces = [
  ...['packages', 'apps', 'tooling'].flatMap((dir) =>
    readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
  ),
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

// Two package suites at a time (beside the reliability suite) on a 2-core machine: much of a test's time is
// spent waiting on another process (the CLI under test, PostgreSQL, the sandbox). TEST_CONCURRENCY overrides.
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

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
  return [...plain.matchAll(/^(@smartstock\/[\w-]+:[\w:]+):\s+Duration\s+([\d.]+)(m?s)/gm)].map((m) => ({
    suite: m[1],
    seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1),
  }));
}

async function runClockRuns() {
  if (spawnSync('faketime', ['--version'], { stdio: 'ignore' }).error) {
    console.error(
      'faketime is not installed: the shifted-clock runs need it (Debian: apt-get install faketime; .ci/run installs it)',
    );
    return 1;
  }
  let failed = 0;
  // Two settings at a time, each a few short vitest runs; their output is printed whole when a setting ends.
  const queue = [...CLOCK_RUNS];
  const worker = async () => {
    for (let setting = queue.shift(); setting; setting = queue.shift()) {
      let out = '';
      for (const cmd of clockRunCommands(setting, root)) {
        const result = await run(cmd.command, cmd.args, { cwd: cmd.cwd, env: cmd.env, quiet: true });
        out += `\n--- ${setting.label}: ${cmd.describe}\n${result.text}`;
        if (result.code !== 0) failed++;
      }
      process.stdout.write(out);
    }
  };
  await Promise.all([worker(), worker()]);
  return failed === 0 ? 0 : 1;
}

const steps = [
  { name: 'lint', command: ['pnpm', ['run', 'lint']], stopOnFailure: true },
  {
    name: 'build + typecheck',
    command: ['pnpm', ['exec', 'turbo', 'run', 'build', 'typecheck', '--output-logs=errors-only']],
    stopOnFailure: true,
  },
  {
    name: 'tests (packages + reliability)',
    // The reliability suite is the longest: it starts at once beside the packages' suites instead of after
    // them (`--only`: the builds are done above).
    commands: [
      ['pnpm', ['exec', 'turbo', 'run', 'test:reliability', '--only', '--output-logs=full']],
      [
        'pnpm',
        [
          'exec',
          'turbo',
          'run',
          'test',
          '--only',
          `--concurrency=${concurrency}`,
          '--output-logs=full',
          '--continue',
        ],
      ],
    ],
  },
  { name: `shifted clocks (${CLOCK_RUNS.map((c) => c.label).join('; ')})`, fn: runClockRuns },
];

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

#!/usr/bin/env node
// The repository's `smartstock` command (an alias or a symlink on PATH, or `pnpm smartstock`): runs the built
// CLI, building it first when it is missing, so the command works straight after `pnpm install`. Build output
// goes to stderr and nothing else is added: stdout stays clean for `--json`, and the exit code is the CLI's.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}apps/cli/dist/cli.js`;
if (!existsSync(cli) || process.env.SMARTSTOCK_REBUILD === '1') {
  const build = spawnSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--filter=@smartstock/cli...', '--output-logs=errors-only'],
    {
      cwd: root,
      stdio: ['ignore', process.stderr, process.stderr],
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// INIT_CWD (set by pnpm and npm) is where the user typed the command: relative paths and the default
// data directory are resolved against it, not against the workspace root pnpm moved to.
// The CLI runs in a process group of its own, so every signal reaches it exactly once, from here: a terminal's
// Ctrl-C goes to this process's group and is forwarded below. In the terminal's group, the CLI got one Ctrl-C
// twice (from the terminal and forwarded), and on a busy machine the forwarded copy could come later than the
// CLI's window for one press and be taken for a second Ctrl-C, which quits at once instead of stopping cleanly.
const child = spawn(process.execPath, [cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
});
// Signals sent to this process, alone (`kill PID`, a supervisor) or with its group (a terminal), reach the CLI,
// which stops cleanly.
const forward = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
process.on('SIGINT', () => forward('SIGINT'));
process.on('SIGTERM', () => forward('SIGTERM'));
process.on('SIGHUP', () => forward('SIGHUP'));
// pnpm returns the prompt at the first Ctrl-C without waiting for its script: when the process that started
// this one goes away, the CLI gets SIGTERM, so nothing (a sync, the sandbox, Studio) outlives the command.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid !== parent) forward('SIGTERM');
}, 500);
watch.unref();
child.on('exit', (code, signal) => {
  clearInterval(watch);
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});

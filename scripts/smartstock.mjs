#!/usr/bin/env node
// The repository's `smartstock` command (an alias or a symlink on PATH, or `pnpm smartstock`): runs the built
// CLI, building it first when it is missing, so the command works straight after `pnpm install`. Build output
// goes to stderr and nothing else is added: stdout stays clean for `--json`, and the exit code is the CLI's.
import { spawnSync } from 'node:child_process';
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
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, INIT_CWD: process.env.INIT_CWD ?? process.cwd() },
});
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);

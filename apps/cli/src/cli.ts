#!/usr/bin/env node
import type { CliContext } from './context.js';
import { main } from './main.js';

// The process wrapper: real streams and environment, signals, exit code. Everything else is in main().
// The first SIGINT or SIGTERM asks a running sync to stop cleanly (its sync_logs rows end `failed`, "cancelled
// by SIGINT", not `running`); the same signal again (a person's second Ctrl-C), or one with nothing to stop,
// quits at once. A SIGTERM after a SIGINT is not a second Ctrl-C: CI runners cancel with SIGINT, then SIGTERM
// 7.5 s later, and the clean stop must be allowed to finish.
// One Ctrl-C can arrive twice within milliseconds: through the terminal's process group and forwarded by a
// wrapper that shares the group (the repository's own, scripts/smartstock.mjs, gives the CLI a group of its
// own, so it forwards the only copy). The same signal within ONE_PRESS_MS of the first is that one.
const ONE_PRESS_MS = 500;
let context: CliContext | null = null;
const received = new Map<NodeJS.Signals, number>();
const handleSignal = (signal: NodeJS.Signals) => {
  const first = received.get(signal);
  if (first !== undefined && performance.now() - first < ONE_PRESS_MS) return;
  const again = first !== undefined;
  if (!again) received.set(signal, performance.now());
  const stop = context?.onInterrupt;
  if (again || !stop) process.exit(signal === 'SIGINT' ? 130 : 143);
  if (received.size === 1) stop(signal);
};
process.on('SIGINT', handleSignal);
process.on('SIGTERM', handleSignal);

process.exitCode = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  { onContext: (cli) => (context = cli) },
);

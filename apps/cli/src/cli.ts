#!/usr/bin/env node
import type { CliContext } from './context.js';
import { main } from './main.js';

// The process wrapper: real streams and environment, signals, exit code. Everything else is in main().
// The first SIGINT or SIGTERM asks a running sync to stop cleanly (its sync_logs rows end `failed`, "cancelled
// by SIGINT", not `running`); the same signal again (a person's second Ctrl-C), or one with nothing to stop,
// quits at once. A SIGTERM after a SIGINT is not a second Ctrl-C: CI runners cancel with SIGINT, then SIGTERM
// 7.5 s later, and the clean stop must be allowed to finish.
let context: CliContext | null = null;
const received = new Set<NodeJS.Signals>();
const handleSignal = (signal: NodeJS.Signals) => {
  const again = received.has(signal);
  received.add(signal);
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

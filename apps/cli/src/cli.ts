#!/usr/bin/env node
import type { CliContext } from './context.js';
import { main } from './main.js';

// The process wrapper: real streams and environment, signals, exit code. Everything else is in main().
// The first Ctrl-C asks a running sync to stop cleanly (its sync_logs rows end `failed`, not `running`);
// the second, or one with nothing to stop, quits at once.
let context: CliContext | null = null;
let interrupts = 0;
const handleSignal = (signal: NodeJS.Signals) => {
  interrupts++;
  const stop = context?.onInterrupt;
  if (interrupts > 1 || !stop) process.exit(signal === 'SIGINT' ? 130 : 143);
  stop();
};
process.on('SIGINT', handleSignal);
process.on('SIGTERM', handleSignal);

process.exitCode = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  { onContext: (cli) => (context = cli) },
);

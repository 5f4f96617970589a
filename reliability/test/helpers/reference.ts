import type { Sandbox } from '@smartstock/fmp-sandbox';
import { expect } from 'vitest';
import type { Backend } from './backends.js';
import { type CliResult, runCli } from './cli.js';
import { type DataTables, readDataTables } from './tables.js';
import { fmpEnv, syncArgs, type Window } from './world.js';

/**
 * The fault-free run a case compares its tables with: `smartstock sync` into a fresh database of the
 * backend, which must exit 0, and the tables it left.
 */
export async function referenceRun(
  backend: Backend,
  sandbox: Sandbox,
  window: Window,
  extra: string[] = [],
): Promise<{ result: CliResult; tables: DataTables }> {
  const target = await backend.fresh('reference');
  const result = await runCli(syncArgs(sandbox, target, window, extra), {
    env: fmpEnv(sandbox, target),
    cwd: target.dataDir,
  });
  expect(result.code, result.stderr).toBe(0);
  return { result, tables: await target.withDb(readDataTables) };
}

import type { CliContext } from '../context.js';

/** `smartstock sandbox [...]`: the sandbox package's own command, its parser, options and messages. */
export async function sandboxCommand(cli: CliContext, args: Record<string, unknown>): Promise<number> {
  const argv = (args._ as string[] | undefined) ?? [];
  const { runSandboxCli } = await import('@smartstock/fmp-sandbox');
  // Ctrl-C is the sandbox's normal way to stop: let its own handler close the server cleanly.
  cli.onInterrupt = () => undefined;
  try {
    return await runSandboxCli(argv, { stdout: cli.io.stdout, stderr: cli.io.stderr });
  } finally {
    cli.onInterrupt = null;
  }
}

import type { CliContext } from '../context.js';
import { ExitCode, UsageError } from '../errors.js';

/**
 * `smartstock sandbox [...]`: the offline FMP until Ctrl-C. Its flags are declared like every other
 * command's (same help, same one-line errors); their values are checked by the sandbox package's own parser.
 */
export async function sandboxCommand(cli: CliContext, flags: Record<string, unknown>): Promise<number> {
  const { parseSandboxArgs, startSandbox } = await import('@smartstock/fmp-sandbox');
  const argv: string[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (name === '_' || typeof value !== 'string' || name !== name.toLowerCase()) continue;
    argv.push(`--${name}`, value);
  }
  let options: ReturnType<typeof parseSandboxArgs>;
  try {
    options = parseSandboxArgs(argv);
  } catch (error) {
    throw new UsageError(
      `${error instanceof Error ? error.message : String(error)}; run "smartstock sandbox --help" for the options`,
      {
        cause: error,
      },
    );
  }
  const sandbox = await startSandbox(options);
  const stopped = new Promise<void>((resolve) => {
    cli.onInterrupt = () => resolve();
  });
  try {
    cli.reporter.out(`FMP sandbox listening on ${sandbox.url} (Ctrl-C to stop)`);
    // Said in words: `FMP_API_KEY=...` would be masked like any key, and this one is public.
    cli.reporter.prose(
      `Point the CLI at it from another terminal: FMP_BASE_URL set to ${sandbox.url}, FMP_API_KEY set to ` +
        `${sandbox.apiKey}, and \`smartstock sync --tickers-source ${sandbox.holdingsUrl}\`.`,
    );
    await stopped;
    return ExitCode.Ok;
  } finally {
    cli.onInterrupt = null;
    await sandbox.stop();
  }
}

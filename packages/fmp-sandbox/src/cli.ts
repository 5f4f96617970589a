import { parseArgs } from 'node:util';
import { isSandboxError, SandboxError } from './errors.js';
import { parseFaults } from './faults.js';
import { type SandboxOptions, startSandbox } from './server.js';

/** The `fmp-sandbox` command's `--help` text (options and their defaults). */
export const SANDBOX_USAGE = `Usage: fmp-sandbox [options]

An offline Financial Modeling Prep API on 127.0.0.1.

Options:
  --port <n>             port to listen on (default 8765; 0 = any free port)
  --tickers <n>          universe size (default 2000)
  --seed <n>             market and fault seed (default 1)
  --rpm <n>              requests per rolling window, 0 = unlimited (default 0)
  --rate-window-ms <n>   length of the rolling window (default 60000)
  --latency-ms <n>       time from a request's arrival to its answer (default 0)
  --plan <name>          starter | premium | ultimate (default ultimate; bulk endpoints need ultimate)
  --api-key <key>        key the API requires (default sandbox-key)
  --faults <spec>        e.g. "5xx=0.05,429=0.02,timeout=0.005,reset=0.01,malformed=0.01,error200=0.005,badrows=0.01"
  --now <iso>            fixed market clock (default: real time)
  -h, --help             show this help
`;

/** Where `runSandboxCli` writes (default the process's stdout and stderr) and what stops it. */
export interface SandboxCliIo {
  stdout?: { write(text: string): unknown } | undefined;
  stderr?: { write(text: string): unknown } | undefined;
  /** Stops the sandbox when aborted (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal | undefined;
}

function integer(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^-?\d+$/.test(raw.trim()))
    throw new SandboxError('INVALID_OPTION', `--${flag} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max)
    throw new SandboxError('INVALID_OPTION', `--${flag} must be from ${min} to ${max}, got ${n}`);
  return n;
}

/** Parses the CLI flags into `startSandbox` options; throws a SandboxError naming the bad flag. */
export function parseSandboxArgs(argv: readonly string[]): SandboxOptions & { help?: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        tickers: { type: 'string' },
        seed: { type: 'string' },
        rpm: { type: 'string' },
        'rate-window-ms': { type: 'string' },
        'latency-ms': { type: 'string' },
        plan: { type: 'string' },
        'api-key': { type: 'string' },
        faults: { type: 'string' },
        now: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new SandboxError('INVALID_OPTION', (error as Error).message, { cause: error });
  }
  if (values.help) return { help: true };
  const str = (k: string) => values[k] as string | undefined;
  const options: SandboxOptions = { port: integer('port', str('port'), 0, 65_535) ?? 8765 };
  const tickers = integer('tickers', str('tickers'), 1, 100_000);
  if (tickers !== undefined) options.tickers = tickers;
  const seed = integer('seed', str('seed'), -2_147_483_648, 2_147_483_647);
  if (seed !== undefined) options.seed = seed;
  const rpm = integer('rpm', str('rpm'), 0, 10_000_000);
  if (rpm !== undefined) options.rpm = rpm;
  const windowMs = integer('rate-window-ms', str('rate-window-ms'), 1, 86_400_000);
  if (windowMs !== undefined) options.rateWindowMs = windowMs;
  const latency = integer('latency-ms', str('latency-ms'), 0, 600_000);
  if (latency !== undefined) options.latencyMs = latency;
  const plan = str('plan');
  if (plan !== undefined) {
    if (plan !== 'starter' && plan !== 'premium' && plan !== 'ultimate') {
      throw new SandboxError(
        'INVALID_OPTION',
        `--plan must be starter, premium or ultimate, got ${JSON.stringify(plan)}`,
      );
    }
    options.plan = plan;
  }
  const key = str('api-key');
  if (key !== undefined) {
    if (key === '') throw new SandboxError('INVALID_OPTION', '--api-key must not be empty');
    options.apiKey = key;
  }
  const faults = str('faults');
  if (faults !== undefined) {
    parseFaults(faults);
    options.faults = faults;
  }
  const now = str('now');
  if (now !== undefined) {
    const date = new Date(now);
    if (Number.isNaN(date.getTime()))
      throw new SandboxError('INVALID_OPTION', `--now must be an ISO date-time, got ${JSON.stringify(now)}`);
    options.now = date;
  }
  return options;
}

/**
 * Runs the sandbox until SIGINT/SIGTERM (or `io.signal`); resolves with the exit code: 0 after a clean stop,
 * 2 for bad flags, 1 when the server cannot start.
 */
export async function runSandboxCli(argv: readonly string[], io: SandboxCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let options: ReturnType<typeof parseSandboxArgs>;
  try {
    options = parseSandboxArgs(argv);
  } catch (error) {
    stderr.write(`fmp-sandbox: ${(error as Error).message}\n\n${SANDBOX_USAGE}`);
    return 2;
  }
  if (options.help) {
    stdout.write(SANDBOX_USAGE);
    return 0;
  }
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox(options);
  } catch (error) {
    stderr.write(`fmp-sandbox: ${isSandboxError(error) ? error.message : String(error)}\n`);
    return 1;
  }
  stdout.write(`FMP sandbox listening on ${sandbox.url}\n`);
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      io.signal?.removeEventListener('abort', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (io.signal?.aborted) done();
    else io.signal?.addEventListener('abort', done, { once: true });
  });
  await sandbox.stop();
  return 0;
}

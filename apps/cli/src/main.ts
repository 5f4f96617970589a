import { type ArgsDef, type CommandDef, defineCommand, parseArgs, renderUsage } from 'citty';
import { assertKnownArgs } from './args.js';
import { dbArgs, dcfArgs, pricesArgs, statusArgs, syncArgs, tickersArgs } from './args-def.js';
import { migrateCommand } from './commands/db.js';
import { runTasks } from './commands/run.js';
import { sandboxCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';
import { studioCommand } from './commands/studio.js';
import { loadStartContext, lookupSetting, secretsOf } from './config.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, errorCode, exitCodeFor, UsageError } from './errors.js';
import { type Io, Reporter } from './output.js';
import { TASK_NAMES } from './tasks.js';

export const VERSION = '0.1.0';

type Handler = (cli: CliContext, args: Record<string, unknown>) => Promise<number>;

interface Leaf {
  def: CommandDef<ArgsDef>;
  handler: Handler;
  /** The command parses its own arguments (the sandbox reuses its package's parser). */
  passThrough?: boolean;
}

function leaf<const T extends ArgsDef>(
  name: string,
  description: string,
  args: T,
  handler: Handler,
  passThrough = false,
): Leaf {
  return {
    def: defineCommand({ meta: { name, description }, args }) as CommandDef<ArgsDef>,
    handler,
    passThrough,
  };
}

const COMMANDS: Record<string, Leaf | Record<string, Leaf>> = {
  sync: leaf(
    'sync',
    'The daily sync: universe, prices, DCF (as the nightly job runs it)',
    syncArgs,
    (cli, a) => runTasks(cli, a, [...TASK_NAMES]),
  ),
  tickers: leaf(
    'tickers',
    'Refresh the universe from an iShares holdings file or a list',
    tickersArgs,
    (cli, a) => runTasks(cli, a, ['get_russell_2000_list']),
  ),
  prices: leaf(
    'prices',
    'Daily OHLCV for the active universe (or --tickers); --from for a backfill',
    pricesArgs,
    (cli, a) => runTasks(cli, a, ['ingest_market_data']),
  ),
  dcf: leaf('dcf', 'The latest DCF valuation for the active universe (or --tickers)', dcfArgs, (cli, a) =>
    runTasks(cli, a, ['ingest_all_dcf']),
  ),
  status: leaf(
    'status',
    'The latest run per task; --check is the health check for monitors',
    statusArgs,
    statusCommand,
  ),
  db: {
    migrate: leaf(
      'migrate',
      'Apply pending migrations (DATABASE_URL or the embedded database)',
      dbArgs,
      migrateCommand,
    ),
    studio: leaf(
      'studio',
      'Open Prisma Studio on the database (the embedded one is served on loopback)',
      dbArgs,
      studioCommand,
    ),
  },
  sandbox: leaf(
    'sandbox',
    'Run the offline FMP sandbox server (same options as fmp-sandbox)',
    {},
    sandboxCommand,
    true,
  ),
};

const root = defineCommand({
  meta: {
    name: 'smartstock',
    version: VERSION,
    description: 'Russell 2000 prices and DCF from FMP into your database',
  },
  subCommands: Object.fromEntries(
    Object.entries(COMMANDS).map(([name, entry]) => [
      name,
      isLeaf(entry)
        ? entry.def
        : defineCommand({
            meta: { name, description: 'Database: migrate, studio' },
            subCommands: Object.fromEntries(Object.entries(entry).map(([n, l]) => [n, l.def])),
          }),
    ]),
  ),
});

function isLeaf(entry: Leaf | Record<string, Leaf>): entry is Leaf {
  return 'handler' in entry;
}

const EXIT_CODES_HELP = `
Exit codes: 0 success or partial, 1 a task failed (or partial with --strict, or --check unhealthy),
2 usage or configuration error, 3 another sync holds the lock.
Settings: flags, then the environment (DATABASE_URL, FMP_API_KEY, FMP_BASE_URL, FMP_REQUESTS_PER_MINUTE,
SMARTSTOCK_DATA_DIR), then a .env file where the command starts. No DATABASE_URL: the embedded database.`;

const isHelp = (a: string) => a === '--help' || a === '-h';

/** Runs one command line; returns the exit code (the caller sets process.exitCode). Never throws. */
export async function main(
  argv: string[],
  io: Io,
  hooks: { onContext?: (cli: CliContext) => void } = {},
): Promise<number> {
  const reporter = new Reporter(io, { verbose: argv.includes('--verbose') });
  try {
    const start = loadStartContext(io.env, io.cwd);
    // Secrets present in the environment are hidden from the very first line, whatever fails later.
    reporter.addSecrets(
      secretsOf({
        apiKey: lookupSetting(start, 'FMP_API_KEY')?.value,
        databaseUrl: lookupSetting(start, 'DATABASE_URL')?.value,
      }),
    );
    const cli: CliContext = { io, start, reporter, onInterrupt: null };
    hooks.onContext?.(cli);

    const [first, ...rest] = argv;
    if (first === undefined || isHelp(first)) {
      const usage = await renderUsage(root);
      if (first === undefined) {
        io.stderr.write(`${usage}\n${EXIT_CODES_HELP}\n`);
        return ExitCode.Usage;
      }
      io.stdout.write(`${usage}\n${EXIT_CODES_HELP}\n`);
      return ExitCode.Ok;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${VERSION}\n`);
      return ExitCode.Ok;
    }
    const entry = COMMANDS[first];
    if (!entry)
      throw new UsageError(`unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    let command: Leaf;
    let args = rest;
    let name = `smartstock ${first}`;
    if (isLeaf(entry)) {
      command = entry;
    } else {
      const [sub, ...subRest] = rest;
      if (sub === undefined || isHelp(sub)) {
        const usage = await renderUsage(
          root.subCommands ? ((root.subCommands as Record<string, CommandDef>)[first] as CommandDef) : root,
          root,
        );
        (sub === undefined ? io.stderr : io.stdout).write(`${usage}\n`);
        return sub === undefined ? ExitCode.Usage : ExitCode.Ok;
      }
      const found = entry[sub];
      if (!found)
        throw new UsageError(
          `unknown command "${first} ${sub}"; use: ${Object.keys(entry)
            .map((s) => `${first} ${s}`)
            .join(', ')}`,
        );
      command = found;
      args = subRest;
      name = `${name} ${sub}`;
    }
    if (!command.passThrough) {
      if (args.some(isHelp)) {
        io.stdout.write(`${await renderUsage(command.def, root)}\n`);
        return ExitCode.Ok;
      }
      assertKnownArgs(args, (command.def.args ?? {}) as ArgsDef, name);
    }
    const parsed = command.passThrough ? { _: args } : parsedArgs(command.def, args);
    return await command.handler(cli, parsed);
  } catch (error) {
    reporter.endProgress();
    const code = exitCodeFor(error);
    const raw = error instanceof Error ? error.message : String(error);
    // PGlite is one process's database: a second process cannot even open it while a sync runs, so the
    // lock file's refusal is said the same way as the run lock's.
    const message = errorCode(error) === 'DATABASE_LOCKED' ? `another sync is running (${raw})` : raw;
    const prefix = error instanceof CliError ? '' : code === ExitCode.Locked ? '' : 'error: ';
    io.stderr.write(`${reporter.redact(`smartstock: ${prefix}${message}`)}\n`);
    if (!(error instanceof CliError) && code === ExitCode.Failed && reporter.runId === undefined) {
      // An unexpected error before a run started: the cause usually says what to fix.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null;
      if (cause) io.stderr.write(`${reporter.redact(`  cause: ${cause}`)}\n`);
    }
    return code;
  }
}

function parsedArgs(def: CommandDef<ArgsDef>, args: string[]): Record<string, unknown> {
  try {
    return { ...parseArgs(args, (def.args ?? {}) as ArgsDef) };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

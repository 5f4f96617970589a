import { type ArgsDef, type CommandDef, defineCommand, parseArgs, renderUsage } from 'citty';
import { assertKnownArgs } from './args.js';
import {
  auditArgs,
  dbArgs,
  dcfArgs,
  pricesArgs,
  repairArgs,
  sandboxArgs,
  statusArgs,
  syncArgs,
  tickersArgs,
} from './args-def.js';
import { auditCommand } from './commands/audit.js';
import { migrateCommand } from './commands/db.js';
import { runTasks } from './commands/run.js';
import { sandboxCommand } from './commands/sandbox.js';
import { statusCommand } from './commands/status.js';
import { studioCommand } from './commands/studio.js';
import { loadStartContext, lookupSetting, secretsOf } from './config.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, errorCode, exitCodeFor, UsageError } from './errors.js';
import { type Io, LOG_FORMATS, type LogFormat, Reporter, stripAnsi } from './output.js';
import { TASK_NAMES } from './tasks.js';

/** The CLI's version, as `smartstock --version` prints it. */
export const VERSION = '0.1.0';

type Handler = (cli: CliContext, args: Record<string, unknown>) => Promise<number>;

interface Leaf {
  def: CommandDef<ArgsDef>;
  handler: Handler;
}

function leaf<const T extends ArgsDef>(name: string, description: string, args: T, handler: Handler): Leaf {
  return {
    def: defineCommand({ meta: { name, description }, args }) as CommandDef<ArgsDef>,
    handler,
  };
}

const COMMANDS: Record<string, Leaf | Record<string, Leaf>> = {
  sync: leaf(
    'sync',
    'The daily sync: universe, prices, repair, DCF, data checks (as the nightly job runs it)',
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
  repair: leaf(
    'repair',
    'Fetch the sessions missing from the stored prices (repair_price_gaps), within --repair-max-requests',
    repairArgs,
    (cli, a) => runTasks(cli, a, ['repair_price_gaps']),
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
  audit: leaf(
    'audit',
    'Check the stored prices against the NYSE calendar: gaps, confirmed-empty sessions, stale tickers',
    auditArgs,
    auditCommand,
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
    'Run the offline FMP sandbox on a loopback port until Ctrl-C',
    sandboxArgs,
    sandboxCommand,
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
Exit codes: 0 success or partial, 1 a task failed (or partial with --strict, --check unhealthy, or an audit
found an unexplained gap), 2 something to change before a rerun (usage, a setting, a refused database, a
missing file), 3 another sync holds the lock.
Settings: flags, then the environment (DATABASE_URL, FMP_API_KEY, FMP_BASE_URL, FMP_REQUESTS_PER_MINUTE,
SMARTSTOCK_DATA_DIR, SMARTSTOCK_UNIVERSE_URL), then a .env file where the command starts. No DATABASE_URL:
the embedded database in ./data/db. Logs: --log-format json for one JSON object a line.`;

const isHelp = (a: string) => a === '--help' || a === '-h';

/** `--log-format` is read before anything else, so that even an early error is written in that format. */
function logFormatOf(argv: readonly string[]): { format: LogFormat; error: string | null } {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') break;
    let value: string | undefined;
    if (token === '--log-format') value = argv[i + 1];
    else if (token.startsWith('--log-format=')) value = token.slice('--log-format='.length);
    else continue;
    if (value !== undefined && (LOG_FORMATS as readonly string[]).includes(value))
      return { format: value as LogFormat, error: null };
    return {
      format: 'text',
      error: `--log-format must be text or json (got ${value === undefined ? 'nothing' : `"${value}"`})`,
    };
  }
  return { format: 'text', error: null };
}

/** Runs one command line; returns the exit code (the caller sets process.exitCode). Never throws. */
export async function main(
  argv: string[],
  io: Io,
  hooks: { onContext?: (cli: CliContext) => void } = {},
): Promise<number> {
  const logFormat = logFormatOf(argv);
  const reporter = new Reporter(io, { verbose: argv.includes('--verbose'), format: logFormat.format });
  // citty colours its help whenever NO_COLOR is not exactly "1": colour stays only on a terminal that allows it.
  const help = (text: string) => (reporter.stdoutColor ? text : stripAnsi(text));
  try {
    if (logFormat.error) throw new UsageError(logFormat.error);
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
        io.stderr.write(`${stripAnsi(usage)}\n${EXIT_CODES_HELP}\n`);
        return ExitCode.Usage;
      }
      io.stdout.write(`${help(usage)}\n${EXIT_CODES_HELP}\n`);
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
        if (sub === undefined) io.stderr.write(`${stripAnsi(usage)}\n`);
        else io.stdout.write(`${help(usage)}\n`);
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
    if (args.some(isHelp)) {
      io.stdout.write(`${help(await renderUsage(command.def, root))}\n`);
      return ExitCode.Ok;
    }
    assertKnownArgs(args, (command.def.args ?? {}) as ArgsDef, name);
    const parsed = parsedArgs(command.def, args);
    return await command.handler(cli, parsed);
  } catch (error) {
    const code = exitCodeFor(error);
    const raw = error instanceof Error ? error.message : String(error);
    // PGlite is one process's database: a second process cannot even open it while a sync runs, so the
    // lock file's refusal is said the same way as the run lock's.
    const message = errorCode(error) === 'DATABASE_LOCKED' ? `another sync is running (${raw})` : raw;
    const prefix = error instanceof CliError ? '' : code === ExitCode.Locked ? '' : 'error: ';
    reporter.fatal(`smartstock: ${prefix}${message}`, code);
    if (!(error instanceof CliError) && code === ExitCode.Failed && reporter.runId === undefined) {
      // An unexpected error before a run started: the cause usually says what to fix.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : null;
      if (cause && !message.includes(cause)) reporter.fatal(`  cause: ${cause}`, code);
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

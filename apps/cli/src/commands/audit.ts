import { type DataQuality, isValidDate, STALE_AFTER_SESSIONS, type TickerAudit } from '@smartstock/db';
import { auditPriceHistory, type PriceAudit } from '@smartstock/ingest-core';
import { parseTickerList, resolveDatabaseConfig, secretsOf } from '../config.js';
import { type CliContext, openDatabase } from '../context.js';
import { ConfigError, ExitCode } from '../errors.js';
import { qualityLines, renderTable } from '../output.js';

export interface AuditFlags {
  'data-dir'?: unknown;
  json?: unknown;
  tickers?: unknown;
  'history-from'?: unknown;
  'as-of'?: unknown;
}

/** Gap ranges shown per ticker in the table; the rest are counted (--json lists them all). */
const RANGES_SHOWN = 3;

function parseDay(flag: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && isValidDate(value)) return value;
  throw new ConfigError(
    `--${flag} must be a calendar date YYYY-MM-DD (got "${String(value)}"), e.g. 2021-01-04`,
  );
}

/**
 * `smartstock audit`: the stored price history against the NYSE calendar. Only reads (never creates nor
 * migrates a database). Exit 1 when a session has neither a bar nor a confirmed-empty record, for monitors.
 */
export async function auditCommand(cli: CliContext, flags: AuditFlags): Promise<number> {
  const options = {
    tickers: flags.tickers === undefined ? undefined : parseTickerList(String(flags.tickers)),
    historyStart: parseDay('history-from', flags['history-from']),
    asOf: parseDay('as-of', flags['as-of']),
  };
  cli.reporter.addSecrets(secretsOf({ databaseUrl: resolveDatabaseConfig(cli.start, flags).url }));
  const db = await openDatabase(cli, flags, { readOnly: true });
  let audit: PriceAudit;
  try {
    audit = await auditPriceHistory({ db, clock: () => new Date() }, options);
  } finally {
    await db.close();
  }
  if (audit.unknown.length > 0) {
    throw new ConfigError(
      `--tickers: ${audit.unknown.join(', ')} ${audit.unknown.length === 1 ? 'is' : 'are'} not in the tickers ` +
        'table (the universe): check the spelling, or run `smartstock tickers` first',
    );
  }
  if (flags.json === true) cli.reporter.out(JSON.stringify(audit, null, 2));
  else printAudit(cli, audit, options.tickers !== undefined);
  return audit.unexplained ? ExitCode.Failed : ExitCode.Ok;
}

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;

function rangesCell(t: TickerAudit): string {
  const shown = t.gaps
    .slice(0, RANGES_SHOWN)
    .map((g) => (g.from === g.to ? g.from : `${g.from}..${g.to} (${g.sessions})`));
  const more = t.gaps.length - shown.length;
  return [...shown, ...(more > 0 ? [`+${more} more`] : [])].join(', ') || '-';
}

/** `XIFR (was NEP until 2025-02-03)`: a renamed ticker is one company, its earlier symbols named once. */
function tickerCell(t: TickerAudit): string {
  if (!t.renamedFrom || t.renamedFrom.length === 0) return t.ticker;
  return `${t.ticker} (was ${t.renamedFrom.map((r) => `${r.symbol} until ${r.until}`).join(', ')})`;
}

function staleCell(t: TickerAudit): string {
  if (!t.stale) return '';
  return t.sessionsSinceLastBar === null
    ? 'yes (no bar)'
    : `yes (${plural(t.sessionsSinceLastBar, 'session')})`;
}

/** The tickers with something to say (all of them when the user named them), and the totals. */
function printAudit(cli: CliContext, audit: PriceAudit, everyTicker: boolean): void {
  const { totals } = audit;
  const span = audit.from
    ? `${audit.from} .. ${audit.to} (${plural(audit.sessions, 'session')})`
    : 'no session';
  cli.reporter.out(
    `Price history of ${plural(totals.tickers, 'ticker')} against the NYSE calendar, ${span}:`,
  );
  cli.reporter.out('');
  const rows = audit.tickers.filter((t) => everyTicker || t.missing > 0 || t.stale || t.confirmedEmpty > 0);
  if (rows.length > 0) {
    cli.reporter.table(
      renderTable(
        ['ticker', 'missing', 'gaps', 'confirmed empty', 'last bar', 'stale'],
        rows.map((t) => [
          tickerCell(t),
          count(t.missing),
          rangesCell(t),
          count(t.confirmedEmpty),
          t.lastBar ?? '-',
          staleCell(t),
        ]),
        [1, 3],
      ),
    );
    cli.reporter.out('');
  }
  cli.reporter.prose(
    `Total: ${count(totals.stored)} of ${count(totals.expected)} expected sessions stored, ` +
      `${count(totals.confirmedEmpty)} confirmed empty, ${count(totals.missing)} missing in ` +
      `${plural(totals.tickersWithGaps, 'ticker')}; ${plural(totals.stale, 'stale ticker')} ` +
      `(no bar for the last ${STALE_AFTER_SESSIONS} sessions or more).`,
  );
  printQuality(cli, audit.quality);
  cli.reporter.out(
    audit.unexplained
      ? `UNEXPLAINED GAPS: ${plural(totals.missing, 'session')} in ${plural(totals.tickersWithGaps, 'ticker')}`
      : 'no unexplained gap',
  );
}

/** Examples shown per check; `--json` has ten. */
const QUALITY_EXAMPLES = 3;

/** One line per check that found something (they are reported, and never change the exit code). */
function printQuality(cli: CliContext, quality: DataQuality): void {
  const found = quality.findings.filter((f) => f.count > 0);
  const span = `${quality.since} .. ${quality.asOf}`;
  if (found.length === 0) {
    cli.reporter.prose(`Data checks (bars of ${span}, DCF): nothing found.`);
    return;
  }
  cli.reporter.prose(`Data checks (bars of ${span}, DCF), reported only:`);
  for (const line of qualityLines(quality, QUALITY_EXAMPLES)) cli.reporter.out(line);
}

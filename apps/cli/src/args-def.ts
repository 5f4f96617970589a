import type { ArgsDef } from 'citty';

/** Flags every command that opens the database understands. */
export const dbArgs = {
  'data-dir': {
    type: 'string',
    description:
      'Data directory: embedded database, ticker list, failed_ingestion.log (env SMARTSTOCK_DATA_DIR)',
    valueHint: 'dir',
  },
  verbose: { type: 'boolean', description: 'Also print debug lines' },
  'log-format': {
    type: 'string',
    description:
      'text (a terminal: short lines; elsewhere: timestamped lines) or json (one object a line, every field)',
    valueHint: 'text|json',
  },
} as const satisfies ArgsDef;

/** Flags of every command that talks to FMP. */
export const fmpArgs = {
  sandbox: {
    type: 'boolean',
    description: 'Run against the built-in FMP sandbox on a loopback port (no key needed)',
  },
  rpm: {
    type: 'string',
    description: "The plan's requests per minute; 0 = no budget (env FMP_REQUESTS_PER_MINUTE, default 300)",
    valueHint: 'n',
  },
  'rate-limit-pause-ms': {
    type: 'string',
    description: 'Pause after a 429 without Retry-After (default 10000)',
    valueHint: 'ms',
  },
  'retry-base-ms': {
    type: 'string',
    description: 'Base delay of the exponential retry backoff',
    valueHint: 'ms',
  },
  'timeout-ms': { type: 'string', description: 'Timeout of one FMP request', valueHint: 'ms' },
  'budget-redis': {
    type: 'string',
    description: "Share the FMP key's budget with every process using this Redis (env FMP_BUDGET_REDIS_URL)",
    valueHint: 'redis://host:6379',
  },
  'budget-redis-timeout': {
    type: 'string',
    description:
      'How long the shared budget may be unreachable mid-run before the FMP tasks fail (default 60s)',
    valueHint: 'duration',
  },
} as const satisfies ArgsDef;

/** Flags shared by sync, tickers, prices and dcf. */
export const runArgs = {
  ...dbArgs,
  strict: { type: 'boolean', description: 'Exit 1 when a task is partial (default: only when one failed)' },
  json: {
    type: 'boolean',
    description: 'Print the run summary as one JSON document on stdout; logs on stderr',
  },
  'failure-threshold': {
    type: 'string',
    description: 'Share of tickers failed or skipped above which a task fails (default 0.05)',
    valueHint: 'fraction',
  },
  'min-tickers': {
    type: 'string',
    description: "Smallest universe accepted from a tickers source (default: the fund's floor, 1500 for IWM)",
    valueHint: 'n',
  },
  fund: {
    type: 'string',
    description:
      'The iShares fund whose holdings are the universe when no source is given: IWM (default), IWB, IWV, IJR, IJH (env SMARTSTOCK_FUND)',
    valueHint: 'ticker',
  },
  notify: {
    type: 'string',
    description:
      'Webhook to alert (Slack, Discord, or JSON to any other URL); repeatable (env SMARTSTOCK_NOTIFY_URLS, comma-separated)',
    valueHint: 'url',
  },
  'notify-on': {
    type: 'string',
    description: 'When to alert: failed (default), partial (also partial nights) or always',
    valueHint: 'failed|partial|always',
  },
  ping: {
    type: 'string',
    description:
      "Dead-man's switch: URL/start at the start, URL on success, URL/fail (env SMARTSTOCK_PING_URL)",
    valueHint: 'url',
  },
  'ping-style': {
    type: 'string',
    description: 'healthchecks (default; also Better Stack) or cronitor (/run, /complete, /fail)',
    valueHint: 'style',
  },
} as const satisfies ArgsDef;

export const windowArgs = {
  tickers: {
    type: 'string',
    description: 'Explicit list for this run only (A,B,C); the stored universe is left untouched',
    valueHint: 'A,B,C',
  },
  days: {
    type: 'string',
    description: 'The last N calendar days, New York time (default 5)',
    valueHint: 'n',
  },
  from: {
    type: 'string',
    description: 'First day of an explicit window (backfill)',
    valueHint: 'YYYY-MM-DD',
  },
  to: { type: 'string', description: 'Last day of the window (default today)', valueHint: 'YYYY-MM-DD' },
  mode: {
    type: 'string',
    description: 'per-symbol (default), bulk, or auto (bulk, falling back on a 402)',
    valueHint: 'per-symbol|bulk|auto',
  },
} as const satisfies ArgsDef;

/** How many FMP requests one night's repair may make. */
const repairMaxRequestsArg = {
  type: 'string',
  description:
    "Most FMP requests of the repair, one per ticker (env SMARTSTOCK_REPAIR_MAX_REQUESTS; default 10% of the universe's active tickers)",
  valueHint: 'n',
} as const;

/** How far back the repair backfills a ticker that joined the universe. */
const historyFromArg = {
  type: 'string',
  description:
    'Backfill a ticker that joins the universe back to this date, within the repair cap (env SMARTSTOCK_HISTORY_FROM; default 5 years before today, New York)',
  valueHint: 'YYYY-MM-DD',
} as const;

export const syncArgs = {
  ...runArgs,
  ...fmpArgs,
  ...windowArgs,
  tasks: {
    type: 'string',
    description: 'Tasks to run, in order: tickers,prices,repair,dcf,quality (or the sync_logs names)',
    valueHint: 'list',
  },
  repair: {
    type: 'boolean',
    description:
      'Repair price gaps after the prices (repair_price_gaps; on by default in a run of the default tasks, --no-repair turns it off)',
  },
  'repair-max-requests': repairMaxRequestsArg,
  'history-from': historyFromArg,
  'tickers-source': {
    type: 'string',
    description: 'iShares holdings CSV or plain list: a path or an http(s) URL',
    valueHint: 'path|url',
  },
  concurrency: { type: 'string', description: 'Parallel tickers for prices (default 50)', valueHint: 'n' },
  'dcf-concurrency': { type: 'string', description: 'Parallel tickers for DCF (default 10)', valueHint: 'n' },
} as const satisfies ArgsDef;

export const pricesArgs = {
  ...runArgs,
  ...fmpArgs,
  ...windowArgs,
  concurrency: { type: 'string', description: 'Parallel tickers (default 50)', valueHint: 'n' },
} as const satisfies ArgsDef;

/** `smartstock repair`: only repair_price_gaps, for the active universe or a few tickers. */
export const repairArgs = {
  ...runArgs,
  ...fmpArgs,
  tickers: {
    type: 'string',
    description: 'Repair only these tickers (A,B,C), inactive ones included (default: every active ticker)',
    valueHint: 'A,B,C',
  },
  'repair-max-requests': repairMaxRequestsArg,
  'history-from': historyFromArg,
  concurrency: {
    type: 'string',
    description: 'Parallel history calls (default 50, at most 10)',
    valueHint: 'n',
  },
} as const satisfies ArgsDef;

export const dcfArgs = {
  ...runArgs,
  ...fmpArgs,
  tickers: windowArgs.tickers,
  mode: windowArgs.mode,
  'dcf-concurrency': { type: 'string', description: 'Parallel tickers (default 10)', valueHint: 'n' },
} as const satisfies ArgsDef;

export const tickersArgs = {
  source: {
    type: 'positional',
    required: false,
    description:
      'iShares holdings CSV or plain list (path or URL); default data/russell_2000_list.csv or iShares',
  },
  ...runArgs,
  sandbox: fmpArgs.sandbox,
  'tickers-source': syncArgs['tickers-source'],
  out: {
    type: 'string',
    description: 'Also write the clean list (one ticker a line) to this file',
    valueHint: 'file',
  },
} as const satisfies ArgsDef;

export const statusArgs = {
  ...dbArgs,
  json: { type: 'boolean', description: 'Print an array of sync_logs rows as JSON' },
  task: {
    type: 'string',
    description: 'Only this task (tickers, prices, repair, dcf, quality or its sync_logs name)',
    valueHint: 'name',
  },
  limit: {
    type: 'string',
    description: 'The N most recent rows instead of the latest per task',
    valueHint: 'n',
  },
  check: {
    type: 'boolean',
    description: "Health check: exit 1 when a task's latest run failed or its last success is too old",
  },
  'max-age': {
    type: 'string',
    description: 'Oldest acceptable last success for --check (default 26h)',
    valueHint: 'age',
  },
  'include-adhoc': {
    type: 'boolean',
    description: 'With --check, also judge runs of a few --tickers (default: full-universe runs only)',
  },
  'strict-quality': {
    type: 'boolean',
    description:
      'With --check, exit 1 when the latest data checks (check_data_quality) found rows (default: findings alone stay healthy)',
  },
} as const satisfies ArgsDef;

export const auditArgs = {
  ...dbArgs,
  json: { type: 'boolean', description: 'Print the audit as one JSON document on stdout' },
  tickers: {
    type: 'string',
    description: 'Audit only these tickers (A,B,C), inactive ones included (default: every active ticker)',
    valueHint: 'A,B,C',
  },
  'history-from': {
    type: 'string',
    description: "Expect every session from this day (default: from each ticker's first stored bar)",
    valueHint: 'YYYY-MM-DD',
  },
  'as-of': {
    type: 'string',
    description: 'Audit up to the last session on or before this day (default: the last closed session)',
    valueHint: 'YYYY-MM-DD',
  },
} as const satisfies ArgsDef;

/** `smartstock sandbox`: the offline FMP's options (validated by the sandbox package's own parser). */
export const sandboxArgs = {
  port: {
    type: 'string',
    description: 'Port to listen on; 0 = any free port (default 8765)',
    valueHint: 'n',
  },
  tickers: { type: 'string', description: 'Universe size (default 2000)', valueHint: 'n' },
  seed: { type: 'string', description: 'Market and fault seed (default 1)', valueHint: 'n' },
  rpm: {
    type: 'string',
    description: 'Requests per rolling window; 0 = unlimited (default 0)',
    valueHint: 'n',
  },
  'rate-window-ms': {
    type: 'string',
    description: 'Length of the rolling window (default 60000)',
    valueHint: 'ms',
  },
  'latency-ms': {
    type: 'string',
    description: "Time from a request's arrival to its answer (default 0)",
    valueHint: 'ms',
  },
  plan: {
    type: 'string',
    description: 'starter, premium or ultimate (default ultimate; bulk endpoints need ultimate)',
    valueHint: 'name',
  },
  'api-key': { type: 'string', description: 'Key the API requires (default sandbox-key)', valueHint: 'key' },
  faults: {
    type: 'string',
    description: 'Fault rates, e.g. 5xx=0.05,429=0.02,timeout=0.005,reset=0.01,malformed=0.01',
    valueHint: 'spec',
  },
  now: { type: 'string', description: 'Fixed market clock (default: real time)', valueHint: 'iso' },
} as const satisfies ArgsDef;

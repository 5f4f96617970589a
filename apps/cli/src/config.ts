import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { secretsOf as connectionSecrets } from '@smartstock/common';
import {
  DEFAULT_FMP_BASE_URL,
  DEFAULT_REQUESTS_PER_MINUTE,
  FUNDS,
  type Fund,
  normalizeTicker,
  type RunMonitorSettings,
  SYNC_DEFAULTS,
  SYNC_SETTING,
  type SyncClientSettings,
  TICKER_SHAPE,
  URL_SETTING,
} from '@smartstock/ingest-core';
import { z } from 'zod';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { parseTaskList, TASK_NAMES, type TaskName } from './tasks.js';

// The FMP origin and Starter's budget are ingest-core's (shared with the Action through createSyncClient).
export { DEFAULT_FMP_BASE_URL, DEFAULT_REQUESTS_PER_MINUTE };
export const DEFAULT_FAILURE_THRESHOLD = SYNC_DEFAULTS.failureThreshold;

/** Where the command was started, its environment and the `.env` file found there. */
export interface StartContext {
  /** `INIT_CWD` when pnpm/npm moved us into the package directory, else the working directory. */
  startDir: string;
  env: Record<string, string | undefined>;
  dotenv: Record<string, string>;
  dotenvPath: string | null;
}

export interface Setting {
  value: string;
  /** How the user would name it in a message: `--rpm`, `FMP_REQUESTS_PER_MINUTE`, `FMP_API_KEY in /x/.env`. */
  origin: string;
}

/**
 * Where settings come from for one command: the environment and the `.env` of the directory the command was
 * started in (`INIT_CWD` under pnpm, else `cwd`). Throws ConfigError when that `.env` exists but cannot be read.
 */
export function loadStartContext(env: Record<string, string | undefined>, cwd: string): StartContext {
  const startDir = path.resolve(cwd, env.INIT_CWD || cwd);
  const dotenvPath = path.join(startDir, '.env');
  let dotenv: Record<string, string> = {};
  if (existsSync(dotenvPath)) {
    try {
      dotenv = parseEnv(readFileSync(dotenvPath, 'utf8')) as Record<string, string>;
    } catch (error) {
      throw new ConfigError(`${dotenvPath} could not be read: fix or remove it`, { cause: error });
    }
    return { startDir, env, dotenv, dotenvPath };
  }
  return { startDir, env, dotenv, dotenvPath: null };
}

/** Environment first, then `.env`. An empty value counts as unset (CI passes missing secrets as ''). */
export function lookupSetting(ctx: StartContext, name: string): Setting | undefined {
  const fromEnv = ctx.env[name];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { value: fromEnv.trim(), origin: name };
  const fromFile = ctx.dotenv[name];
  if (fromFile !== undefined && fromFile.trim() !== '') {
    return { value: fromFile.trim(), origin: `${name} in ${ctx.dotenvPath}` };
  }
  return undefined;
}

/** A flag value wins over the environment, which wins over `.env`. */
function pick(ctx: StartContext, flag: string, flagValue: unknown, envName?: string): Setting | undefined {
  if (typeof flagValue === 'string' && flagValue !== '')
    return { value: flagValue.trim(), origin: `--${flag}` };
  if (flagValue === '') throw new ConfigError(`--${flag} needs a value`);
  return envName ? lookupSetting(ctx, envName) : undefined;
}

function check<T>(schema: z.ZodType<T>, setting: Setting, expectation: string, secret = false): T {
  const result = schema.safeParse(setting.value);
  if (result.success) return result.data;
  const shown = secret ? '' : ` (got "${setting.value}")`;
  throw new ConfigError(`${setting.origin} must be ${expectation}${shown}`);
}

const wholeNumber = z
  .string()
  .regex(/^\d+$/)
  .transform((s) => Number(s));
const positiveInt = wholeNumber.pipe(z.number().int().min(1).max(1_000_000));
const nonNegativeInt = wholeNumber.pipe(z.number().int().min(0).max(86_400_000));
/** Text to a number, then ingest-core's rule for the setting (its limits are owned there, once). */
const decimal = z
  .string()
  .regex(/^(\d+(\.\d+)?|\.\d+)$/)
  .transform((s) => Number(s));
const runSetting = {
  days: wholeNumber.pipe(SYNC_SETTING.days),
  mode: SYNC_SETTING.mode,
  concurrency: wholeNumber.pipe(SYNC_SETTING.concurrency),
  dcfConcurrency: wholeNumber.pipe(SYNC_SETTING.dcfConcurrency),
  failureThreshold: decimal.pipe(SYNC_SETTING.failureThreshold),
  minTickers: wholeNumber.pipe(SYNC_SETTING.minTickers),
  repairMaxRequests: wholeNumber.pipe(SYNC_SETTING.repairMaxRequests),
  historyFrom: SYNC_SETTING.historyFrom,
  fund: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(SYNC_SETTING.fund),
};
const isoDate = z.iso.date().refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)));
const postgresUrl = URL_SETTING.database;
const origin = URL_SETTING.fmpBaseUrl;
const httpUrl = URL_SETTING.http;
const apiKey = z.string().regex(/^\S+$/);

/**
 * The data directory: `--data-dir`, else SMARTSTOCK_DATA_DIR, else `./data`, resolved against the start
 * directory. Throws ConfigError for an empty `--data-dir`.
 */
export function resolveDataDir(ctx: StartContext, flagValue?: unknown): string {
  const setting = pick(ctx, 'data-dir', flagValue, 'SMARTSTOCK_DATA_DIR');
  return path.resolve(ctx.startDir, setting?.value ?? 'data');
}

export interface DatabaseConfig {
  /** Undefined: the embedded database in the data directory. */
  url: string | undefined;
  dataDir: string;
}

export function resolveDatabaseConfig(ctx: StartContext, flags: { 'data-dir'?: unknown }): DatabaseConfig {
  const setting = lookupSetting(ctx, 'DATABASE_URL');
  const dataDir = resolveDataDir(ctx, flags['data-dir']);
  if (!setting) return { url: undefined, dataDir };
  const url = check(
    postgresUrl,
    setting,
    'a PostgreSQL URL such as postgresql://app@db.example.com:5432/prod (with :password after the user ' +
      'if it needs one); unset it to use the embedded database',
    true,
  );
  return { url, dataDir };
}

export interface FmpConfig {
  apiKey: string;
  baseUrl: string;
  /** 0 = no client-side budget. */
  requestsPerMinute: number;
  rateLimitPauseMs: number | undefined;
  retryBaseMs: number | undefined;
  timeoutMs: number | undefined;
  /** The shared budget's Redis (`--budget-redis`, FMP_BUDGET_REDIS_URL); undefined: this process's own. */
  budgetRedisUrl: string | undefined;
  budgetRedisTimeoutMs: number | undefined;
}

export interface FmpFlags {
  rpm?: unknown;
  'budget-redis'?: unknown;
  'budget-redis-timeout'?: unknown;
  'rate-limit-pause-ms'?: unknown;
  'retry-base-ms'?: unknown;
  'timeout-ms'?: unknown;
}

/** The FMP settings for a real run (the sandbox supplies its own key, origin and budget). */
export function resolveFmpConfig(ctx: StartContext, flags: FmpFlags): FmpConfig {
  const key = lookupSetting(ctx, 'FMP_API_KEY');
  if (!key) {
    throw new ConfigError(
      'FMP_API_KEY is not set: export FMP_API_KEY=<your key> or add it to .env (or add --sandbox to use the offline sandbox)',
    );
  }
  const baseUrlSetting = lookupSetting(ctx, 'FMP_BASE_URL');
  return {
    apiKey: check(apiKey, key, 'a single word without spaces', true),
    baseUrl: baseUrlSetting
      ? check(origin, baseUrlSetting, `an origin such as ${DEFAULT_FMP_BASE_URL} (no path)`)
      : DEFAULT_FMP_BASE_URL,
    requestsPerMinute: resolveRequestsPerMinute(ctx, flags) ?? DEFAULT_REQUESTS_PER_MINUTE,
    ...resolveClientTuning(flags),
    ...resolveSharedBudget(ctx, flags),
  };
}

/**
 * Where the universe is downloaded from when no file is given: iShares' IWM holdings CSV, unless
 * SMARTSTOCK_UNIVERSE_URL names another copy (iShares has moved the file before). Undefined: the built-in URL.
 */
export function resolveUniverseUrl(ctx: StartContext): string | undefined {
  const setting = lookupSetting(ctx, 'SMARTSTOCK_UNIVERSE_URL');
  return setting
    ? check(httpUrl, setting, "an http(s) URL of an iShares holdings CSV; unset it for iShares' own")
    : undefined;
}

export interface MonitorFlags {
  notify?: unknown;
  'notify-on'?: unknown;
  ping?: unknown;
  'ping-style'?: unknown;
}

/**
 * Alerts and pings (`--notify`, `--notify-on`, `--ping`, `--ping-style`; env SMARTSTOCK_NOTIFY_URLS,
 * SMARTSTOCK_PING_URL), checked here and handed to ingest-core's createRunMonitor, as the Action does.
 * Webhook URLs carry their secret in the path: an invalid one is named by its setting, never shown.
 */
export function resolveMonitorSettings(ctx: StartContext, flags: MonitorFlags): RunMonitorSettings {
  const fromFlags = (Array.isArray(flags.notify) ? flags.notify : [flags.notify]).filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  const notify: Setting | undefined = fromFlags.length
    ? { value: fromFlags.join(','), origin: '--notify' }
    : lookupSetting(ctx, 'SMARTSTOCK_NOTIFY_URLS');
  const notifyUrls = notify
    ? notify.value
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean)
        .map((url) =>
          check(
            httpUrl,
            { value: url, origin: notify.origin },
            'http(s) webhook URLs, comma-separated',
            true,
          ),
        )
    : [];
  const on = pick(ctx, 'notify-on', flags['notify-on']);
  const ping = pick(ctx, 'ping', flags.ping, 'SMARTSTOCK_PING_URL');
  const style = pick(ctx, 'ping-style', flags['ping-style']);
  return {
    notifyUrls,
    ...(on
      ? { notifyOn: check(z.enum(['failed', 'partial', 'always']), on, 'failed, partial or always') }
      : {}),
    ...(ping ? { pingUrl: check(httpUrl, ping, 'an http(s) check URL', true) } : {}),
    ...(style
      ? { pingStyle: check(z.enum(['healthchecks', 'cronitor']), style, 'healthchecks or cronitor') }
      : {}),
  };
}

export function resolveRequestsPerMinute(ctx: StartContext, flags: FmpFlags): number | undefined {
  const setting = pick(ctx, 'rpm', flags.rpm, 'FMP_REQUESTS_PER_MINUTE');
  return setting
    ? check(nonNegativeInt, setting, 'a whole number of requests per minute (0 = no budget)')
    : undefined;
}

const redisUrl = URL_SETTING.redis;

/**
 * The shared budget (`--budget-redis URL` or FMP_BUDGET_REDIS_URL, `--budget-redis-timeout 60s`). The URL
 * may hold Redis's password: an invalid one is named by its setting, never shown.
 */
export function resolveSharedBudget(
  ctx: StartContext,
  flags: FmpFlags,
): Pick<FmpConfig, 'budgetRedisUrl' | 'budgetRedisTimeoutMs'> {
  const url = pick(ctx, 'budget-redis', flags['budget-redis'], 'FMP_BUDGET_REDIS_URL');
  const timeout = pick(ctx, 'budget-redis-timeout', flags['budget-redis-timeout']);
  if (timeout && !url)
    throw new ConfigError('--budget-redis-timeout needs --budget-redis (or FMP_BUDGET_REDIS_URL)');
  return {
    budgetRedisUrl: url
      ? check(redisUrl, url, 'a redis:// or rediss:// URL such as redis://127.0.0.1:6379', true)
      : undefined,
    budgetRedisTimeoutMs: timeout ? parseDuration(timeout.value, timeout.origin, 's') : undefined,
  };
}

export function resolveClientTuning(
  flags: FmpFlags,
): Pick<FmpConfig, 'rateLimitPauseMs' | 'retryBaseMs' | 'timeoutMs'> {
  const ms = (flag: 'rate-limit-pause-ms' | 'retry-base-ms' | 'timeout-ms', min: 0 | 1) => {
    const value = flags[flag];
    if (value === undefined) return undefined;
    const setting = { value: String(value), origin: `--${flag}` };
    return check(min === 0 ? nonNegativeInt : positiveInt, setting, 'a whole number of milliseconds');
  };
  return {
    rateLimitPauseMs: ms('rate-limit-pause-ms', 0),
    retryBaseMs: ms('retry-base-ms', 0),
    timeoutMs: ms('timeout-ms', 1),
  };
}

export interface RunFlags {
  tasks?: unknown;
  'tickers-source'?: unknown;
  tickers?: unknown;
  days?: unknown;
  from?: unknown;
  to?: unknown;
  mode?: unknown;
  concurrency?: unknown;
  'dcf-concurrency'?: unknown;
  'failure-threshold'?: unknown;
  'min-tickers'?: unknown;
  fund?: unknown;
  repair?: unknown;
  'repair-max-requests'?: unknown;
  'history-from'?: unknown;
}

/** What the CLI passes to ingest-core's runDailySync (its SyncOptions, minus runId and secrets). */
export interface RunSettings {
  tasks: TaskName[];
  tickersSource?: string;
  /** How the user gave the source (`--tickers-source`, the SOURCE argument), for messages. */
  tickersSourceOrigin?: string;
  tickers?: string[];
  days?: number;
  from?: string;
  to?: string;
  mode?: 'per-symbol' | 'bulk' | 'auto';
  concurrency?: number;
  dcfConcurrency?: number;
  failureThreshold: number;
  minTickers?: number;
  fund?: Fund;
  /** `--repair` / `--no-repair`: add the repair to the tasks, or leave it out of the default ones. */
  repair?: boolean;
  repairMaxRequests?: number;
  /** `--history-from` / SMARTSTOCK_HISTORY_FROM: how far back the repair backfills a new member. */
  historyFrom?: string;
}

/**
 * A run's settings from its flags, the environment and `.env` (flags win), checked with ingest-core's schemas.
 * Throws ConfigError naming the flag or variable at fault (bad numbers, `--days` with `--from`, `--to` without
 * `--from`, a window that ends before it starts).
 */
export function resolveRunSettings(
  ctx: StartContext,
  flags: RunFlags,
  defaultTasks: TaskName[],
): RunSettings {
  const str = (name: keyof RunFlags) => pick(ctx, name, flags[name]);
  const settings: RunSettings = {
    tasks: typeof flags.tasks === 'string' ? parseTaskList(flags.tasks) : defaultTasks,
    failureThreshold: DEFAULT_FAILURE_THRESHOLD,
  };
  const source = str('tickers-source');
  if (source) {
    settings.tickersSourceOrigin = source.origin;
    // A relative path means relative to where the command was started, like --data-dir.
    settings.tickersSource = /^https?:\/\//i.test(source.value)
      ? source.value
      : path.resolve(ctx.startDir, source.value);
  }
  const tickers = str('tickers');
  if (tickers) {
    settings.tickers = parseTickerList(tickers.value);
  }
  const days = str('days');
  const from = str('from');
  const to = str('to');
  if (days && (from || to)) throw new ConfigError('use either --days or --from/--to, not both');
  if (days) settings.days = check(runSetting.days, days, 'a whole number of calendar days, e.g. --days 5');
  if (to && !from) throw new ConfigError('--to needs --from (e.g. --from 2024-01-01 --to 2024-12-31)');
  if (from) settings.from = check(isoDate, from, 'a date in YYYY-MM-DD form');
  if (to) settings.to = check(isoDate, to, 'a date in YYYY-MM-DD form');
  if (settings.from && settings.to && settings.from > settings.to) {
    throw new ConfigError(`--from (${settings.from}) is after --to (${settings.to})`);
  }
  const mode = str('mode');
  if (mode) settings.mode = check(runSetting.mode, mode, 'one of per-symbol, bulk, auto');
  const concurrency = str('concurrency');
  if (concurrency)
    settings.concurrency = check(runSetting.concurrency, concurrency, 'a whole number from 1 to 1000');
  const dcfConcurrency = str('dcf-concurrency');
  if (dcfConcurrency) {
    settings.dcfConcurrency = check(
      runSetting.dcfConcurrency,
      dcfConcurrency,
      'a whole number from 1 to 1000',
    );
  }
  const threshold = str('failure-threshold');
  if (threshold) {
    settings.failureThreshold = check(
      runSetting.failureThreshold,
      threshold,
      'a fraction between 0 and 1, e.g. 0.05 for 5%',
    );
  }
  const minTickers = str('min-tickers');
  if (minTickers) settings.minTickers = check(runSetting.minTickers, minTickers, 'a positive whole number');
  const fund = pick(ctx, 'fund', flags.fund, 'SMARTSTOCK_FUND');
  if (fund) settings.fund = check(runSetting.fund, fund, `one of ${FUNDS.join(', ')}`);
  if (typeof flags.repair === 'boolean') settings.repair = flags.repair;
  // As ingest-core's planSync: the default tasks of a backfill (--from) leave the repair out unless --repair.
  const backfillByDefault = typeof flags.tasks !== 'string' && settings.from !== undefined;
  if (settings.repair === false || (backfillByDefault && settings.repair !== true)) {
    settings.tasks = settings.tasks.filter((t) => t !== 'repair_price_gaps');
  }
  if (settings.repair === true && !settings.tasks.includes('repair_price_gaps')) {
    settings.tasks = TASK_NAMES.filter((t) => t === 'repair_price_gaps' || settings.tasks.includes(t));
  }
  const repairMax = pick(
    ctx,
    'repair-max-requests',
    flags['repair-max-requests'],
    'SMARTSTOCK_REPAIR_MAX_REQUESTS',
  );
  if (repairMax) {
    settings.repairMaxRequests = check(
      runSetting.repairMaxRequests,
      repairMax,
      'a whole number of requests >= 1, e.g. 200',
    );
  }
  const historyFrom = pick(ctx, 'history-from', flags['history-from'], 'SMARTSTOCK_HISTORY_FROM');
  if (historyFrom) {
    settings.historyFrom = check(
      runSetting.historyFrom,
      historyFrom,
      'a date in YYYY-MM-DD form, e.g. 2021-01-04',
    );
  }
  return settings;
}

/**
 * `--tickers AAPL,mog.a`: normalised (MOG-A), without duplicates; every command that takes a ticker list reads
 * it with this one rule.
 */
export function parseTickerList(text: string): string[] {
  const list = [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .map((t) => normalizeTicker(t)),
    ),
  ];
  const bad = list.find((t) => !TICKER_SHAPE.test(t));
  if (list.length === 0 || bad !== undefined) {
    throw new ConfigError(
      `--tickers must be a comma-separated list of symbols such as AAPL,MOG-A${bad ? ` (got "${bad}")` : ''}`,
    );
  }
  return list;
}

/**
 * The values no output may ever show: the FMP key and the passwords of the database's and Redis's URLs (the
 * one rule of @smartstock/common, shared with the Action).
 */
export function secretsOf(values: {
  apiKey?: string | undefined;
  databaseUrl?: string | undefined;
  budgetRedisUrl?: string | undefined;
}): string[] {
  return connectionSecrets({ secrets: [values.apiKey], urls: [values.databaseUrl, values.budgetRedisUrl] });
}

/**
 * The FMP client's settings from the CLI's: ingest-core's createSyncClient turns them into the client, as it
 * does for the Action, so both build the same client from the same settings.
 */
export function clientSettingsOf(
  fmp: FmpConfig,
  run: Pick<RunSettings, 'concurrency' | 'dcfConcurrency'>,
): SyncClientSettings {
  return {
    apiKey: fmp.apiKey,
    baseUrl: fmp.baseUrl,
    requestsPerMinute: fmp.requestsPerMinute,
    ...(run.concurrency !== undefined ? { concurrency: run.concurrency } : {}),
    ...(run.dcfConcurrency !== undefined ? { dcfConcurrency: run.dcfConcurrency } : {}),
    ...(fmp.retryBaseMs !== undefined ? { retryBaseMs: fmp.retryBaseMs } : {}),
    ...(fmp.rateLimitPauseMs !== undefined ? { rateLimitPauseMs: fmp.rateLimitPauseMs } : {}),
    ...(fmp.timeoutMs !== undefined ? { timeoutMs: fmp.timeoutMs } : {}),
    ...(fmp.budgetRedisUrl !== undefined ? { budgetRedisUrl: fmp.budgetRedisUrl } : {}),
    ...(fmp.budgetRedisTimeoutMs !== undefined ? { budgetRedisTimeoutMs: fmp.budgetRedisTimeoutMs } : {}),
  };
}

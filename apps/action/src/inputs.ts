import path from 'node:path';
import { secretsOf } from '@smartstock/common';
import {
  DEFAULT_FMP_BASE_URL,
  DEFAULT_REQUESTS_PER_MINUTE,
  type Fund,
  type RunMonitorSettings,
  resolveTaskName,
  SYNC_DEFAULTS,
  SYNC_SETTING,
  type SyncClientSettings,
  type SyncOptions,
  TASK_NAMES,
  type TaskName,
  URL_SETTING,
} from '@smartstock/ingest-core';
import { z } from 'zod';

/** The Action's settings after validation (GitHub does not enforce `required`, so this does). */
export interface ActionInputs {
  fmpApiKey: string;
  databaseUrl: string;
  tasks: TaskName[];
  days: number | undefined;
  tickersSource: string | undefined;
  mode: 'per-symbol' | 'bulk' | 'auto' | undefined;
  concurrency: number | undefined;
  requestsPerMinute: number;
  failureThreshold: number;
  minTickers: number | undefined;
  /** The iShares fund whose holdings are the universe when no tickers-source is given. */
  fund: Fund | undefined;
  /** Most FMP requests of the repair (repair_price_gaps); undefined: 10% of the active tickers. */
  repairMaxRequests: number | undefined;
  /** How far back the repair backfills a ticker that joins the universe; undefined: 5 years back. */
  historyFrom: string | undefined;
  strict: boolean;
  fmpBaseUrl: string;
  dataDir: string;
  /** Alerts and the dead-man's switch, handed to ingest-core's createRunMonitor as the CLI does. */
  monitor: RunMonitorSettings;
  /** The shared FMP budget's Redis; undefined: this run's own budget. */
  budgetRedisUrl: string | undefined;
  budgetRedisTimeoutMs: number;
}

export class InputError extends Error {
  readonly code = 'INVALID_INPUT';
  override readonly name = 'InputError';
}

const optional = (s: z.ZodType) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
const wholeText = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);
const whole = (min: number) => wholeText.pipe(z.number().int().min(min, `must be at least ${min}`));

const schema = z.object({
  'fmp-api-key': z
    .string()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, shown to the user
    .min(1, 'is required: pass it from a secret, e.g. fmp-api-key: ${{ secrets.FMP_API_KEY }}')
    .regex(/^\S+$/, 'must be one word without spaces'),
  'database-url': z
    .string()
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, shown to the user
    .min(1, 'is required: pass it from a secret, e.g. database-url: ${{ secrets.DATABASE_URL }}')
    .pipe(URL_SETTING.database),
  tasks: z.string().transform((value, ctx) => {
    const names = value
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const out = new Set<TaskName>();
    for (const name of names) {
      const task = resolveTaskName(name);
      if (!task) {
        ctx.addIssue({
          code: 'custom',
          message: `has an unknown task "${name}"; use tickers, prices, repair, dcf, quality`,
        });
        return z.NEVER;
      }
      out.add(task);
    }
    if (out.size === 0) {
      ctx.addIssue({ code: 'custom', message: 'names no task; use tickers, prices, repair, dcf, quality' });
      return z.NEVER;
    }
    return TASK_NAMES.filter((t) => out.has(t));
  }),
  // The run's settings: text to numbers here, then ingest-core's rule for each (the CLI pipes into the same).
  days: optional(wholeText.pipe(SYNC_SETTING.days)),
  'tickers-source': optional(z.string()),
  mode: optional(SYNC_SETTING.mode),
  concurrency: optional(wholeText.pipe(SYNC_SETTING.concurrency)),
  'requests-per-minute': whole(0),
  'failure-threshold': z
    .string()
    .regex(/^(\d+(\.\d+)?|\.\d+)$/, 'must be a fraction between 0 and 1, e.g. 0.05')
    .transform(Number)
    .pipe(SYNC_SETTING.failureThreshold),
  'min-tickers': optional(wholeText.pipe(SYNC_SETTING.minTickers)),
  fund: optional(
    z
      .string()
      .transform((s) => s.toUpperCase())
      .pipe(SYNC_SETTING.fund),
  ),
  strict: z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], { error: 'must be true or false' }),
  repair: z.enum(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'], { error: 'must be true or false' }),
  'repair-max-requests': optional(wholeText.pipe(SYNC_SETTING.repairMaxRequests)),
  'history-from': optional(SYNC_SETTING.historyFrom),
  'fmp-base-url': URL_SETTING.fmpBaseUrl,
  'data-dir': z.string().min(1),
  'notify-urls': z.string().transform((value, ctx) => {
    const urls = value
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    for (const url of urls) {
      if (!URL_SETTING.http.safeParse(url).success) {
        ctx.addIssue({ code: 'custom', message: 'must be http(s) webhook URLs, comma-separated' });
        return z.NEVER;
      }
    }
    return urls;
  }),
  'notify-on': z.enum(['failed', 'partial', 'always'], { error: 'must be failed, partial or always' }),
  'ping-url': optional(URL_SETTING.http),
  'ping-style': z.enum(['healthchecks', 'cronitor'], { error: 'must be healthchecks or cronitor' }),
  'budget-redis-url': optional(URL_SETTING.redis),
  'budget-redis-timeout': whole(1),
});

export const INPUT_DEFAULTS: Record<string, string> = {
  tasks: 'tickers,prices,dcf,quality',
  'requests-per-minute': String(DEFAULT_REQUESTS_PER_MINUTE),
  'failure-threshold': String(SYNC_DEFAULTS.failureThreshold),
  strict: 'false',
  repair: 'true',
  'fmp-base-url': DEFAULT_FMP_BASE_URL,
  'data-dir': 'data',
  'notify-on': 'failed',
  'ping-style': 'healthchecks',
  'budget-redis-timeout': '60',
};

/** Secret inputs are never echoed in a message, even when malformed (a webhook's path is its secret). */
const SECRET_INPUTS = new Set(['fmp-api-key', 'database-url', 'notify-urls', 'ping-url', 'budget-redis-url']);

/**
 * Validates the raw inputs (as `core.getInput` returns them: trimmed, '' when absent). Defaults are applied
 * here too, because a workflow can pass '' explicitly and `action.yml` defaults only cover absent inputs.
 */
export function parseInputs(raw: Record<string, string>, workspace: string): ActionInputs {
  const withDefaults: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = raw[key] ?? '';
    withDefaults[key] = value === '' && key in INPUT_DEFAULTS ? INPUT_DEFAULTS[key]! : value;
  }
  const result = schema.safeParse(withDefaults);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0]);
    const got = SECRET_INPUTS.has(name) || withDefaults[name] === '' ? '' : ` (got "${withDefaults[name]}")`;
    throw new InputError(`input ${name} ${issue.message}${got}`);
  }
  const v = result.data;
  const source = v['tickers-source'] as string | undefined;
  return {
    fmpApiKey: v['fmp-api-key'],
    databaseUrl: v['database-url'],
    tasks: withRepair(v.tasks, /^true$/i.test(v.repair)),
    days: v.days as number | undefined,
    tickersSource: source && !/^https?:\/\//i.test(source) ? path.resolve(workspace, source) : source,
    mode: v.mode as ActionInputs['mode'],
    concurrency: v.concurrency as number | undefined,
    requestsPerMinute: v['requests-per-minute'],
    failureThreshold: v['failure-threshold'],
    minTickers: v['min-tickers'] as number | undefined,
    fund: v.fund as Fund | undefined,
    repairMaxRequests: v['repair-max-requests'] as number | undefined,
    historyFrom: v['history-from'] as string | undefined,
    strict: /^true$/i.test(v.strict),
    fmpBaseUrl: v['fmp-base-url'],
    dataDir: path.resolve(workspace, v['data-dir']),
    monitor: {
      notifyUrls: v['notify-urls'],
      notifyOn: v['notify-on'],
      ...(v['ping-url'] ? { pingUrl: v['ping-url'] as string } : {}),
      pingStyle: v['ping-style'],
    },
    budgetRedisUrl: v['budget-redis-url'] as string | undefined,
    budgetRedisTimeoutMs: v['budget-redis-timeout'] * 1000,
  };
}

export const INPUT_NAMES = Object.keys(schema.shape);

/**
 * The `repair` input: true (the default) runs the repair right after the prices whenever the prices task
 * runs (the nightly run); false leaves it out, even when `tasks` names it.
 */
function withRepair(tasks: TaskName[], repair: boolean): TaskName[] {
  const add = repair && tasks.includes('ingest_market_data');
  return TASK_NAMES.filter((t) =>
    t === 'repair_price_gaps' ? repair && (add || tasks.includes(t)) : tasks.includes(t),
  );
}

/**
 * The values to hide: the FMP key and the passwords of the database's and Redis's URLs (the one rule of
 * @smartstock/common, shared with the CLI, so a message can still say which database it means).
 */
export function secretValues(raw: {
  apiKey: string;
  databaseUrl: string;
  budgetRedisUrl?: string;
}): string[] {
  return secretsOf({ secrets: [raw.apiKey], urls: [raw.databaseUrl, raw.budgetRedisUrl] });
}

/** The FMP client's settings from the inputs: ingest-core's createSyncClient turns them into the client. */
export function clientSettingsOf(inputs: ActionInputs): SyncClientSettings {
  return {
    apiKey: inputs.fmpApiKey,
    baseUrl: inputs.fmpBaseUrl,
    requestsPerMinute: inputs.requestsPerMinute,
    ...(inputs.concurrency !== undefined ? { concurrency: inputs.concurrency } : {}),
    ...(inputs.budgetRedisUrl !== undefined
      ? { budgetRedisUrl: inputs.budgetRedisUrl, budgetRedisTimeoutMs: inputs.budgetRedisTimeoutMs }
      : {}),
  };
}

/** The run's options from the inputs, as runDailySync takes them (the CLI's runOptionsOf builds the same). */
export function runOptionsOf(
  inputs: ActionInputs,
): Pick<
  SyncOptions,
  | 'tasks'
  | 'failureThreshold'
  | 'days'
  | 'tickersSource'
  | 'mode'
  | 'concurrency'
  | 'minTickers'
  | 'fund'
  | 'repairMaxRequests'
  | 'historyFrom'
> {
  return {
    tasks: inputs.tasks,
    failureThreshold: inputs.failureThreshold,
    ...(inputs.days !== undefined ? { days: inputs.days } : {}),
    ...(inputs.tickersSource !== undefined ? { tickersSource: inputs.tickersSource } : {}),
    ...(inputs.mode !== undefined ? { mode: inputs.mode } : {}),
    ...(inputs.concurrency !== undefined ? { concurrency: inputs.concurrency } : {}),
    ...(inputs.minTickers !== undefined ? { minTickers: inputs.minTickers } : {}),
    ...(inputs.fund !== undefined ? { fund: inputs.fund } : {}),
    ...(inputs.repairMaxRequests !== undefined ? { repairMaxRequests: inputs.repairMaxRequests } : {}),
    ...(inputs.historyFrom !== undefined ? { historyFrom: inputs.historyFrom } : {}),
  };
}

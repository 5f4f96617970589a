import { z } from 'zod';
import { isValidIsoDate } from './calendar.js';
import { FUNDS, type Fund, ISHARES_FUNDS } from './universe/funds.js';

/**
 * The sync's run settings, owned here once: their limits, their defaults and the words that explain them.
 * `runDailySync` checks its options with this schema, and the CLI (flags, environment, `.env`) and the Action
 * (inputs) parse their text into numbers and then through the same field schemas, so a limit or a default
 * cannot differ between them. What depends on the day (a window in the future) is checked by `planSync`.
 */

/** The prices task's strategies: one call per ticker, one bulk call per day, or bulk when it is cheaper. */
export const PRICES_MODES = ['per-symbol', 'bulk', 'auto'] as const;
/** One of PRICES_MODES (default `per-symbol`). */
export type PricesMode = (typeof PRICES_MODES)[number];

/** What a run does when nobody says otherwise (the CLI's and the Action's documented defaults). */
export const DEFAULTS = Object.freeze({
  days: 5,
  mode: 'per-symbol' as PricesMode,
  concurrency: 50,
  dcfConcurrency: 10,
  failureThreshold: 0.05,
  fund: 'IWM' as Fund,
  /** The default fund's floor; another fund's is ISHARES_FUNDS[fund].minTickers (`minTickersOf`). */
  minTickers: ISHARES_FUNDS.IWM.minTickers,
  /** Years of history a new member is backfilled to when `historyFrom` is not set (FMP Starter's depth). */
  historyYears: 5,
});

/**
 * The default `historyFrom` of a run on New York date `runDate`: DEFAULTS.historyYears years before it, the
 * same month and day (28 February for a 29th in a year without one).
 */
export function defaultHistoryFrom(runDate: string, years: number = DEFAULTS.historyYears): string {
  const year = String(Number(runDate.slice(0, 4)) - years).padStart(4, '0');
  const candidate = `${year}${runDate.slice(4)}`;
  return isValidIsoDate(candidate) ? candidate : `${year}-02-28`;
}

/** The fewest tickers a universe may have: the explicit setting, else the fund's own floor. */
export function minTickersOf(settings: { fund?: Fund | undefined; minTickers?: number | undefined }): number {
  return settings.minTickers ?? ISHARES_FUNDS[settings.fund ?? DEFAULTS.fund].minTickers;
}

/** Earliest date a window may reach (FMP's history starts in the 1980s; older is a typo). */
export const EARLIEST_DATE = '1970-01-01';

const whole = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number >= ${min}` })
    .int(`must be a whole number >= ${min}`)
    .min(min, `must be a whole number >= ${min}`)
    .max(max, `must be a whole number <= ${max}`);

const isoDate = z
  .string({ error: 'must be a date in YYYY-MM-DD form' })
  .refine(isValidIsoDate, 'must be a date in YYYY-MM-DD form')
  .refine((d) => d >= EARLIEST_DATE, `must not be earlier than ${EARLIEST_DATE}`);

/**
 * One schema per setting. Exported so that an app can pipe its own text parsing into them (`--concurrency 0`
 * and `concurrency: '0'` are refused by the same rule) and name the setting its own way in the message.
 */
export const SYNC_SETTING = {
  /** Task names or aliases; planSync resolves them and names an unknown one. */
  tasks: z.array(z.string()),
  tickers: z.array(z.string()),
  /** Calendar days back from today (New York), at least 1; the upper bound depends on today (planSync). */
  days: whole(1, 1_000_000),
  from: isoDate,
  to: isoDate,
  mode: z.enum(PRICES_MODES, { error: `must be one of ${PRICES_MODES.join(', ')}` }),
  /** Price workers; the FMP client keeps as many calls in flight as the busier task needs. */
  concurrency: whole(1, 1000),
  dcfConcurrency: whole(1, 1000),
  /** The fraction of tickers that may fail before a task is `failed` rather than `partial`. */
  failureThreshold: z
    .number({ error: 'must be a fraction between 0 and 1' })
    .min(0, 'must be a fraction between 0 and 1')
    .max(1, 'must be a fraction between 0 and 1'),
  /** The fewest tickers a universe may have before it is refused as truncated (default: the fund's floor). */
  minTickers: whole(1, 1_000_000),
  /** The iShares fund whose holdings are the universe when no source is given (IWM, IWB, IWV, IJR, IJH). */
  fund: z.enum(FUNDS, { error: `must be one of ${FUNDS.join(', ')}` }),
  /**
   * Run `repair_price_gaps` (default: in a run with the default tasks; false leaves it out, true adds it to
   * an explicit task list).
   */
  repair: z.boolean({ error: 'must be true or false' }),
  /** Most FMP requests of one night's repair (default 10% of the active tickers, at least 1). */
  repairMaxRequests: whole(1, 1_000_000),
  /**
   * How far back a ticker that joins the universe is backfilled by the repair (default DEFAULTS.historyYears
   * years before the run's New York date).
   */
  historyFrom: isoDate,
} as const;

/** The run settings `runDailySync` takes, every one optional (the defaults above fill in). */
export const syncRunSettingsSchema = z.object({
  tasks: SYNC_SETTING.tasks.optional(),
  tickers: SYNC_SETTING.tickers.optional(),
  days: SYNC_SETTING.days.optional(),
  from: SYNC_SETTING.from.optional(),
  to: SYNC_SETTING.to.optional(),
  mode: SYNC_SETTING.mode.optional(),
  concurrency: SYNC_SETTING.concurrency.optional(),
  dcfConcurrency: SYNC_SETTING.dcfConcurrency.optional(),
  failureThreshold: SYNC_SETTING.failureThreshold.optional(),
  minTickers: SYNC_SETTING.minTickers.optional(),
  fund: SYNC_SETTING.fund.optional(),
  repair: SYNC_SETTING.repair.optional(),
  repairMaxRequests: SYNC_SETTING.repairMaxRequests.optional(),
  historyFrom: SYNC_SETTING.historyFrom.optional(),
});

/**
 * A run's settings as the CLI and the Action accept them (the input of `syncRunSettingsSchema`); unset ones take
 * SYNC_DEFAULTS.
 */
export type SyncRunSettings = z.input<typeof syncRunSettingsSchema>;

/**
 * The first problem of a settings object, as `invalid <name> <value>: <expectation>`; null when they are
 * valid. Unknown keys are ignored (the options also carry a run id, secrets and the like).
 */
export function settingsProblem(settings: Record<string, unknown>): string | null {
  const result = syncRunSettingsSchema.safeParse(settings);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  const name = String(issue.path[0]);
  const value = settings[name];
  const shown = typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? '' : String(value);
  return `invalid ${name}${shown ? ` ${shown}` : ''}: ${issue.message}`;
}

import type { Logger } from '@smartstock/common';
import { createFmpClient, type FmpClient, type FmpClientOptions } from '@smartstock/fmp-client';
import { z } from 'zod';
import { DEFAULTS, SYNC_SETTING } from './settings.js';

/** FMP's origin: the client adds `/stable/...`. */
export const DEFAULT_FMP_BASE_URL = 'https://financialmodelingprep.com';
/** Starter's budget: the safe default; a bigger plan raises it. */
export const DEFAULT_REQUESTS_PER_MINUTE = 300;

const wholeAtLeast = (min: number) => z.number().int().min(min);

/** An http(s) origin without path, query or fragment (the client appends `/stable/...`). */
const origin = z.string().refine((s) => {
  if (!URL.canParse(s)) return false;
  const u = new URL(s);
  return /^https?:$/.test(u.protocol) && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash;
}, `must be an origin such as ${DEFAULT_FMP_BASE_URL} (no path)`);

/**
 * The FMP side of a sync's settings, as the CLI (flags, environment, `.env`) and the Action (inputs) take them
 * from the user, once parsed into numbers. One schema, so their defaults and limits cannot drift apart.
 */
export const syncClientSettingsSchema = z.object({
  apiKey: z.string().regex(/^\S+$/, 'must be one word without spaces'),
  baseUrl: origin.default(DEFAULT_FMP_BASE_URL),
  /** Request starts allowed per rolling minute; 0 = no client-side budget. */
  requestsPerMinute: wholeAtLeast(0).default(DEFAULT_REQUESTS_PER_MINUTE),
  /** Price workers of the sync (the client keeps as many calls in flight as the busier task needs). */
  concurrency: SYNC_SETTING.concurrency.default(DEFAULTS.concurrency),
  dcfConcurrency: SYNC_SETTING.dcfConcurrency.default(DEFAULTS.dcfConcurrency),
  /**
   * Share the key's budget with every process given the same Redis (`redis://` or `rediss://`); unset: this
   * process's budget alone, exactly as before.
   */
  budgetRedisUrl: z
    .string()
    .refine((s) => URL.canParse(s) && /^rediss?:$/.test(new URL(s).protocol), 'must be a redis:// URL')
    .optional(),
  /** How long the shared budget's Redis may stay away mid-run before the FMP tasks fail (default 60 s). */
  budgetRedisTimeoutMs: wholeAtLeast(1).optional(),
  retryBaseMs: wholeAtLeast(0).optional(),
  rateLimitPauseMs: wholeAtLeast(0).optional(),
  timeoutMs: wholeAtLeast(1).optional(),
});

/** What a caller passes (defaults filled in by the schema). */
export type SyncClientSettings = z.input<typeof syncClientSettingsSchema>;

/**
 * The FmpClient options a sync uses: the one place that turns settings into a client, for the CLI, the Action
 * and any service, so a default (say, calls in flight) is the same everywhere. Throws a ZodError naming the
 * setting when one is out of range.
 */
export function syncClientOptions(settings: SyncClientSettings): Omit<FmpClientOptions, 'logger'> {
  const s = syncClientSettingsSchema.parse(settings);
  return {
    apiKey: s.apiKey,
    baseUrl: s.baseUrl,
    rateLimit: s.requestsPerMinute > 0 ? { requests: s.requestsPerMinute } : null,
    // Both tasks' workers share the client: it must let the busier one keep all of its calls in flight.
    maxConcurrent: Math.max(s.concurrency, s.dcfConcurrency),
    retry: {
      ...(s.retryBaseMs !== undefined ? { baseMs: s.retryBaseMs } : {}),
      ...(s.rateLimitPauseMs !== undefined ? { rateLimitPauseMs: s.rateLimitPauseMs } : {}),
    },
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    ...(s.budgetRedisUrl !== undefined
      ? {
          budget: {
            redisUrl: s.budgetRedisUrl,
            ...(s.budgetRedisTimeoutMs !== undefined ? { unavailableTimeoutMs: s.budgetRedisTimeoutMs } : {}),
          },
        }
      : {}),
  };
}

/** The FMP client of a sync, built from its settings (see syncClientOptions). */
export function createSyncClient(settings: SyncClientSettings, options: { logger?: Logger } = {}): FmpClient {
  return createFmpClient({
    ...syncClientOptions(settings),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

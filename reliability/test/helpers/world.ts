import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Sandbox, type SandboxOptions, startSandbox } from '@smartstock/fmp-sandbox';
import { addDays, sessionsBetween } from '@smartstock/ingest-core';
import type { Target } from './backends.js';

/** A key nobody could mistake for anything else: any appearance of it in output is a leak. */
export function distinctiveKey(tag: string): string {
  return `${tag}-${randomBytes(12).toString('hex')}`;
}

/**
 * The instant the whole suite lives at: Monday 2026-06-01, 18:00 New York. The sandbox's market clock is
 * pinned to it (DCF dates, closed sessions), and every window below ends before it, so no case depends on the
 * day the suite runs (the CLI's own clock only has to be later, which any real or shifted clock is).
 */
export const WORLD_NOW = new Date('2026-06-01T22:00:00Z');
/**
 * The last day of every window: Sunday 2026-05-17. A window ending on a weekend is the harder case for resume
 * (its completion record ends at Friday's session, before the window's end date).
 */
export const WINDOW_END = '2026-05-17';

/** A loopback sandbox of 150 tickers on the pinned clock. */
export function startWorld(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({
    tickers: 150,
    seed: 20_260_505,
    apiKey: distinctiveKey('reliability-key'),
    now: WORLD_NOW,
    ...options,
  });
}

export interface Window {
  from: string;
  to: string;
  sessions: string[];
}

/** A fixed past window of `calendarDays` ending on WINDOW_END (7 days: Monday 11 to Sunday 17 May, 5 sessions). */
export function pastWindow(calendarDays = 7): Window {
  const to = WINDOW_END;
  const from = addDays(to, -(calendarDays - 1));
  return { from, to, sessions: sessionsBetween(from, to) };
}

/**
 * Client tuning: millisecond backoff and 429 pauses, no client-side budget. The request deadline stays the
 * CLI's own: on a busy machine an embedded run's answers can wait seconds behind a batch write, and a run that
 * must succeed may not fail on a clock. Runs that inject hanging requests add HANG_DEADLINE.
 */
export const FAST_CLIENT = ['--rpm', '0', '--retry-base-ms', '1', '--rate-limit-pause-ms', '5'];

/** A short deadline for runs with the `timeout` fault (a hung request), so they do not wait out the default. */
export const HANG_DEADLINE = ['--timeout-ms', '300'];

/** `smartstock sync` over the sandbox's holdings file and a fixed window, printing the JSON summary. */
export function syncArgs(sandbox: Sandbox, target: Target, window: Window, extra: string[] = []): string[] {
  return [
    'sync',
    '--tickers-source',
    sandbox.holdingsUrl,
    '--min-tickers',
    '50',
    '--from',
    window.from,
    '--to',
    window.to,
    ...FAST_CLIENT,
    '--json',
    ...target.args,
    ...extra,
  ];
}

/** The CLI's environment for a run against the sandbox. */
export function fmpEnv(sandbox: Sandbox, target: Target, apiKey = sandbox.apiKey): Record<string, string> {
  return { FMP_API_KEY: apiKey, FMP_BASE_URL: sandbox.url, ...target.env };
}

/** Every file under `dir` (the embedded database's own files included) whose bytes contain `needle`. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const bytes = Buffer.from(needle, 'utf8');
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(bytes)) hits.push(path);
  }
  return hits;
}

import { readFileSync } from 'node:fs';
import type { JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Logger } from '../src/index.js';

export const API_KEY = 'sk_live_7Hq2ZrX9pLm4Wv8N';
export const BASE = 'https://fmp.test';

/** Millisecond pauses so the retry paths run quickly; the defaults are proven with fake timers. */
export const FAST_RETRY = { baseMs: 1, capMs: 4, rateLimitPauseMs: 5 } as const;

const fixtureDir = new URL('./fixtures/fmp/', import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(name, fixtureDir), 'utf8');
}

export function fixtureJson<T = JsonBodyType>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

export interface ErrorFixture {
  status: number | string;
  headers?: Record<string, string>;
  body?: JsonBodyType;
  body_text?: string;
  body_text_variant?: string;
  body_json_variant?: JsonBodyType;
}

/**
 * A captured FMP error. Its body is served re-serialised by msw, so the captured `content-length` (of FMP's
 * own bytes) no longer describes it: a real HTTP parser would wait for bytes that never come. Dropped.
 */
export function errorFixture(name: string): ErrorFixture {
  const fixture = fixtureJson<ErrorFixture>(`errors/${name}`);
  if (fixture.headers) {
    const { 'content-length': _length, ...headers } = fixture.headers;
    fixture.headers = headers;
  }
  return fixture;
}

/** msw server shared by a test file: every unexpected request fails the test. */
export function useMswServer() {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

export interface CapturedLogger extends Logger {
  lines: string[];
}

export function capturingLogger(): CapturedLogger {
  const lines: string[] = [];
  const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

/** Largest number of events inside any half-open window [t, t + windowMs), at any alignment. */
export function maxInRollingWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let left = 0;
  for (let right = 0; right < sorted.length; right++) {
    while (sorted[right]! - sorted[left]! >= windowMs) left++;
    best = Math.max(best, right - left + 1);
  }
  return best;
}

/**
 * Virtual time for a client (its `clock` and `sleep` options) and a test server: the clock moves only when
 * the client sleeps, and a sleep returns at once with the clock at its wake-up time (never moved back), so
 * sleeps begun at the same instant wake at the same instant, as on a real clock. Windows of any length cost
 * nothing, and what a server sees depends on the client's pacing alone, never on how fast this machine
 * sends or answers.
 */
export function virtualTime() {
  const time = { now: 0 };
  return {
    clock: () => time.now,
    sleep: async (ms: number) => {
      const wakeAt = time.now + ms;
      // Moved one microtask later, so that sleeps begun together all count from the same instant.
      await null;
      time.now = Math.max(time.now, wakeAt);
    },
  };
}

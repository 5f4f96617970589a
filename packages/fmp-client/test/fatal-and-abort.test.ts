import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFmpClient, FmpAbortedError, FmpAuthError, FmpBandwidthError } from '../src/index.js';
import { API_KEY, BASE, errorFixture, FAST_RETRY, fixtureJson, useMswServer } from './helpers.js';

const server = useMswServer();
const DCF = `${BASE}/stable/discounted-cash-flow`;
const DCF_BODY = fixtureJson('stable_discounted-cash-flow__fmp_docs_sample.json');
const symbols = (n: number) => Array.from({ length: n }, (_, i) => `SYM${i}`);

function countingServer(respond: () => Response | Promise<Response>) {
  const counter = { calls: 0 };
  server.use(
    http.get(DCF, async () => {
      counter.calls += 1;
      return respond();
    }),
  );
  return counter;
}

describe('auth failures stop the client', () => {
  it('a 401 stops a 2,000-symbol batch after at most maxConcurrent requests', async () => {
    const unauthorized = errorFixture('401_invalid_api_key__stable.json');
    const counter = countingServer(() => HttpResponse.json(unauthorized.body, { status: 401 }));
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 8,
      retry: FAST_RETRY,
    });
    const results = await Promise.allSettled(symbols(2_000).map((s) => c.getDcf(s)));
    expect(counter.calls).toBeLessThanOrEqual(8);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof FmpAuthError)).toBe(true);
    // Queued calls share the one error that stopped the client.
    const reasons = new Set(results.map((r) => (r as PromiseRejectedResult).reason));
    expect(reasons.size).toBeLessThanOrEqual(8);
    expect(c.stats.requests).toBe(counter.calls);
    // And nothing more is ever sent by this client.
    await expect(c.getDcf('AAPL')).rejects.toBeInstanceOf(FmpAuthError);
    expect(counter.calls).toBeLessThanOrEqual(8);
  });

  it('a 403 Legacy Endpoint is an auth error and is not retried', async () => {
    const legacy = errorFixture('403_legacy_endpoint.json');
    const counter = countingServer(() => HttpResponse.json(legacy.body, { status: 403 }));
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 1,
      retry: FAST_RETRY,
    });
    const results = await Promise.allSettled(symbols(20).map((s) => c.getDcf(s)));
    expect(counter.calls).toBe(1);
    const first = (results[0] as PromiseRejectedResult).reason as FmpAuthError;
    expect(first).toMatchObject({ code: 'AUTH', status: 403, attempts: 1 });
    expect(first.fmpMessage).toMatch(/^Legacy Endpoint/);
    for (const r of results) expect((r as PromiseRejectedResult).reason).toBe(first);
  });

  it('an exhausted bandwidth stops the client like auth, without pausing or retrying', async () => {
    const bandwidth = errorFixture('429_bandwidth_limit_reach.json');
    const counter = countingServer(() => HttpResponse.json(bandwidth.body, { status: 429 }));
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 2,
      retry: FAST_RETRY,
    });
    const results = await Promise.allSettled(symbols(50).map((s) => c.getDcf(s)));
    expect(counter.calls).toBeLessThanOrEqual(2);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof FmpBandwidthError)).toBe(true);
    expect(c.stats.rateLimited).toBe(0);
    expect(c.stats.retries).toBe(0);
  });

  it('a request waiting in backoff rejects with the auth error instead of retrying', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, ({ request }) => {
        calls += 1;
        const symbol = new URL(request.url).searchParams.get('symbol');
        if (symbol === 'FLAKY') return new HttpResponse('oops', { status: 503 });
        return HttpResponse.json(errorFixture('401_invalid_api_key__stable.json').body, { status: 401 });
      }),
    );
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      maxConcurrent: 1,
      retry: { attempts: 5, baseMs: 10_000, capMs: 10_000 },
    });
    const flaky = c.getDcf('FLAKY');
    const denied = c.getDcf('OTHER');
    await expect(denied).rejects.toBeInstanceOf(FmpAuthError);
    await expect(flaky).rejects.toBeInstanceOf(FmpAuthError);
    expect(calls).toBe(2);
  });
});

describe('abort', () => {
  it('abort() rejects queued and in-flight calls with FmpAbortedError and sends nothing more', async () => {
    const counter = countingServer(async () => {
      await delay(10_000);
      return HttpResponse.json(DCF_BODY);
    });
    const c = createFmpClient({ apiKey: API_KEY, baseUrl: BASE, rateLimit: null, maxConcurrent: 3 });
    const pending = symbols(30).map((s) => c.getDcf(s));
    while (counter.calls < 3) await delay(5);
    c.abort(new Error('shutting down'));
    const results = await Promise.allSettled(pending);
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof FmpAbortedError)).toBe(true);
    expect((results[29] as PromiseRejectedResult).reason.message).toContain('shutting down');
    expect(counter.calls).toBe(3);
    expect(c.stats.errors.ABORTED).toBe(30);
    await expect(c.getDcf('AAPL')).rejects.toMatchObject({ code: 'ABORTED' });
    expect(counter.calls).toBe(3);
  });

  it('aborting the signal passed in options aborts the client', async () => {
    const counter = countingServer(() => HttpResponse.json(DCF_BODY));
    const controller = new AbortController();
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: { requests: 1, windowMs: 60_000 },
      signal: controller.signal,
    });
    const first = c.getDcf('AAA');
    const second = c.getDcf('BBB');
    await first;
    controller.abort();
    await expect(second).rejects.toBeInstanceOf(FmpAbortedError);
    expect(counter.calls).toBe(1);
  });

  it('a signal already aborted makes every call reject at once', async () => {
    const c = createFmpClient({ apiKey: API_KEY, baseUrl: BASE, signal: AbortSignal.abort() });
    await expect(c.getDcf('AAPL')).rejects.toMatchObject({ code: 'ABORTED' });
    expect(c.stats.requests).toBe(0);
  });
});

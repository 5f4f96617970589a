import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createFmpClient,
  FmpAuthError,
  FmpBadRequestError,
  FmpBandwidthError,
  type FmpClientOptions,
  FmpError,
  FmpNetworkError,
  FmpNotFoundError,
  FmpPlanError,
  FmpRateLimitError,
  FmpResponseError,
  FmpServerError,
  isFatalFmpError,
  isFmpError,
} from '../src/index.js';
import {
  API_KEY,
  BASE,
  type ErrorFixture,
  errorFixture,
  FAST_RETRY,
  fixtureJson,
  useMswServer,
} from './helpers.js';

const server = useMswServer();
const DCF = `${BASE}/stable/discounted-cash-flow`;
const DCF_OK = () => HttpResponse.json(fixtureJson('stable_discounted-cash-flow__fmp_docs_sample.json'));

function client(overrides: Partial<FmpClientOptions> = {}) {
  return createFmpClient({
    apiKey: API_KEY,
    baseUrl: BASE,
    rateLimit: null,
    ...overrides,
    retry: { ...FAST_RETRY, attempts: 3, rateLimitAttempts: 1, ...overrides.retry },
  });
}

function respond(fixture: ErrorFixture, variant: 'json' | 'text' = 'json'): Response {
  const status = typeof fixture.status === 'number' ? fixture.status : 429;
  const headers = fixture.headers ?? {};
  if (variant === 'text' || fixture.body_text !== undefined) {
    return new HttpResponse(fixture.body_text ?? fixture.body_text_variant, {
      status,
      headers: { 'content-type': 'text/plain' },
    });
  }
  return HttpResponse.json(fixture.body ?? fixture.body_json_variant, { status, headers });
}

/** Serves `first` once, then a good DCF answer; returns the request count. */
function failOnceThenOk(first: () => Response) {
  const counter = { calls: 0 };
  server.use(
    http.get(DCF, () => {
      counter.calls += 1;
      return counter.calls === 1 ? first() : DCF_OK();
    }),
  );
  return counter;
}

async function failure(promise: Promise<unknown>): Promise<FmpError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(isFmpError(error)).toBe(true);
  return error as FmpError;
}

describe('classification of the real FMP error bodies', () => {
  const cases: [
    string,
    'json' | 'text',
    new (...args: never[]) => FmpError,
    string,
    Record<string, unknown>,
  ][] = [
    ['401_invalid_api_key__stable.json', 'json', FmpAuthError, 'AUTH', { status: 401 }],
    ['403_legacy_endpoint.json', 'json', FmpAuthError, 'AUTH', { status: 403 }],
    ['402_restricted_endpoint.json', 'json', FmpPlanError, 'PLAN', { status: 402, scope: 'endpoint' }],
    ['402_restricted_endpoint.json', 'text', FmpPlanError, 'PLAN', { status: 402, scope: 'endpoint' }],
    ['402_exclusive_endpoint.json', 'json', FmpPlanError, 'PLAN', { status: 402, scope: 'endpoint' }],
    [
      '402_premium_query_parameter_symbol.json',
      'text',
      FmpPlanError,
      'PLAN',
      { status: 402, scope: 'symbol' },
    ],
    ['429_bandwidth_limit_reach.json', 'json', FmpBandwidthError, 'BANDWIDTH', { status: 429 }],
    ['429_limit_reach__captured_2025-04-30.json', 'json', FmpRateLimitError, 'RATE_LIMIT', { status: 429 }],
    ['429_limit_reach__older_variant.json', 'json', FmpRateLimitError, 'RATE_LIMIT', { status: 429 }],
    ['404_empty_array__bad_path.json', 'json', FmpNotFoundError, 'NOT_FOUND', { status: 404 }],
  ];

  for (const [file, variant, cls, code, extra] of cases) {
    it(`maps ${file} (${variant}) to ${cls.name} with code ${code}`, async () => {
      const fixture = errorFixture(file);
      server.use(http.get(DCF, () => respond(fixture, variant)));
      const error = await failure(client().getDcf('AAPL'));
      expect(error).toBeInstanceOf(cls);
      expect(error).toMatchObject({
        code,
        endpoint: '/stable/discounted-cash-flow',
        symbol: 'AAPL',
        ...extra,
      });
      expect(error.message).toContain('/stable/discounted-cash-flow (AAPL)');
    });
  }

  it('classifies a 200 carrying an Invalid API KEY body as auth', async () => {
    server.use(http.get(DCF, () => respond(errorFixture('200_invalid_api_key__legacy_v3_2021.json'))));
    const error = await failure(client().getDcf('AAPL'));
    expect(error).toBeInstanceOf(FmpAuthError);
    expect(error.status).toBe(200);
    expect(error.fmpMessage).toMatch(/^Invalid API KEY/);
  });

  it('classifies a 200 carrying Limit Reach as a rate limit and retries after the pause', async () => {
    const counter = failOnceThenOk(() =>
      HttpResponse.json(errorFixture('429_limit_reach__older_variant.json').body),
    );
    const c = client();
    expect((await c.getDcf('AAPL')).rows).toHaveLength(1);
    expect(counter.calls).toBe(2);
    expect(c.stats).toMatchObject({ rateLimited: 1, retries: 1 });
  });

  it('treats a 200 with an unknown Error Message as a malformed response and retries it', async () => {
    const counter = failOnceThenOk(() => HttpResponse.json({ 'Error Message': 'Something odd happened' }));
    expect((await client().getDcf('AAPL')).rows).toHaveLength(1);
    expect(counter.calls).toBe(2);
  });

  it('isFatalFmpError is true only for auth and bandwidth', () => {
    const details = { endpoint: '/stable/x' };
    expect(isFatalFmpError(new FmpAuthError('a', details))).toBe(true);
    expect(isFatalFmpError(new FmpBandwidthError('b', details))).toBe(true);
    expect(isFatalFmpError(new FmpRateLimitError('c', details))).toBe(false);
    expect(isFatalFmpError(new FmpPlanError('d', { ...details, scope: 'symbol' }))).toBe(false);
  });
});

describe('retry policy', () => {
  for (const status of [500, 502, 503, 504]) {
    it(`retries HTTP ${status} with backoff and recovers`, async () => {
      const counter = failOnceThenOk(() => HttpResponse.text('upstream trouble', { status }));
      const c = client();
      expect((await c.getDcf('AAPL')).rows).toHaveLength(1);
      expect(counter.calls).toBe(2);
      expect(c.stats.errors.SERVER).toBe(1);
      expect(c.stats.retries).toBe(1);
    });
  }

  it('gives up on a persistent 503 after the configured attempts', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, () => {
        calls += 1;
        return new HttpResponse('<html>503</html>', { status: 503 });
      }),
    );
    const error = await failure(client({ retry: { attempts: 4 } }).getDcf('AAPL'));
    expect(error).toBeInstanceOf(FmpServerError);
    expect(error).toMatchObject({ status: 503, attempts: 4 });
    expect(error.message).toContain('gave up after 4 attempts');
    expect(calls).toBe(4);
  });

  const notRetried: [number, string, new (...args: never[]) => FmpError][] = [
    [400, '{"Error Message":"Invalid parameters"}', FmpBadRequestError],
    [402, 'Premium Query Parameter: symbol', FmpPlanError],
    [404, '[]', FmpNotFoundError],
    [501, 'Not Implemented', FmpServerError],
  ];
  for (const [status, body, cls] of notRetried) {
    it(`does not retry HTTP ${status}`, async () => {
      let calls = 0;
      server.use(
        http.get(DCF, () => {
          calls += 1;
          return new HttpResponse(body, { status });
        }),
      );
      const error = await failure(client().getDcf('AAPL'));
      expect(error).toBeInstanceOf(cls);
      expect(error.status).toBe(status);
      expect(calls).toBe(1);
    });
  }

  it('retries a network error (connection reset) and recovers', async () => {
    const counter = failOnceThenOk(() => HttpResponse.error());
    const c = client();
    expect((await c.getDcf('AAPL')).rows).toHaveLength(1);
    expect(counter.calls).toBe(2);
    expect(c.stats.errors.NETWORK).toBe(1);
  });

  it('fails with FmpNetworkError code NETWORK when the network stays down', async () => {
    server.use(http.get(DCF, () => HttpResponse.error()));
    const error = await failure(client().getDcf('AAPL'));
    expect(error).toBeInstanceOf(FmpNetworkError);
    expect(error).toMatchObject({ code: 'NETWORK', status: null, attempts: 3 });
  });

  it('times out a hanging request, retries it and recovers', async () => {
    let calls = 0;
    server.use(
      http.get(DCF, async () => {
        calls += 1;
        if (calls === 1) await delay('infinite');
        return DCF_OK();
      }),
    );
    const c = client({ timeoutMs: 50 });
    expect((await c.getDcf('AAPL')).rows).toHaveLength(1);
    expect(calls).toBe(2);
    expect(c.stats.errors.TIMEOUT).toBe(1);
  });

  it('reports code TIMEOUT when every attempt hangs', async () => {
    server.use(
      http.get(DCF, async () => {
        await delay('infinite');
        return DCF_OK();
      }),
    );
    const error = await failure(client({ timeoutMs: 30, retry: { attempts: 2 } }).getDcf('AAPL'));
    expect(error).toBeInstanceOf(FmpNetworkError);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('timed out after 30 ms');
  });

  it('backs off exponentially from baseMs up to capMs, with jitter on top of half the step', async () => {
    server.use(http.get(DCF, () => new HttpResponse('down', { status: 500 })));
    const sleeps: number[] = [];
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: BASE,
      rateLimit: null,
      retry: { attempts: 5, baseMs: 100, capMs: 300 },
      random: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    await failure(c.getDcf('AAPL'));
    // Steps 100, 200, 300 (capped), 300; with random() = 0 the wait is half of each step.
    expect(sleeps).toEqual([50, 100, 150, 150]);
  });
});

describe('input checks', () => {
  it('refuses a bad symbol or date range before sending anything', async () => {
    const c = client();
    await expect(c.getDcf('AA PL')).rejects.toBeInstanceOf(FmpBadRequestError);
    await expect(c.getDailyPrices('AAPL', { from: '2023-01-10', to: '2023-01-01' })).rejects.toThrow(
      /from \(2023-01-10\) is after to \(2023-01-01\)/,
    );
    await expect(c.getDailyPrices('AAPL', { from: '2023-02-30', to: '2023-03-01' })).rejects.toThrow(
      /from must be a date YYYY-MM-DD/,
    );
    await expect(c.getEodBulk('yesterday')).rejects.toThrow(/date must be YYYY-MM-DD/);
    expect(c.stats.requests).toBe(0);
  });

  it('rejects options that cannot work, naming the option', () => {
    expect(() => createFmpClient({ apiKey: '' })).toThrow(/apiKey/);
    expect(() =>
      createFmpClient({ apiKey: API_KEY, baseUrl: 'https://financialmodelingprep.com/stable' }),
    ).toThrow(/baseUrl must be an origin only/);
    expect(() => createFmpClient({ apiKey: API_KEY, maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    expect(() => createFmpClient({ apiKey: API_KEY, rateLimit: { requests: 0 } })).toThrow(
      /rateLimit.requests/,
    );
    expect(() => createFmpClient({ apiKey: API_KEY, retry: { baseMs: -1 } })).toThrow(/retry.baseMs/);
  });

  it('never echoes the key in an option error', () => {
    const bad = `${API_KEY} with space`;
    expect(() => createFmpClient({ apiKey: bad })).toThrow(/apiKey/);
    try {
      createFmpClient({ apiKey: bad });
    } catch (error) {
      expect(String(error)).not.toContain(API_KEY);
    }
  });
});

describe('classes', () => {
  it('every error class is an FmpError with a code and serialises to JSON', () => {
    const e = new FmpResponseError('x', { endpoint: '/stable/a', status: 200 });
    expect(e).toBeInstanceOf(FmpError);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      name: 'FmpResponseError',
      code: 'RESPONSE',
      status: 200,
    });
  });
});

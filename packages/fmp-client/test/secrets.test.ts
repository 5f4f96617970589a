import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { createFmpClient, type FmpClientOptions } from '../src/index.js';
import { API_KEY, BASE, capturingLogger, errorFixture, FAST_RETRY, useMswServer } from './helpers.js';
import { expectNoSecret, renderings } from './secret-check.js';

const server = useMswServer();
const DCF = `${BASE}/stable/discounted-cash-flow`;

const failures: [string, () => Response | Promise<Response>][] = [
  ['401', () => HttpResponse.json(errorFixture('401_invalid_api_key__stable.json').body, { status: 401 })],
  ['403', () => HttpResponse.json(errorFixture('403_legacy_endpoint.json').body, { status: 403 })],
  [
    '402',
    () =>
      HttpResponse.text(errorFixture('402_premium_query_parameter_symbol.json').body_text!, { status: 402 }),
  ],
  [
    '429',
    () => HttpResponse.json(errorFixture('429_limit_reach__captured_2025-04-30.json').body, { status: 429 }),
  ],
  [
    '429 bandwidth',
    () => HttpResponse.json(errorFixture('429_bandwidth_limit_reach.json').body, { status: 429 }),
  ],
  ['400', () => HttpResponse.json({ 'Error Message': 'bad' }, { status: 400 })],
  ['404', () => HttpResponse.json([], { status: 404 })],
  ['500', () => HttpResponse.text('boom', { status: 500 })],
  ['network', () => HttpResponse.error()],
  ['malformed', () => HttpResponse.text('[{"symbol":')],
  ['html', () => HttpResponse.html('<html>oops</html>')],
  // A misbehaving server that echoes the key back must not get it into our messages.
  ['echo 401', () => HttpResponse.json({ 'Error Message': `Invalid API KEY ${API_KEY}` }, { status: 401 })],
  ['echo 200', () => HttpResponse.json({ 'Error Message': `weird apikey=${API_KEY}` })],
  ['echo text', () => HttpResponse.text(`Restricted Endpoint for ${API_KEY}`, { status: 402 })],
  [
    'timeout',
    async () => {
      await delay('infinite');
      return HttpResponse.json([]);
    },
  ],
];

describe('the API key never leaks', () => {
  for (const [name, respond] of failures) {
    it(`is absent from the error, its cause chain and every log line for a ${name} failure`, async () => {
      const urls: string[] = [];
      server.use(
        http.get(DCF, ({ request }) => {
          urls.push(request.url);
          return respond();
        }),
      );
      const logger = capturingLogger();
      const options: FmpClientOptions = {
        apiKey: API_KEY,
        baseUrl: BASE,
        rateLimit: null,
        timeoutMs: 30,
        logger,
        retry: { ...FAST_RETRY, attempts: 2, rateLimitAttempts: 1 },
      };
      const error = await createFmpClient(options)
        .getDcf('AAPL')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expectNoSecret(renderings(error), API_KEY);
      expectNoSecret(logger.lines, API_KEY);
      expect(urls.length).toBeGreaterThan(0);
      expectNoSecret(urls, API_KEY);
    });
  }

  it('is absent from an abort error and from a failed option check', async () => {
    const c = createFmpClient({ apiKey: API_KEY, baseUrl: BASE });
    c.abort(new Error(`stopping ${API_KEY}`));
    const error = await c.getDcf('AAPL').catch((e: unknown) => e);
    expectNoSecret(renderings(error), API_KEY);
    const optionError = (() => {
      try {
        createFmpClient({ apiKey: API_KEY, baseUrl: `https://user:${API_KEY}@fmp.test` });
      } catch (e) {
        return e;
      }
    })();
    expect(optionError).toBeInstanceOf(TypeError);
    expectNoSecret(renderings(optionError), API_KEY);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFmpClient, FmpAuthError, FmpNetworkError } from '../src/index.js';
import { API_KEY, capturingLogger } from './helpers.js';
import { expectNoSecret, renderings } from './secret-check.js';

// Real socket errors (not msw's) are where request headers could ride along: check them on loopback.
let server: Server;
let origin: string;
const seenKeys: (string | undefined)[] = [];
const seenUrls: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenKeys.push(req.headers.apikey as string | undefined);
    seenUrls.push(req.url ?? '');
    const symbol = new URL(req.url ?? '/', 'http://x').searchParams.get('symbol');
    if (symbol === 'RESET') {
      req.socket.destroy();
      return;
    }
    if (symbol === 'HANG') return;
    if (symbol === 'MOVED') {
      res.writeHead(301, { location: 'https://elsewhere.example/stable/discounted-cash-flow' });
      res.end();
      return;
    }
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ 'Error Message': 'Invalid API KEY. Feel free to create a Free API Key.' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function client() {
  const logger = capturingLogger();
  const c = createFmpClient({
    apiKey: API_KEY,
    baseUrl: origin,
    rateLimit: null,
    timeoutMs: 100,
    logger,
    retry: { attempts: 2, baseMs: 1, capMs: 2 },
  });
  return { c, logger };
}

describe('against a real loopback socket', () => {
  it('a connection reset becomes FmpNetworkError without the key anywhere', async () => {
    const { c, logger } = client();
    const error = await c.getDcf('RESET').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpNetworkError);
    expect(error).toMatchObject({ code: 'NETWORK', attempts: 2 });
    expectNoSecret(renderings(error), API_KEY);
    expectNoSecret(logger.lines, API_KEY);
  });

  it('a redirect is not followed: the call fails naming it, and the key goes nowhere else', async () => {
    const { c } = client();
    const error = await c.getDcf('MOVED').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_REQUEST', status: 301 });
    expect((error as Error).message).toContain('a redirect, not followed');
    expect(seenUrls.filter((u) => u.includes('MOVED'))).toHaveLength(1);
  });

  it('a connection refused is a network error too', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = createFmpClient({
      apiKey: API_KEY,
      baseUrl: `http://127.0.0.1:${port}`,
      rateLimit: null,
      retry: { attempts: 1 },
    });
    const error = await c.getDcf('AAPL').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpNetworkError);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expectNoSecret(renderings(error), API_KEY);
  });

  it('a hanging server times out with code TIMEOUT', async () => {
    const { c } = client();
    const error = await c.getDcf('HANG').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expectNoSecret(renderings(error), API_KEY);
  });

  it('a 401 is an auth error; the key travelled only in the apikey header', async () => {
    const { c } = client();
    const error = await c.getDcf('AAPL').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FmpAuthError);
    expectNoSecret(renderings(error), API_KEY);
    expect(seenKeys.every((k) => k === API_KEY)).toBe(true);
    expectNoSecret(seenUrls, API_KEY);
  });
});

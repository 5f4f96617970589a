import diagnostics from 'node:diagnostics_channel';
import { EventEmitter, getEventListeners, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClientFetch, createDispatcher, DeadlineError } from '../src/transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function listen(
  handler: Handler,
): Promise<{ server: Server; origin: string; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
  };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

const BODY = JSON.stringify([{ symbol: 'AAPL', date: '2026-11-27', close: 234.5, note: 'naïve ✓' }]);
const encoders: Record<string, (input: Buffer) => Buffer> = {
  gzip: gzipSync,
  deflate: deflateSync,
  'deflate-raw': deflateRawSync,
  br: brotliCompressSync,
};

/**
 * Answers the server holds, instead of being slow on a timer: `/held-headers` sends nothing, `/held-body`
 * sends its headers and half the body. Each emits, under its path, a function that sends the rest. A test
 * decides when (if ever) the answer completes, so nothing depends on how long anything takes.
 */
const heldAnswers = new EventEmitter();

/** Resolves once undici has the headers of an answer to `path` (it is reading the body). */
function clientHasHeaders(path: string): Promise<void> {
  return new Promise((resolve) => {
    const onHeaders = (message: unknown) => {
      if ((message as { request: { path: string } }).request.path !== path) return;
      diagnostics.unsubscribe('undici:request:headers', onHeaders);
      resolve();
    };
    diagnostics.subscribe('undici:request:headers', onHeaders);
  });
}

/** Lets the event loop run a few rounds, so I/O that is already due (a destroyed socket) is handled. */
async function loopTurns(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A promise's outcome, readable at any point without awaiting it. */
function track<T>(promise: Promise<T>) {
  const outcome: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { settled: true, value }),
    (error: unknown) => Object.assign(outcome, { settled: true, error }),
  );
  return outcome;
}

let main: Awaited<ReturnType<typeof listen>>;
let elsewhere: Awaited<ReturnType<typeof listen>>;
const elsewhereSaw: (string | undefined)[] = [];
const sawEncoding: (string | undefined)[] = [];

beforeAll(async () => {
  elsewhere = await listen((req, res) => {
    elsewhereSaw.push(req.headers.apikey as string | undefined);
    res.end('elsewhere');
  });
  main = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    sawEncoding.push(req.headers['accept-encoding']);
    const encoding = url.searchParams.get('encoding');
    switch (url.pathname) {
      case '/encoded': {
        const wire = encoding === 'deflate-raw' ? 'deflate' : encoding!;
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': wire });
        res.end(encoders[encoding!]!(Buffer.from(BODY)));
        return;
      }
      case '/plain':
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
        res.end(BODY);
        return;
      case '/empty':
        res.writeHead(204);
        res.end();
        return;
      case '/redirect':
        res.writeHead(302, { location: `${elsewhere.origin}/stolen` });
        res.end();
        return;
      case '/held-headers':
        heldAnswers.emit(url.pathname, () => res.end('late'));
        return;
      case '/held-body':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first half, ');
        heldAnswers.emit(url.pathname, () => res.end('second half'));
        return;
      case '/cut':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('only part of it');
        // When exactly the cut comes does not matter (nothing is timed): the body is incomplete either way.
        setTimeout(() => req.socket.destroy(), 20);
        return;
      case '/bad-gzip':
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end('this is not gzip');
        return;
      case '/unknown-encoding':
        res.writeHead(200, { 'content-encoding': 'zstd-from-the-future' });
        res.end('xx');
        return;
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await close(main.server);
  await close(elsewhere.server);
});

/** The client's fetch: its own proxy-aware keep-alive dispatcher and the per-attempt deadline. */
function clientFetch() {
  return createClientFetch(createDispatcher());
}

describe("the HTTP under ofetch: fetch over the client's undici dispatcher", () => {
  it.each(['gzip', 'deflate', 'br'])('asks for compression and decodes a %s body', async (encoding) => {
    const response = await clientFetch()(`${main.origin}/encoded?encoding=${encoding}`, {
      headers: { apikey: 'k' },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(BODY);
    expect(sawEncoding.at(-1)).toMatch(/gzip/);
  });

  it('answers with status, headers (repeated ones kept) and a body that can be read once', async () => {
    const response = await clientFetch()(`${main.origin}/plain`, {
      headers: new Headers({ accept: 'application/json' }),
    });
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe('OK');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await response.json()).toEqual(JSON.parse(BODY));
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow();
  });

  it('leaves no listener on the caller signal once an answer is in or has failed', async () => {
    // The client hands every call a signal that lives as long as a run: a listener left per call would
    // pile up by the thousand.
    const controller = new AbortController();
    const fetch = clientFetch();
    for (let i = 0; i < 5; i++)
      await (await fetch(`${main.origin}/plain`, { signal: controller.signal })).text();
    await fetch(`${main.origin}/cut`, { signal: controller.signal }).catch(() => undefined);
    await fetch(`${main.origin}/bad-gzip`, { signal: controller.signal }).catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('gives an empty answer a null body and an empty text', async () => {
    const response = await clientFetch()(`${main.origin}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
  });

  it('keeps connections alive across sequential requests', async () => {
    const before = main.connections();
    const fetch = clientFetch();
    for (let i = 0; i < 20; i++) await (await fetch(`${main.origin}/plain`)).text();
    // undici hands the first answer over before it files the socket as idle, so the second request may
    // open a second connection; from then on they are reused (a new connection per request would be 20).
    expect(main.connections() - before).toBeLessThanOrEqual(2);
  });

  it('does not follow a redirect, so the apikey header never reaches another host', async () => {
    const response = await clientFetch()(`${main.origin}/redirect`, { headers: { apikey: 'secret-key' } });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${elsewhere.origin}/stolen`);
    expect(elsewhereSaw).toEqual([]);
  });

  it.each([
    ['waiting for the headers', '/held-headers'],
    ['reading the body', '/held-body'],
  ])('rejects with the signal reason when aborted while %s', async (_label, path) => {
    const held = once(heldAnswers, path) as Promise<[() => void]>;
    const clientReading = path === '/held-body' ? clientHasHeaders(path) : undefined;
    const controller = new AbortController();
    const reason = new Error('stopped by the caller');
    const call = clientFetch()(`${main.origin}${path}`, { signal: controller.signal });
    const [release] = await held;
    await clientReading;
    controller.abort(reason);
    // The server now completes its answer: a transport that missed the abort would resolve with it.
    release();
    expect(await call.catch((e: unknown) => e)).toBe(reason);
  });

  it.each([
    ['waiting for the headers', '/held-headers'],
    ['reading the body', '/held-body'],
  ])('rejects with a DeadlineError when the answer outlives timeoutMs while %s', async (_label, path) => {
    // The deadline runs on fake timers: virtual milliseconds pass only when the test says so, whatever the
    // machine's load, while the request itself goes over a real socket.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const held = once(heldAnswers, path) as Promise<[() => void]>;
    const clientReading = path === '/held-body' ? clientHasHeaders(path) : undefined;
    const call = track(clientFetch()(`${main.origin}${path}`, { timeoutMs: 80 }));
    const [release] = await held;
    await clientReading;
    await vi.advanceTimersByTimeAsync(79);
    await loopTurns();
    expect(call.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await loopTurns();
    expect(call.settled).toBe(true);
    expect(call.error).toBeInstanceOf(DeadlineError);
    expect(call.error).toMatchObject({ code: 'ETIMEDOUT', message: 'no complete answer within 80 ms' });
    release();
  });

  it('rejects at once with an already aborted signal, sending nothing', async () => {
    const before = sawEncoding.length;
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    await expect(clientFetch()(`${main.origin}/plain`, { signal: controller.signal })).rejects.toThrow(
      'stopped',
    );
    expect(sawEncoding.length).toBe(before);
  });

  it('reports a connection cut in the middle of the body as a network error', async () => {
    const error = await clientFetch()(`${main.origin}/cut`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const codes: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause)
      codes.push(String((e as { code?: string }).code));
    expect(codes.join(' ')).toMatch(/UND_ERR_SOCKET|ECONNRESET/);
  });

  it('fails on a body it cannot decode', async () => {
    await expect(clientFetch()(`${main.origin}/bad-gzip`)).rejects.toThrow();
  });
});

describe("the environment's proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)", () => {
  /** A real proxy on a loopback port: CONNECT tunnels (and absolute-form requests, counted apart). */
  async function startProxy() {
    const seen: { method: string; target: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', target: req.url ?? '' });
      res.writeHead(502);
      res.end('this proxy only tunnels');
    });
    server.on('connect', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      seen.push({ method: 'CONNECT', target: req.url ?? '' });
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
  }

  /** Runs `body` with `env` set (EnvHttpProxyAgent reads the proxies when created, NO_PROXY per request). */
  async function underEnv<T>(env: Record<string, string>, body: () => Promise<T>): Promise<T> {
    const names = Object.keys(env).flatMap((k) => [k, k.toLowerCase()]);
    const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
    for (const k of names) delete process.env[k];
    Object.assign(process.env, env);
    try {
      return await body();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it('goes through the proxy the environment names, tunnelled with CONNECT', async () => {
    const proxy = await startProxy();
    try {
      const text = await underEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '' }, async () => {
        const fetch = createClientFetch(createDispatcher());
        return (await fetch(`${main.origin}/plain`, { headers: { apikey: 'k' } })).text();
      });
      expect(text).toBe(BODY);
      const target = new URL(main.origin).host;
      expect(proxy.seen).toEqual([{ method: 'CONNECT', target }]);
    } finally {
      await close(proxy.server);
    }
  });

  it('connects directly to a host NO_PROXY lists', async () => {
    const proxy = await startProxy();
    try {
      const text = await underEnv({ HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' }, async () =>
        (await createClientFetch(createDispatcher())(`${main.origin}/plain`)).text(),
      );
      expect(text).toBe(BODY);
      expect(proxy.seen).toEqual([]);
    } finally {
      await close(proxy.server);
    }
  });
});

import diagnostics from 'node:diagnostics_channel';
import { EventEmitter, getEventListeners, once } from 'node:events';
import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeFetch, DeadlineError } from '../src/transport.js';

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

/** Resolves once this process's HTTP client has the headers of an answer to `path` (it is reading the body). */
function clientHasHeaders(path: string): Promise<void> {
  return new Promise((resolve) => {
    const onResponse = (message: unknown) => {
      if ((message as { request: ClientRequest }).request.path !== path) return;
      diagnostics.unsubscribe('http.client.response.finish', onResponse);
      resolve();
    };
    diagnostics.subscribe('http.client.response.finish', onResponse);
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

describe('the node:http transport under ofetch', () => {
  it.each(['gzip', 'deflate', 'deflate-raw', 'br'])(
    'asks for compression and decodes a %s body, as fetch does',
    async (encoding) => {
      const fetch = createNodeFetch();
      const response = await fetch(`${main.origin}/encoded?encoding=${encoding}`, {
        headers: { apikey: 'k' },
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(BODY);
      // The headers describe the decoded body handed out.
      expect(response.headers.get('content-encoding')).toBeNull();
      expect(sawEncoding.at(-1)).toBe('gzip, deflate, br');
    },
  );

  it('answers with status, headers (repeated ones kept) and a body that can be read once', async () => {
    const response = await createNodeFetch()(`${main.origin}/plain`, {
      headers: new Headers({ accept: 'application/json' }),
    });
    expect(response.ok).toBe(true);
    expect(response.statusText).toBe('OK');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.body).not.toBeNull();
    expect(response.body).toBe(response.body);
    expect(await response.json()).toEqual(JSON.parse(BODY));
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(/already been read/);
  });

  it('reads the body as a stream too, with a reader or by iterating, the same bytes as text()', async () => {
    const fetch = createNodeFetch();
    const viaReader = await fetch(`${main.origin}/plain`);
    const reader = viaReader.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    expect(Buffer.concat(parts).toString('utf8')).toBe(BODY);
    expect(viaReader.body!.locked).toBe(true);

    const viaIteration = await fetch(`${main.origin}/plain`);
    const chunks: Uint8Array[] = [];
    for await (const chunk of viaIteration.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(BODY);
  });

  it('leaves no listener on the caller signal once an answer is in or has failed', async () => {
    // The client hands every call a signal that lives as long as a run: a listener left per call would
    // pile up by the thousand.
    const controller = new AbortController();
    const fetch = createNodeFetch();
    for (let i = 0; i < 5; i++)
      await (await fetch(`${main.origin}/plain`, { signal: controller.signal })).text();
    await fetch(`${main.origin}/cut`, { signal: controller.signal }).catch(() => undefined);
    await fetch(`${main.origin}/bad-gzip`, { signal: controller.signal }).catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('gives an empty answer a null body and an empty text', async () => {
    const response = await createNodeFetch()(`${main.origin}/empty`);
    expect(response.status).toBe(204);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe('');
  });

  it('keeps one connection alive across sequential requests', async () => {
    const before = main.connections();
    const fetch = createNodeFetch();
    for (let i = 0; i < 20; i++) await (await fetch(`${main.origin}/plain`)).text();
    expect(main.connections() - before).toBe(1);
  });

  it('does not follow a redirect, so the apikey header never reaches another host', async () => {
    const response = await createNodeFetch()(`${main.origin}/redirect`, {
      headers: { apikey: 'secret-key' },
    });
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
    const call = createNodeFetch()(`${main.origin}${path}`, { signal: controller.signal });
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
    const call = track(createNodeFetch()(`${main.origin}${path}`, { timeoutMs: 80 }));
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
    await expect(createNodeFetch()(`${main.origin}/plain`, { signal: controller.signal })).rejects.toThrow(
      'stopped',
    );
    expect(sawEncoding.length).toBe(before);
  });

  it('reports a connection cut in the middle of the body as a network error', async () => {
    const error = await createNodeFetch()(`${main.origin}/cut`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toMatch(/ECONNRESET|ERR_STREAM_PREMATURE_CLOSE/);
  });

  it('names the encoding of a body it cannot decode', async () => {
    await expect(createNodeFetch()(`${main.origin}/bad-gzip`)).rejects.toThrow(/cannot decode the gzip body/);
    await expect(createNodeFetch()(`${main.origin}/unknown-encoding`)).rejects.toThrow(
      'unsupported content-encoding: zstd-from-the-future',
    );
  });

  it('refuses methods with bodies and URLs that are not http(s)', async () => {
    const fetch = createNodeFetch();
    await expect(fetch(`${main.origin}/plain`, { method: 'POST' })).rejects.toThrow(
      'only GET and HEAD requests are supported, got POST',
    );
    await expect(fetch('file:///etc/passwd')).rejects.toThrow('only http and https URLs can be fetched');
  });
});

import { getEventListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      case '/slow-headers':
        setTimeout(() => res.end('late'), 2_000).unref();
        return;
      case '/slow-body':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first half, ');
        setTimeout(() => res.end('second half'), 2_000).unref();
        return;
      case '/cut':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('only part of it');
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
    ['waiting for the headers', '/slow-headers'],
    ['reading the body', '/slow-body'],
  ])('rejects with the signal reason when aborted while %s', async (_label, path) => {
    const controller = new AbortController();
    const reason = new Error('timeout');
    setTimeout(() => controller.abort(reason), 50);
    const started = performance.now();
    const error = await createNodeFetch()(`${main.origin}${path}`, { signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(error).toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it.each([
    ['waiting for the headers', '/slow-headers'],
    ['reading the body', '/slow-body'],
  ])('rejects with a DeadlineError when the answer outlives timeoutMs while %s', async (_label, path) => {
    const started = performance.now();
    const error = await createNodeFetch()(`${main.origin}${path}`, { timeoutMs: 80 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', message: 'no complete answer within 80 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(79);
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

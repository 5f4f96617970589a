/**
 * The `fetch` under ofetch: GET over node:http(s) keep-alive agents instead of Node's built-in (undici)
 * fetch. Why: a call's own CPU. Measured against the loopback sandbox (50 in flight, 50 ms answers), undici's
 * fetch took ~0.55 ms of CPU per request (Request/Response objects, WHATWG streams, a followed AbortSignal
 * with a FinalizationRegistry entry) and this ~0.25 ms. At the concurrency the pipeline runs, that CPU is
 * added to every request's turnaround, and it decided whether the client kept up with the API.
 *
 * What it does, as fetch would for FMP's GET endpoints: keep-alive connections, gzip/deflate/brotli bodies
 * decoded, the caller's AbortSignal aborting the request at any point (headers or body). What it does not
 * do, on purpose: follow redirects (fetch would send our `apikey` header on to wherever FMP's answer points;
 * a redirect is returned as it is, and the client reports its status), send request bodies, or cache.
 */
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const decoders: Record<string, (input: Buffer) => Promise<Buffer>> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  // fetch accepts deflate with or without the zlib wrapper (whose first byte names method 8); so do we.
  deflate: (input) => ((input[0]! & 0x0f) === 8 ? inflate(input) : inflateRaw(input)),
  br: promisify(zlib.brotliDecompress),
};

export const ACCEPT_ENCODING = 'gzip, deflate, br';

/** A ReadableStream's interface over a stream built on first use. */
class LazyStream<T> implements AsyncIterable<T> {
  #stream: ReadableStream<T> | undefined;
  readonly #make: () => ReadableStream<T>;

  constructor(make: () => ReadableStream<T>) {
    this.#make = make;
  }

  get #real(): ReadableStream<T> {
    this.#stream ??= this.#make();
    return this.#stream;
  }

  get locked(): boolean {
    return this.#stream?.locked ?? false;
  }

  cancel(reason?: unknown): Promise<void> {
    return this.#real.cancel(reason);
  }

  getReader(): ReadableStreamDefaultReader<T> {
    return this.#real.getReader();
  }

  pipeThrough<U>(...args: Parameters<ReadableStream<T>['pipeThrough']>): ReadableStream<U> {
    return this.#real.pipeThrough(...args) as ReadableStream<U>;
  }

  pipeTo(...args: Parameters<ReadableStream<T>['pipeTo']>): Promise<void> {
    return this.#real.pipeTo(...args);
  }

  tee(): [ReadableStream<T>, ReadableStream<T>] {
    return this.#real.tee();
  }

  values(options?: { preventCancel?: boolean }): AsyncIterableIterator<T> {
    return (this.#real as unknown as { values(o?: unknown): AsyncIterableIterator<T> }).values(options);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.values();
  }
}

/**
 * The part of the Fetch `Response` that ofetch and the client read. The body is held in memory (FMP's
 * answers are read whole anyway), so `text()` costs a decode and no stream is built unless `body` is read
 * as one.
 */
export class NodeResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly redirected = false;
  readonly type = 'basic';
  #headers: Headers | undefined;
  #body: ReadableStream<Uint8Array> | undefined;
  readonly #raw: http.IncomingHttpHeaders;
  readonly #bytes: Buffer;
  #used = false;

  constructor(status: number, statusText: string, raw: http.IncomingHttpHeaders, bytes: Buffer, url: string) {
    this.status = status;
    this.statusText = statusText;
    this.#raw = raw;
    this.#bytes = bytes;
    this.url = url;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.#raw)) {
        if (value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  /**
   * null for an empty body, as fetch has it for a bodiless answer. ofetch looks at `body` on every answer
   * only to see that there is one, and on Node 20 building a ReadableStream costs tens of µs (measured: about
   * 5% of the pipeline's CPU): the stream is built when the body is first read as a stream.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#bytes.length === 0) return null;
    if (!this.#body) {
      const bytes = this.#bytes;
      this.#body = new LazyStream(
        () =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new Uint8Array(bytes));
              controller.close();
            },
          }),
      ) as unknown as ReadableStream<Uint8Array>;
    }
    return this.#body;
  }

  #consume(): Buffer {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#bytes;
  }

  async text(): Promise<string> {
    return this.#consume().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#consume();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()]);
  }
}

type HeaderInput = Headers | Record<string, string> | readonly (readonly [string, string])[];

export type NodeFetch = (
  input: string | URL,
  init?: {
    method?: string | undefined;
    headers?: HeaderInput | undefined;
    signal?: AbortSignal | null | undefined;
    /**
     * A deadline for the whole exchange (headers and body): on expiry the request is destroyed and the call
     * rejects with a `DeadlineError`. ofetch hands its options to fetch as they are, so the client sets it
     * per call next to a long-lived stop signal, instead of building an AbortController and a listener per
     * attempt to merge the two (a quarter of a call's own CPU on Node 20).
     */
    timeoutMs?: number | undefined;
  },
) => Promise<Response>;

/** The exchange outlived `timeoutMs`. */
export class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'DeadlineError';
  }
}

function headerRecord(init: HeaderInput | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined) return out;
  const entries =
    init instanceof Headers ? init.entries() : Array.isArray(init) ? init : Object.entries(init as object);
  for (const [name, value] of entries as Iterable<[string, string]>) out[name.toLowerCase()] = String(value);
  return out;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * A fetch-compatible function with its own keep-alive agents. Node's own global agent has the same
 * settings (keep-alive, idle sockets closed after 5 s, or earlier when the server's Keep-Alive header says
 * so), which keeps a reused socket from meeting a server that has just closed it.
 */
export function createNodeFetch(): NodeFetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: 5_000 }),
    'https:': new https.Agent({ keepAlive: true, timeout: 5_000 }),
  };
  return (input, init = {}) =>
    new Promise((resolve, reject) => {
      const url = typeof input === 'string' ? new URL(input) : input;
      const method = (init.method ?? 'GET').toUpperCase();
      const signal = init.signal ?? undefined;
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        reject(new TypeError(`only http and https URLs can be fetched, got ${url.protocol}`));
        return;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        reject(new TypeError(`only GET and HEAD requests are supported, got ${method}`));
        return;
      }
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const headers = headerRecord(init.headers);
      headers['accept-encoding'] ??= ACCEPT_ENCODING;
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, { method, headers, agent: agents[url.protocol] });
      // The signal is followed here rather than handed to http.request, whose stream plumbing adds and
      // removes listeners on every call; the caller gets the signal's own reason.
      const onAbort = () => request.destroy(abortError(signal!) as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      let expired: DeadlineError | null = null;
      const timeoutMs = init.timeoutMs;
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              expired = new DeadlineError(timeoutMs);
              request.destroy(expired);
            }, timeoutMs);
      const done = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
      };
      // Whatever the stream reports once we destroyed it, the caller learns why we did.
      const fail = (error: unknown) => {
        done();
        reject(signal?.aborted ? abortError(signal) : (expired ?? error));
      };
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let complete = false;
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', fail);
        response.on('end', () => {
          complete = true;
          const raw = Buffer.concat(chunks);
          const encoding = String(response.headers['content-encoding'] ?? '')
            .trim()
            .toLowerCase();
          const finish = (bytes: Buffer) => {
            done();
            // Decoded already: the headers describe the body we hand out, not the one on the wire.
            const shown = { ...response.headers };
            delete shown['content-encoding'];
            delete shown['content-length'];
            resolve(
              new NodeResponse(
                response.statusCode ?? 0,
                response.statusMessage ?? '',
                encoding ? shown : response.headers,
                bytes,
                url.href,
              ) as unknown as Response,
            );
          };
          if (!encoding || encoding === 'identity' || raw.length === 0) return finish(raw);
          const decode = decoders[encoding];
          if (!decode) return fail(new TypeError(`unsupported content-encoding: ${encoding}`));
          decode(raw).then(finish, (error: unknown) =>
            fail(
              Object.assign(
                new TypeError(`cannot decode the ${encoding} body: ${(error as Error).message}`),
                {
                  cause: error,
                },
              ),
            ),
          );
        });
        response.on('close', () => {
          if (!complete)
            fail(
              Object.assign(new Error('the connection closed before the body ended'), { code: 'ECONNRESET' }),
            );
        });
      });
      request.end();
    });
}

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  HOLDINGS_PATH,
  SandboxCore,
  type SandboxCoreOptions,
  type SandboxCounters,
  type SandboxPatch,
  type SandboxState,
} from './core.js';
import { SandboxError } from './errors.js';
import type { SandboxFund, SyntheticMarket } from './market.js';

/** Options of `startSandbox`: the core's plus where to listen (127.0.0.1 only). */
export interface SandboxOptions extends SandboxCoreOptions {
  /** 0 (default) picks a free port. */
  port?: number | undefined;
  /** Loopback only. */
  host?: '127.0.0.1' | undefined;
}

/** A running sandbox on a loopback port (`startSandbox`): its URLs and key, counters, live settings, `stop()`. */
export interface Sandbox {
  /** Origin, e.g. `http://127.0.0.1:43123` (FMP clients add `/stable/...`). */
  readonly url: string;
  /** Full URL of the iShares-style holdings CSV (IWM's). */
  readonly holdingsUrl: string;
  /** Full URL of another fund's holdings CSV (IWB, IWV, IJR, IJH; IWM's is `holdingsUrl`). */
  fundHoldingsUrl(fund: SandboxFund): string;
  readonly apiKey: string;
  readonly market: SyntheticMarket;
  readonly core: SandboxCore;
  /** Closes the server, hanging requests and open connections. Idempotent. */
  stop(): Promise<void>;
  counters(): SandboxCounters;
  resetCounters(): void;
  /** Largest number of FMP requests that started within any window (default: the limit's window). */
  maxRequestsInWindow(windowMs?: number): number;
  update(patch: SandboxPatch): void;
  state(): SandboxState;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the sandbox as a real HTTP server on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { port = 0, host = '127.0.0.1', ...coreOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new SandboxError('INVALID_OPTION', `port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (host !== '127.0.0.1')
    throw new SandboxError('INVALID_OPTION', `host must be 127.0.0.1 (loopback only), got ${String(host)}`);
  const core = new SandboxCore(coreOptions);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    // The latency is the time from the request's arrival to its answer, as a client sees a server's: the
    // sandbox's own work is part of it, not added to it (a busy sandbox would otherwise look like a slow API).
    const arrived = performance.now();
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (req.method !== 'POST') req.resume();
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const reply = core.handle({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    // A hanging request simply never gets an answer; stop() destroys its socket.
    if (reply.action === 'hang') return;
    const send = () => {
      if (res.destroyed) return;
      if (reply.action === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(reply.status, reply.headers);
      res.end(req.method === 'HEAD' ? undefined : reply.body);
    };
    const delayMs = reply.delayMs - (performance.now() - arrived);
    if (delayMs >= 1) {
      const t = setTimeout(() => {
        timers.delete(t);
        send();
      }, delayMs);
      timers.add(t);
    } else {
      send();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error');
    });
  });
  // Node's server drops an idle keep-alive socket after 5 s, while fetch (undici) may reuse it for 4 s:
  // a request sent on a socket the server is closing fails with "fetch failed". Idle sockets are held
  // longer than any client keeps them, as FMP's own front end does.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) =>
      reject(
        new SandboxError(
          'SERVER_FAILED',
          `the sandbox could not listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host}:${actualPort}`;

  return {
    url,
    holdingsUrl: `${url}${HOLDINGS_PATH}`,
    fundHoldingsUrl: (fund) => `${url}/ishares/${fund}_holdings.csv`,
    apiKey: core.apiKey,
    market: core.market,
    core,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    counters: () => core.counters(),
    resetCounters: () => core.resetCounters(),
    maxRequestsInWindow: (windowMs?: number) => core.maxRequestsInWindow(windowMs),
    update: (patch) => core.update(patch),
    state: () => core.state(),
  };
}

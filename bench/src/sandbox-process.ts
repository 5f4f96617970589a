/**
 * Child-process entry: runs the FMP sandbox in its own process (so the pipeline under measurement shares no
 * event loop with it) and keeps a log of every HTTP request it receives, taken from Node's own
 * `http.server.request.start` diagnostics channel: the sandbox needs no hook for it, and the time is when
 * the server saw the request, which is what a rolling limiter counts.
 *
 * Protocol (IPC): parent sends { type: 'start', options }, child answers { type: 'ready', ... };
 * { type: 'log' } -> { type: 'log', log }; { type: 'stop' } -> stops the server and exits.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import type {
  RequestLog,
  SandboxChildMessage,
  SandboxOwnCounters,
  SandboxParentMessage,
} from './protocol.js';

const log: RequestLog = { starts: [], paths: [], statuses: [] };
const index = new WeakMap<IncomingMessage, number>();

subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: IncomingMessage };
  index.set(request, log.starts.length);
  // Epoch milliseconds with sub-millisecond precision, comparable with the pipeline process's clock.
  log.starts.push(performance.timeOrigin + performance.now());
  // The path only: the query holds symbols and dates, never the key (it travels in a header).
  log.paths.push((request.url ?? '').split('?')[0] ?? '');
  log.statuses.push(0);
});

subscribe('http.server.response.finish', (message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const i = index.get(request);
  if (i !== undefined) log.statuses[i] = response.statusCode;
});

let sandbox: Sandbox | undefined;

function send(message: SandboxChildMessage): void {
  process.send?.(message);
}

process.on('message', (raw) => {
  const message = raw as SandboxParentMessage;
  void (async () => {
    try {
      if (message.type === 'start') {
        sandbox = await startSandbox({ host: '127.0.0.1', port: 0, ...message.options });
        send({ type: 'ready', url: sandbox.url, apiKey: sandbox.apiKey, symbols: universeSymbols(sandbox) });
      } else if (message.type === 'log') {
        send({ type: 'log', log, counters: sandbox ? ownCounters(sandbox, message.windowMs) : null });
      } else if (message.type === 'stop') {
        await sandbox?.stop();
        process.disconnect?.();
        process.exit(0);
      }
    } catch (error) {
      send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    }
  })();
});

/**
 * The whole universe as FMP spells it (dash share classes), as the holdings file would give it to the
 * pipeline: this includes the ~1% of listings FMP does not know (they answer `[]`, counted as no_data).
 */
function universeSymbols(s: Sandbox): string[] {
  return s.market.tickers().map((t) => t.fmpSymbol);
}

/** The sandbox's own counts, to cross-check the diagnostics-channel log (its request times stay here). */
function ownCounters(s: Sandbox, windowMs: number | undefined): SandboxOwnCounters {
  const c = s.counters();
  const cpu = process.cpuUsage();
  return {
    requests: c.requests,
    byStatus: { ...c.byStatus },
    rateLimited: c.rateLimited,
    maxRequestsInWindow: windowMs ? s.maxRequestsInWindow(windowMs) : null,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
  };
}

// The parent's death must not leave a server behind.
process.on('disconnect', () => {
  void (sandbox?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});

import diagnostics from 'node:diagnostics_channel';
import { request, type ServerResponse } from 'node:http';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Sandbox, startSandbox } from '../src/index.js';
import { createSandboxHandlers } from '../src/msw.js';
import { AFTER_CLOSE } from './helpers.js';

/**
 * A raw GET over a real socket, so resets and hangs are seen as the network shows them. `timeoutMs` is how
 * long the socket may stay silent before the client gives up: a ceiling for a hang, generous for a busy
 * machine; no test measures how long an answer takes with it.
 */
function rawGet(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const req = request(url, { headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
      req.on('error', reject);
      req.end();
    },
  );
}

/** Lets the event loop run `rounds` rounds: what is already due (I/O, answers) is handled, no time is waited for. */
async function loopTurns(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('the loopback server', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ tickers: 60, seed: 2, now: AFTER_CLOSE });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('listens on 127.0.0.1 and serves FMP JSON with its headers', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const symbol = sandbox.market.fmpSymbols()[0]!;
    const res = await fetch(
      `${sandbox.url}/stable/historical-price-eod/full?symbol=${symbol}&from=2026-04-27&to=2026-05-05`,
      {
        headers: { apikey: sandbox.apiKey },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('retry-after')).toBeNull();
    const rows = (await res.json()) as Array<{ date: string }>;
    expect(rows.map((r) => r.date)).toEqual([
      '2026-05-05',
      '2026-05-04',
      '2026-05-01',
      '2026-04-30',
      '2026-04-29',
      '2026-04-28',
      '2026-04-27',
    ]);
  });

  it('serves the holdings file at holdingsUrl without a key', async () => {
    const res = await fetch(sandbox.holdingsUrl);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it("serves the other funds' holdings beside IWM's, each with its name, and no file for a fund it does not know", async () => {
    const ijh = await fetch(sandbox.fundHoldingsUrl('IJH'));
    expect(ijh.status).toBe(200);
    expect(ijh.headers.get('content-disposition')).toBe('attachment; filename=IJH_holdings.csv');
    const text = await ijh.text();
    expect(text.split('\n')[0]).toBe('iShares Core S&P Mid-Cap ETF'); // text() drops the BOM
    // A 60-ticker universe is smaller than IJH's 401 holdings: the file lists all of it, like IWM's.
    expect(await (await fetch(sandbox.fundHoldingsUrl('IWV'))).text()).toContain('iShares Russell 3000 ETF');
    // Not a holdings file: an FMP path without a key, refused as FMP refuses one.
    expect((await fetch(`${sandbox.url}/ishares/SPY_holdings.csv`)).status).toBe(401);
  });

  it('exposes the admin state to the key holder only, and applies POSTed patches', async () => {
    expect((await fetch(`${sandbox.url}/__admin/state`)).status).toBe(401);
    const state = await fetch(`${sandbox.url}/__admin/state`, { headers: { apikey: sandbox.apiKey } });
    const read = (await state.json()) as {
      state: { plan: string; tickers: number };
      counters: { requests: number };
    };
    expect(read.state).toMatchObject({ plan: 'ultimate', tickers: 60 });
    expect(read.counters.requests).toBeGreaterThan(0);
    const patched = await fetch(`${sandbox.url}/__admin/state`, {
      method: 'POST',
      headers: { apikey: sandbox.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'starter', rpm: 100, resetCounters: true }),
    });
    expect(((await patched.json()) as { state: { plan: string; rpm: number } }).state).toMatchObject({
      plan: 'starter',
      rpm: 100,
    });
    expect(sandbox.counters().requests).toBe(0);
    const bad = await fetch(`${sandbox.url}/__admin/state`, {
      method: 'POST',
      headers: { apikey: sandbox.apiKey },
      body: JSON.stringify({ faults: 'boom=1' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown fault kind "boom"/);
    sandbox.update({ plan: 'ultimate', rpm: 0 });
  });

  it('resets the connection for the reset fault', async () => {
    sandbox.update({ faults: 'reset=1' });
    await expect(rawGet(`${sandbox.url}/stable/stock-list`, { apikey: sandbox.apiKey })).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
    sandbox.update({ faults: 'none' });
  });

  it('never answers a hanging request; the client times out', async () => {
    sandbox.update({ faults: 'timeout=1' });
    await expect(rawGet(`${sandbox.url}/stable/stock-list`, { apikey: sandbox.apiKey }, 300)).rejects.toThrow(
      /client timeout/,
    );
    sandbox.update({ faults: 'none' });
    expect(sandbox.counters().byStatus.hang).toBe(1);
  });
});

describe('latency', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers latencyMs after the request arrived, its own work inside that time and not added to it', async () => {
    // Virtual time: the sandbox reads a faked performance clock and waits on faked timers, and its own work
    // is made to take `workMs` of that time. "Latency, work included" and "work, then latency" then answer
    // at different virtual instants, exactly, on any machine however busy; the request and the answer still
    // go over a real socket.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const latencyMs = 100;
    const workMs = 30;
    const sandbox = await startSandbox({ tickers: 10, seed: 3, now: AFTER_CLOSE, latencyMs });
    const serverResponses: ServerResponse[] = [];
    const onRequest = (message: unknown) =>
      serverResponses.push((message as { response: ServerResponse }).response);
    diagnostics.subscribe('http.server.request.start', onRequest);
    try {
      const handle = sandbox.core.handle.bind(sandbox.core);
      let worked!: () => void;
      const working = new Promise<void>((resolve) => {
        worked = resolve;
      });
      sandbox.core.handle = (request) => {
        const reply = handle(request);
        vi.advanceTimersByTime(workMs);
        worked();
        return reply;
      };
      const answer = rawGet(`${sandbox.url}/stable/stock-list`, { apikey: sandbox.apiKey });
      await working;
      expect(serverResponses).toHaveLength(1);
      const response = serverResponses[0]!;
      // The work took workMs of the latency; the answer is due latencyMs after the arrival, not later.
      await vi.advanceTimersByTimeAsync(latencyMs - workMs - 1);
      expect(response.headersSent).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(response.headersSent).toBe(true);
      expect((await answer).status).toBe(200);
    } finally {
      diagnostics.unsubscribe('http.server.request.start', onRequest);
      await sandbox.stop();
    }
  });
});

describe('stopping', () => {
  it('closes hanging requests and refuses new connections', async () => {
    const sandbox = await startSandbox({ tickers: 10, faults: 'timeout=1', now: AFTER_CLOSE });
    const pending = rawGet(`${sandbox.url}/stable/stock-list`, { apikey: sandbox.apiKey }, 30_000);
    while (sandbox.counters().requests === 0) await new Promise((r) => setTimeout(r, 5));
    await sandbox.stop();
    await expect(pending).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(fetch(`${sandbox.url}/stable/stock-list`)).rejects.toThrow();
    await sandbox.stop();
  });

  it('reports a port already in use clearly', async () => {
    const first = await startSandbox({ tickers: 10 });
    const port = Number(new URL(first.url).port);
    await expect(startSandbox({ tickers: 10, port })).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+/);
    await first.stop();
  });

  it('rejects options that are out of range, naming them', async () => {
    await expect(startSandbox({ rpm: -1 })).rejects.toThrow(/rpm must be an integer/);
    await expect(startSandbox({ plan: 'gold' as never })).rejects.toThrow(/plan must be one of/);
    await expect(startSandbox({ tickers: 0 })).rejects.toThrow(/tickers must be an integer/);
    await expect(startSandbox({ now: 'not a date' })).rejects.toThrow(/now must be/);
  });
});

describe('the msw handlers', () => {
  const handlers = createSandboxHandlers({ tickers: 60, seed: 2, now: AFTER_CLOSE });
  const mock = setupServer(
    ...handlers,
    http.get('https://elsewhere.test/*', () => HttpResponse.json([])),
  );
  beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => handlers.dispose());
  afterAll(() => mock.close());

  it('answer byte for byte what the loopback server answers for the same options', async () => {
    const server = await startSandbox({ tickers: 60, seed: 2, now: AFTER_CLOSE });
    try {
      const symbol = server.market.fmpSymbols()[3]!;
      const paths = [
        `/stable/historical-price-eod/full?symbol=${symbol}&from=2026-01-01&to=2026-05-05`,
        `/stable/discounted-cash-flow?symbol=${symbol}`,
        '/stable/eod-bulk?date=2026-05-04',
        '/stable/dcf-bulk',
        '/stable/stock-list',
        '/stable/nope',
        '/api/v3/quote/AAPL',
      ];
      for (const path of paths) {
        const viaMsw = await fetch(`https://financialmodelingprep.com${path}`, {
          headers: { apikey: 'sandbox-key' },
        });
        const real = await rawGet(`${server.url}${path}`, { apikey: 'sandbox-key' });
        expect(viaMsw.status, path).toBe(real.status);
        expect(await viaMsw.text(), path).toBe(real.text);
        expect(viaMsw.headers.get('etag'), path).toBe(real.headers.etag);
      }
      const holdings = await fetch(handlers.holdingsUrl);
      // fetch's text() drops the BOM, so compare the bytes.
      expect(Buffer.from(await holdings.arrayBuffer()).toString('utf8')).toBe(
        (await rawGet(server.holdingsUrl)).text,
      );
    } finally {
      await server.stop();
    }
  });

  it('turn a reset into a network error and keep counters in the shared core', async () => {
    handlers.sandbox.update({ faults: 'reset=1' });
    await expect(
      fetch('https://financialmodelingprep.com/stable/stock-list', { headers: { apikey: 'sandbox-key' } }),
    ).rejects.toThrow();
    handlers.sandbox.update({ faults: 'none' });
    expect(handlers.sandbox.counters().byStatus.reset).toBe(1);
  });

  it('leave a hanging request pending until the client aborts', async () => {
    handlers.sandbox.update({ faults: 'timeout=1' });
    const controller = new AbortController();
    const pending = fetch('https://financialmodelingprep.com/stable/stock-list', {
      headers: { apikey: 'sandbox-key' },
      signal: controller.signal,
    });
    let settled = false;
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // Once the sandbox has taken the request, an answer would be a few rounds of the event loop away (no
    // timer is involved): let those pass, and there is still none.
    while (handlers.sandbox.counters().byStatus.hang === 0) await loopTurns(1);
    await loopTurns(20);
    expect(settled).toBe(false);
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow();
    handlers.sandbox.update({ faults: 'none' });
  });
});

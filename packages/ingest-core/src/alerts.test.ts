import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRunMonitor, oneLineSummary, webhookKind } from './alerts.js';
import { type SyncSummary, syncSummarySchema } from './summary.js';

// Real loopback HTTP servers stand in for Slack, Discord, a generic webhook and healthchecks.io. Slack's and
// Discord's hosts are reached through a fetch that sends their requests to the loopback server.

const KEY = 'fmpkey-7f3a9c2e5b1d';
const PASSWORD = 'db-pass-4e8d2a6c';

interface Received {
  path: string;
  body: string;
  type: string | undefined;
}

function summaryOf(status: SyncSummary['status'], extra: Partial<SyncSummary> = {}): SyncSummary {
  const failed = status === 'failed';
  return {
    schemaVersion: 1,
    runId: '5d1c9e2a-0b7f-4c3e-9a1d-2f6b8e4c7a90',
    status,
    startedAt: '2026-06-01T05:00:00.000Z',
    completedAt: '2026-06-01T05:03:00.000Z',
    durationSeconds: 180,
    rowsUpdated: failed ? 0 : 9_000,
    logPath: '/data/failed_ingestion.log',
    tasks: [
      {
        taskName: 'ingest_market_data',
        status,
        syncLogId: 7,
        rowsInserted: failed ? 0 : 9_000,
        rowsChanged: 0,
        rowsUpdated: failed ? 0 : 9_000,
        durationSeconds: 170,
        tickers: 2000,
        counts: failed ? { failed: 2000 } : { ok: 2000 },
        errorMessage: failed
          ? `FMP rejected the API key (HTTP 401) for apikey=${KEY} on postgresql://u:${PASSWORD}@db/x`
          : null,
        failures: failed
          ? [
              { ticker: 'AAPL', outcome: 'failed', httpStatus: 401, message: `Invalid API KEY ${KEY}` },
              { ticker: 'MSFT', outcome: 'failed', httpStatus: 401, message: 'Invalid API KEY' },
            ]
          : [],
        metadata: {},
      },
    ],
    ...extra,
  };
}

describe('run alerts and pings, against loopback webhooks', () => {
  let server: Server;
  let base: string;
  let received: Received[];
  let answer: (req: IncomingMessage) => number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body, type: req.headers['content-type'] });
        res.statusCode = answer(req);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received = [];
    answer = () => 200;
  });

  /** Slack's and Discord's webhook hosts, sent to the loopback server under their own paths. */
  const viaLoopback: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    const local =
      url.hostname === '127.0.0.1' ? url : new URL(`${base}/${url.hostname}${url.pathname}${url.search}`);
    return fetch(local, init);
  };
  const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET';
  const DISCORD = 'https://discord.com/api/webhooks/123/tokenSECRET';

  it('tells Slack, Discord and other webhooks apart by their URL', () => {
    expect(webhookKind(SLACK)).toBe('slack');
    expect(webhookKind(DISCORD)).toBe('discord');
    expect(webhookKind('https://discordapp.com/api/webhooks/1/x')).toBe('discord');
    expect(webhookKind('https://example.com/hooks/slack')).toBe('json');
  });

  it('a failed night reaches Slack, Discord and a generic webhook once each and pings /fail, never with a secret', async () => {
    const monitor = createRunMonitor(
      { notifyUrls: [SLACK, DISCORD, `${base}/generic`], pingUrl: `${base}/ping/abc` },
      {
        secrets: [KEY, PASSWORD],
        fetch: viaLoopback,
        runUrl: 'https://github.com/o/r/actions/runs/42',
      },
    );
    expect(await monitor.started()).toMatchObject([{ kind: 'ping', ok: true }]);
    const deliveries = await monitor.finished(summaryOf('failed'));
    expect(deliveries.every((d) => d.ok && d.attempts === 1)).toBe(true);
    expect(received.map((r) => r.path).sort()).toEqual(
      [
        '/discord.com/api/webhooks/123/tokenSECRET',
        '/generic',
        '/hooks.slack.com/services/T000/B000/XXXXSECRET',
        '/ping/abc/fail',
        '/ping/abc/start',
      ].sort(),
    );
    const byPath = (p: string) => received.find((r) => r.path.includes(p))!;
    const slack = JSON.parse(byPath('hooks.slack.com').body);
    expect(slack.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'smartstock sync: failed' },
    });
    expect(slack.blocks[1].text.text).toMatch(
      /^❌ ingest_market_data: failed, 0 rows, 170\.0 s — FMP rejected/,
    );
    expect(slack.blocks[2].text.text).toContain('*First failed tickers*\nAAPL: failed (HTTP 401)');
    expect(slack.blocks.at(-1).elements[0].text).toContain(
      '<https://github.com/o/r/actions/runs/42|GitHub run>',
    );
    const discord = JSON.parse(byPath('discord.com').body);
    expect(discord.embeds[0]).toMatchObject({
      title: 'smartstock sync: failed',
      url: 'https://github.com/o/r/actions/runs/42',
    });
    const generic = syncSummarySchema.parse(JSON.parse(byPath('/generic').body));
    expect(generic.status).toBe('failed');
    expect(byPath('/fail').body).toMatch(/^smartstock sync failed: ingest_market_data failed \(FMP rejected/);
    expect(byPath('/fail').type).toBe('text/plain');
    for (const r of received) {
      expect(r.body).not.toContain(KEY);
      expect(r.body).not.toContain(PASSWORD);
    }
  });

  it('a clean night pings start and success and posts nothing under the default notify-on', async () => {
    const monitor = createRunMonitor(
      { notifyUrls: [`${base}/generic`], pingUrl: `${base}/ping/abc` },
      { fetch: viaLoopback },
    );
    await monitor.started();
    await monitor.finished(summaryOf('success'));
    expect(received.map((r) => r.path)).toEqual(['/ping/abc/start', '/ping/abc']);
    expect(received[1]!.body).toBe(oneLineSummary(summaryOf('success')));
  });

  it('notify-on partial posts a partial night, always posts a clean one; failed posts neither', async () => {
    const night = async (notifyOn: 'failed' | 'partial' | 'always', status: SyncSummary['status']) => {
      received = [];
      await createRunMonitor({ notifyUrls: [`${base}/generic`], notifyOn }).finished(summaryOf(status));
      return received.length;
    };
    expect(await night('failed', 'partial')).toBe(0);
    expect(await night('partial', 'partial')).toBe(1);
    expect(await night('partial', 'success')).toBe(0);
    expect(await night('always', 'success')).toBe(1);
  });

  it('retries a 5xx with backoff, gives up without throwing, and does not retry a 4xx', async () => {
    answer = (req) => (req.url === '/down' ? 503 : 404);
    const deliveries = await createRunMonitor(
      { notifyUrls: [`${base}/down`, `${base}/gone`], notifyOn: 'always' },
      { backoffMs: 1 },
    ).finished(summaryOf('success'));
    expect(deliveries).toEqual([
      { target: base, kind: 'notify', ok: false, attempts: 3, error: 'HTTP 503' },
      { target: base, kind: 'notify', ok: false, attempts: 1, error: 'HTTP 404' },
    ]);
    expect(received.filter((r) => r.path === '/down')).toHaveLength(3);
  });

  it('a webhook nobody answers is a failed delivery, not an error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const [delivery] = await createRunMonitor(
      { notifyUrls: [`http://127.0.0.1:${port}/hook`], notifyOn: 'always' },
      { backoffMs: 1 },
    ).finished(summaryOf('success'));
    expect(delivery).toMatchObject({ ok: false, attempts: 3, target: `http://127.0.0.1:${port}` });
  });

  it('a night that could not run pings /fail and tells each webhook why, redacted', async () => {
    await createRunMonitor(
      { notifyUrls: [SLACK, `${base}/generic`], pingUrl: `${base}/ping/abc` },
      { secrets: [PASSWORD], fetch: viaLoopback },
    ).couldNotRun(`could not connect to postgresql://u:${PASSWORD}@db/x`);
    const byPath = (p: string) => received.find((r) => r.path.includes(p))!;
    expect(byPath('/ping/abc/fail').body).toBe(
      'smartstock sync failed: could not connect to postgresql://u:***@db/x',
    );
    expect(JSON.parse(byPath('hooks.slack.com').body)).toEqual({
      text: 'smartstock sync failed: could not connect to postgresql://u:***@db/x',
    });
    expect(JSON.parse(byPath('/generic').body)).toEqual({
      status: 'failed',
      error: 'could not connect to postgresql://u:***@db/x',
    });
  });

  it('a cancelled run is sent once, without retries; Cronitor style uses /run, /complete and /fail', async () => {
    answer = () => 503;
    const cancelled = summaryOf('failed', {
      cancelled: { reason: 'cancelled by SIGINT', notRun: ['ingest_all_dcf'] },
    });
    const monitor = createRunMonitor(
      { notifyUrls: [`${base}/generic`], pingUrl: `${base}/c/xyz`, pingStyle: 'cronitor' },
      { backoffMs: 1 },
    );
    const deliveries = await monitor.finished(cancelled);
    expect(deliveries.map((d) => d.attempts)).toEqual([1, 1]);
    expect(received.map((r) => r.path).sort()).toEqual(['/c/xyz/fail', '/generic']);
    expect(received.find((r) => r.path === '/c/xyz/fail')!.body).toContain(
      'cancelled by SIGINT, not run: ingest_all_dcf',
    );
    answer = () => 200;
    received = [];
    await monitor.started();
    await monitor.finished(summaryOf('success'));
    expect(received.map((r) => r.path)).toEqual(['/c/xyz/run', '/c/xyz/complete']);
  });
});

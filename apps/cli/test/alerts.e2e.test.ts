import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabase } from '@smartstock/db';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { seedEmbeddedDataDir } from '@smartstock/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers.js';

// The nights nobody watches, with the built CLI: a loopback server is the webhook and the health check.

describe('alerts and pings (the built CLI, embedded database, loopback webhooks)', () => {
  let sandbox: Sandbox;
  let dir: string;
  let server: Server;
  let base: string;
  let received: { path: string; body: string }[];
  const client = ['--rpm', '0', '--retry-base-ms', '1', '--timeout-ms', '10000'];

  beforeAll(async () => {
    assertBuilt();
    sandbox = await startSandbox({ tickers: 20, seed: 4 });
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-alerts-'));
    // The alerts of a night, not its first run: the embedded database starts migrated (testkit's template).
    await seedEmbeddedDataDir(path.join(dir, 'data'));
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.statusCode = req.url?.startsWith('/dead') ? 503 : 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await sandbox?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    received = [];
  });

  const dataDir = () => path.join(dir, 'data');
  const prices = (from: string, to: string, env: Record<string, string>, ...more: string[]) =>
    runCli(['prices', '--data-dir', dataDir(), '--from', from, '--to', to, ...client, ...more], {
      cwd: dir,
      env: { FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url, ...env },
    });
  const tickers = () =>
    runCli(['tickers', sandbox.holdingsUrl, '--data-dir', dataDir(), '--min-tickers', '10'], {
      cwd: dir,
      env: {},
    });

  it('a clean night pings start and success and posts nothing', async () => {
    expect((await tickers()).code).toBe(0);
    received = [];
    const result = await prices('2024-03-04', '2024-03-08', {
      SMARTSTOCK_NOTIFY_URLS: `${base}/hook`,
      SMARTSTOCK_PING_URL: `${base}/ping/uuid-1`,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(received.map((r) => r.path)).toEqual(['/ping/uuid-1/start', '/ping/uuid-1']);
    expect(received[1]!.body).toMatch(
      /^smartstock sync success: ingest_market_data success; \d+ rows updated/,
    );
  });

  it('a revoked key reaches the webhook once with the JSON summary and pings /fail; the key is in no message', async () => {
    const revoked = 'revoked-key-3c9e1a7b5d';
    const result = await prices(
      '2024-03-11',
      '2024-03-15',
      { FMP_API_KEY: revoked },
      '--notify',
      `${base}/hook`,
      '--ping',
      `${base}/ping/uuid-2`,
    );
    expect(result.code).toBe(1);
    expect(received.map((r) => r.path).sort()).toEqual(['/hook', '/ping/uuid-2/fail', '/ping/uuid-2/start']);
    const summary = JSON.parse(received.find((r) => r.path === '/hook')!.body) as {
      status: string;
      schemaVersion: number;
    };
    expect(summary).toMatchObject({ status: 'failed', schemaVersion: 1 });
    for (const r of received) expect(r.body).not.toContain(revoked);
  });

  it('a dead webhook leaves a clean run green, and is logged and recorded in sync_logs metadata', async () => {
    const result = await prices(
      '2024-03-18',
      '2024-03-22',
      {},
      '--notify',
      `${base}/dead`,
      '--notify-on',
      'always',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(received.filter((r) => r.path === '/dead')).toHaveLength(3);
    expect(result.stderr).toMatch(/alert not delivered .*attempts=3/);
    const db = await createDatabase({ dataDir: dataDir() });
    try {
      const [row] = await db.query<{ alerts: unknown }>(
        `SELECT metadata->'alerts' AS alerts FROM sync_logs ORDER BY id DESC LIMIT 1`,
      );
      const alerts = typeof row!.alerts === 'string' ? JSON.parse(row!.alerts) : row!.alerts;
      expect(alerts).toEqual([{ target: base, kind: 'notify', ok: false, attempts: 3, error: 'HTTP 503' }]);
    } finally {
      await db.close();
    }
  });

  it('a night that cannot open its database still pings start and /fail, without the password', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await prices('2024-03-25', '2024-03-28', {
      DATABASE_URL: `postgresql://app:pw-5e6f7a8b9c@127.0.0.1:${port}/nightly`,
      SMARTSTOCK_PING_URL: `${base}/ping/uuid-3`,
    });
    expect(result.code).not.toBe(0);
    expect(received.map((r) => r.path)).toEqual(['/ping/uuid-3/start', '/ping/uuid-3/fail']);
    expect(received[1]!.body).toMatch(/^smartstock sync failed: /);
    for (const r of received) expect(r.body).not.toContain('pw-5e6f7a8b9c');
  });

  it('refuses a notify URL that is not http(s) with exit 2, naming the setting and not the URL', async () => {
    const result = await prices('2024-03-25', '2024-03-28', { SMARTSTOCK_NOTIFY_URLS: 'slack-token-abc123' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SMARTSTOCK_NOTIFY_URLS must be http(s) webhook URLs, comma-separated');
    expect(result.stderr).not.toContain('slack-token-abc123');
  });
});

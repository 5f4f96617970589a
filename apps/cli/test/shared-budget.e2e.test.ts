import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { seedEmbeddedDataDir } from '@smartstock/testkit';
import { type RedisServer, startRedisServer } from '@smartstock/testkit/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from './helpers.js';

// The built CLI with --budget-redis: a private Redis with a password, the sandbox on loopback, the embedded
// database. (The budget's guarantee across clients is proven in fmp-client's shared-budget test and, with
// three real processes, in `pnpm bench --scenario shared-budget`.)

const PASSWORD = 'cli-R3dis-secret';

describe('a shared FMP budget (the built CLI)', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let dir: string;
  const client = ['--retry-base-ms', '1', '--timeout-ms', '10000'];

  beforeAll(async () => {
    assertBuilt();
    redis = await startRedisServer({ password: PASSWORD });
    sandbox = await startSandbox({ tickers: 12, seed: 9 });
    dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-budget-'));
    // The budget, not a first run: the embedded database starts migrated (testkit's template).
    await seedEmbeddedDataDir(path.join(dir, 'data'));
    const universe = await runCli(
      ['tickers', sandbox.holdingsUrl, '--data-dir', path.join(dir, 'data'), '--min-tickers', '10'],
      { cwd: dir, env: {} },
    );
    expect(universe.code, universe.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.stop();
    await redis?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const prices = (week: [string, string], rpm: string, env: Record<string, string>, ...more: string[]) =>
    runCli(
      [
        'prices',
        '--data-dir',
        path.join(dir, 'data'),
        '--from',
        week[0],
        '--to',
        week[1],
        '--rpm',
        rpm,
        ...more,
      ],
      { cwd: dir, env: { FMP_API_KEY: sandbox.apiKey, FMP_BASE_URL: sandbox.url, ...env } },
    );

  it('draws from the budget in Redis, keyed by a hash of the API key; a process set higher than another says the lowest wins', async () => {
    const first = await prices(
      ['2024-03-04', '2024-03-08'],
      '600',
      { FMP_BUDGET_REDIS_URL: redis.url },
      ...client,
    );
    expect(first.code, first.stderr).toBe(0);
    const inspect = new Redis(redis.url);
    try {
      const keys = await inspect.keys('*');
      expect(keys.some((k) => k.startsWith('smartstock:fmp-budget:'))).toBe(true);
      for (const key of keys) expect(key).not.toContain(sandbox.apiKey);
    } finally {
      inspect.disconnect();
    }
    // The first run's registration lives two windows: a run configured higher within them is held lower.
    const second = await prices(
      ['2024-03-11', '2024-03-15'],
      '3000',
      {},
      '--budget-redis',
      redis.url,
      ...client,
    );
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr, second.stderr).toContain(
      'another process holds this API key to a lower rate; the lowest wins',
    );
    for (const out of [first, second]) {
      expect(out.stdout + out.stderr).not.toContain(PASSWORD);
      expect(out.stdout + out.stderr).not.toContain(sandbox.apiKey);
    }
  });

  it('an unreachable Redis fails the run at start like an unreachable database: exit 1, the URL without its password', async () => {
    const gone = await startRedisServer({ password: PASSWORD });
    await gone.kill();
    sandbox.resetCounters();
    const result = await prices(
      ['2024-03-18', '2024-03-22'],
      '600',
      { FMP_BUDGET_REDIS_URL: gone.url },
      ...client,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the shared FMP budget's Redis at redis://:***@127.0.0.1:${gone.port}`);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(sandbox.counters().requests).toBe(0);
  });

  it('a budget URL that is not redis:// is a usage error naming the setting, not the URL', async () => {
    const result = await prices(
      ['2024-03-18', '2024-03-22'],
      '600',
      {},
      '--budget-redis',
      `http://user:${PASSWORD}@example.test`,
    );
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toContain('--budget-redis must be a redis:// or rediss:// URL');
    expect(result.stderr).not.toContain(PASSWORD);
  });
});

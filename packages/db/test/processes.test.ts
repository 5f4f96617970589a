import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
// By path, not by package: @smartstock/testkit depends on this package.
import { copyDataDir } from '../../../tooling/testkit/src/copy-data-dir.js';
import { createDatabase, migrate, readPrices } from '../src/index.js';
import { adminUrl, tempDir, testBackends } from './helpers/backends.js';
import { bundle } from './helpers/bundle.js';
import { runNode } from './helpers/child.js';

let child: string;
let lockChild: string;
beforeAll(async () => {
  [child, lockChild] = await Promise.all([
    bundle('test/fixtures/db-child.ts'),
    bundle('test/fixtures/lock-child.ts'),
  ]);
});

/** A data directory whose database is already initialised: these cases are about locks, not initdb. */
function initialisedDataDir(): string {
  const dataDir = tempDir();
  copyDataDir(inject('pgliteTemplate'), join(dataDir, 'db'));
  return dataDir;
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

describe('two processes on one embedded database', () => {
  it('refuses the second process at once, naming the holder pid, and corrupts nothing', async () => {
    const dataDir = initialisedDataDir();
    const holder = runNode(child, ['hold', dataDir, '5000']);
    await holder.line((l) => l === '"READY"');

    const second = await runNode(child, ['open', dataDir]).exit;
    expect(second.code).toBe(2);
    const refusal = lastJson(second.stdout);
    expect(refusal.code).toBe('DATABASE_LOCKED');
    expect(refusal.message).toContain(`process ${holder.process.pid}`);
    expect(refusal.message).toContain(join(dataDir, 'db.lock'));

    // This process is refused too.
    await expect(createDatabase({ dataDir })).rejects.toMatchObject({ code: 'DATABASE_LOCKED' });

    holder.process.stdin.end();
    expect((await holder.exit).code).toBe(0);
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false);

    const db = await createDatabase({ dataDir });
    const tickers = Array.from({ length: 50 }, (_, i) => `H${i}`);
    expect(await readPrices(db, { tickers, from: '2000-01-01', to: '2100-01-01' })).toHaveLength(5000);
    await db.close();
  });

  it('clears the lock of a process killed with SIGKILL and opens the database cleanly', async () => {
    const dataDir = initialisedDataDir();
    const holder = runNode(child, ['hold', dataDir, '2000']);
    await holder.line((l) => l === '"READY"');
    holder.process.kill('SIGKILL');
    await holder.exit;
    const stale = JSON.parse(readFileSync(join(dataDir, 'db.lock'), 'utf8'));
    expect(stale.pid).toBe(holder.process.pid);

    const reopened = await runNode(child, ['open', dataDir]).exit;
    expect(lastJson(reopened.stdout)).toEqual({ opened: true, kind: 'embedded' });

    const db = await createDatabase({ dataDir });
    expect(await migrate(db)).toEqual({ applied: [] });
    const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM stock_prices`);
    expect(row!.n).toBe(2000);
    await db.close();
  });

  it('reports a lock file whose owner is on another host as locked, naming it', async () => {
    const dataDir = tempDir();
    writeFileSync(
      join(dataDir, 'db.lock'),
      JSON.stringify({ pid: 12345, hostname: 'other-host.example', startedAt: '2024-05-01T00:00:00.000Z' }),
    );
    const error = await createDatabase({ dataDir }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DATABASE_LOCKED' });
    expect((error as Error).message).toContain('process 12345 on other-host.example');
  });
});

describe('processes racing for one lock file', () => {
  it('lets exactly one take it and every other is refused naming that one, never a half-written file', async () => {
    // Eight processes spinning on two cores race from the same instant, round after round: a lock file that
    // could be seen before its owner is written in it would show up here as a refusal naming no pid. The
    // instant is the last racer reaching a barrier the racers keep among themselves (see lock-child.ts): no
    // clock, so a slow start cannot make anyone miss it.
    for (let round = 0; round < 6; round++) {
      const dir = tempDir();
      const path = join(dir, 'db.lock');
      const barrier = join(tempDir(), 'barrier');
      const racers = Array.from({ length: 8 }, () => runNode(lockChild, [path, barrier, '8']));
      const winner = await Promise.race(
        racers.map((r) =>
          r
            .line((l) => l.startsWith('{"took"'))
            .then(
              () => r,
              () => new Promise<never>(() => {}),
            ),
        ),
      );
      const losers = racers.filter((r) => r !== winner);
      for (const refused of await Promise.all(losers.map((r) => r.exit))) {
        expect(refused.code).toBe(2);
        const refusal = lastJson(refused.stdout);
        expect(refusal.code).toBe('DATABASE_LOCKED');
        expect(refusal.message).toContain(`in use by process ${winner.process.pid} on `);
      }
      winner.process.stdin.end();
      expect((await winner.exit).code).toBe(0);
      // Released, and no draft left beside it.
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

describe.each(testBackends())(
  'migrate from a single-file bundle outside the repository on $name',
  (backend) => {
    it('applies the embedded migrations with no prisma/ folder anywhere near', async () => {
      const fresh = await backend.fresh();
      const target = backend.name === 'postgres' ? fresh.url! : fresh.dataDir!;
      // The embedded database is single-process: let the child have it.
      if (backend.name === 'embedded') await fresh.db.close();
      expect(existsSync(join(child, '..', 'prisma'))).toBe(false);
      const run = await runNode(child, ['migrate', target]).exit;
      expect(run.stderr).toBe('');
      const migrations = readdirSync(new URL('../../../prisma/migrations', import.meta.url), {
        withFileTypes: true,
      })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
      expect(migrations[0]).toBe('20261129000000_init');
      expect(lastJson(run.stdout)).toEqual({ applied: migrations });
      const again = await runNode(child, ['migrate', target]).exit;
      expect(lastJson(again.stdout)).toEqual({ applied: [] });
      if (backend.name === 'postgres') {
        expect(adminUrl()).toBeDefined();
        const [row] = await fresh.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "_prisma_migrations"`,
        );
        expect(row!.n).toBe(migrations.length);
      }
    });
  },
);

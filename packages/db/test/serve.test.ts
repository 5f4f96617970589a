import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate, serveDatabase, writePrices } from '../src/index.js';
import { adminUrl, testBackends } from './helpers/backends.js';

const embedded = testBackends().find((b) => b.name === 'embedded')!;

describe('serveDatabase', () => {
  it('serves the embedded database to a PostgreSQL client on loopback while this process holds it', async () => {
    const { db } = await embedded.fresh();
    await migrate(db);
    await writePrices(db, [
      {
        ticker: 'AAPL',
        date: '2024-05-01',
        open: 1,
        high: 2,
        low: 0.5,
        close: 1.5,
        volume: 10,
        vwap: null,
        change: null,
        changePercent: null,
        source: 'fmp',
      },
    ]);
    const served = await serveDatabase(db);
    expect(served.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres\?sslmode=disable$/);
    const client = new pg.Client({ connectionString: served.url });
    await client.connect();
    const { rows } = await client.query(`SELECT ticker, close FROM stock_prices`);
    expect(rows).toEqual([{ ticker: 'AAPL', close: 1.5 }]);
    await client.query(`INSERT INTO sync_logs (task_name, status) VALUES ('from-psql', 'success')`);
    await client.end();
    expect(await db.query(`SELECT task_name FROM sync_logs`)).toEqual([{ task_name: 'from-psql' }]);

    await served.stop();
    const late = new pg.Client({ connectionString: served.url, connectionTimeoutMillis: 2_000 });
    await expect(late.connect()).rejects.toThrow();
  });

  it('refuses to serve on a non-loopback address', async () => {
    const { db } = await embedded.fresh();
    await expect(serveDatabase(db, { host: '0.0.0.0' as '127.0.0.1' })).rejects.toThrow(/loopback only/);
  });

  it('refuses to serve a PostgreSQL database, which has its own URL', async () => {
    const postgres = testBackends().find((b) => b.name === 'postgres');
    if (!postgres) return expect(adminUrl()).toBeUndefined();
    const { db } = await postgres.fresh();
    await expect(serveDatabase(db)).rejects.toThrow(/embedded database only/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_FMP_BASE_URL,
  loadStartContext,
  resolveDatabaseConfig,
  resolveFmpConfig,
  resolveRunSettings,
  resolveUniverseUrl,
  secretsOf,
} from '../src/config.js';
import { ConfigError, UsageError } from '../src/errors.js';
import { TASK_NAMES } from '../src/tasks.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'smartstock-cli-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('where settings come from', () => {
  it('prefers a flag over the environment over the .env file', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, '.env'), 'FMP_REQUESTS_PER_MINUTE=100\nFMP_API_KEY=from-file\n');
    const fromFile = loadStartContext({}, dir);
    expect(resolveFmpConfig(fromFile, {}).requestsPerMinute).toBe(100);
    expect(resolveFmpConfig(fromFile, {}).apiKey).toBe('from-file');
    const fromEnv = loadStartContext({ FMP_REQUESTS_PER_MINUTE: '750', FMP_API_KEY: 'from-env' }, dir);
    expect(resolveFmpConfig(fromEnv, {}).requestsPerMinute).toBe(750);
    expect(resolveFmpConfig(fromEnv, {}).apiKey).toBe('from-env');
    expect(resolveFmpConfig(fromEnv, { rpm: '0' }).requestsPerMinute).toBe(0);
  });

  it('resolves the data directory against INIT_CWD, where pnpm was started', () => {
    const dir = tempDir();
    const ctx = loadStartContext({ INIT_CWD: dir }, '/somewhere/else');
    expect(resolveDatabaseConfig(ctx, {}).dataDir).toBe(path.join(dir, 'data'));
    expect(resolveDatabaseConfig(ctx, { 'data-dir': 'store' }).dataDir).toBe(path.join(dir, 'store'));
    const fromEnv = loadStartContext({ INIT_CWD: dir, SMARTSTOCK_DATA_DIR: '/abs/dir' }, '/x');
    expect(resolveDatabaseConfig(fromEnv, {}).dataDir).toBe('/abs/dir');
  });

  it('reads the .env of the starting directory only', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, '.env'), 'DATABASE_URL=postgresql://u:p@localhost:5432/db\n');
    expect(resolveDatabaseConfig(loadStartContext({}, dir), {}).url).toBe(
      'postgresql://u:p@localhost:5432/db',
    );
    expect(resolveDatabaseConfig(loadStartContext({}, tempDir()), {}).url).toBeUndefined();
  });

  it('treats an empty variable as unset, as CI passes a missing secret', () => {
    const ctx = loadStartContext({ DATABASE_URL: '', FMP_API_KEY: '  ' }, tempDir());
    expect(resolveDatabaseConfig(ctx, {}).url).toBeUndefined();
    expect(() => resolveFmpConfig(ctx, {})).toThrow(/FMP_API_KEY is not set/);
  });
});

describe('validation', () => {
  const ctx = (env: Record<string, string> = {}) => loadStartContext(env, tempDir());

  it('says how to set a missing key, in one line', () => {
    const error = (() => {
      try {
        resolveFmpConfig(ctx(), {});
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/export FMP_API_KEY=/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses a database URL that is not PostgreSQL without echoing it', () => {
    const url = 'mysql://root:hunter22@db:3306/x';
    expect(() => resolveDatabaseConfig(ctx({ DATABASE_URL: url }), {})).toThrow(ConfigError);
    try {
      resolveDatabaseConfig(ctx({ DATABASE_URL: url }), {});
    } catch (error) {
      expect((error as Error).message).toMatch(
        /^DATABASE_URL must be a PostgreSQL URL such as postgresql:\/\//,
      );
      expect((error as Error).message).not.toContain('hunter22');
    }
  });

  it('accepts only an origin as FMP_BASE_URL and defaults to FMP', () => {
    expect(resolveFmpConfig(ctx({ FMP_API_KEY: 'k' }), {}).baseUrl).toBe(DEFAULT_FMP_BASE_URL);
    expect(
      resolveFmpConfig(ctx({ FMP_API_KEY: 'k', FMP_BASE_URL: 'http://127.0.0.1:8080/' }), {}).baseUrl,
    ).toBe('http://127.0.0.1:8080');
    expect(() => resolveFmpConfig(ctx({ FMP_API_KEY: 'k', FMP_BASE_URL: 'http://x/stable' }), {})).toThrow(
      /FMP_BASE_URL must be an origin/,
    );
  });

  it('names the flag and the bad value of a malformed number', () => {
    expect(() => resolveRunSettings(ctx(), { days: 'five' }, [])).toThrow(
      '--days must be a whole number of calendar days',
    );
    expect(() => resolveRunSettings(ctx(), { concurrency: '0' }, [])).toThrow(
      /--concurrency must be .* \(got "0"\)/,
    );
    expect(() => resolveRunSettings(ctx(), { 'failure-threshold': '5%' }, [])).toThrow(/--failure-threshold/);
    expect(() => resolveFmpConfig(ctx({ FMP_API_KEY: 'k', FMP_REQUESTS_PER_MINUTE: '-1' }), {})).toThrow(
      /^FMP_REQUESTS_PER_MINUTE must be a whole number/,
    );
  });

  it('parses task aliases into the sync_logs names in run order', () => {
    expect(resolveRunSettings(ctx(), { tasks: 'dcf,tickers' }, []).tasks).toEqual([
      'get_russell_2000_list',
      'ingest_all_dcf',
    ]);
    expect(resolveRunSettings(ctx(), { tasks: 'ingest_market_data' }, []).tasks).toEqual([
      'ingest_market_data',
    ]);
    expect(resolveRunSettings(ctx(), { tasks: 'quality,prices' }, []).tasks).toEqual([
      'ingest_market_data',
      'check_data_quality',
    ]);
    expect(() => resolveRunSettings(ctx(), { tasks: 'prices,news' }, [])).toThrow(UsageError);
  });

  it('runs the repair with the default tasks but not in a backfill; --no-repair leaves it out, --repair adds it', () => {
    const all = [...TASK_NAMES];
    const repair = 'repair_price_gaps';
    expect(resolveRunSettings(ctx(), {}, all).tasks).toContain(repair);
    expect(resolveRunSettings(ctx(), { repair: false }, all).tasks).not.toContain(repair);
    expect(resolveRunSettings(ctx(), { from: '2024-03-04' }, all).tasks).not.toContain(repair);
    expect(resolveRunSettings(ctx(), { from: '2024-03-04', repair: true }, all).tasks).toContain(repair);
    expect(resolveRunSettings(ctx(), { tasks: 'prices,dcf', repair: true }, all).tasks).toEqual([
      'ingest_market_data',
      repair,
      'ingest_all_dcf',
    ]);
    expect(resolveRunSettings(ctx(), { tasks: 'repair' }, all).tasks).toEqual([repair]);
  });

  it('reads the new members backfill depth from --history-from or SMARTSTOCK_HISTORY_FROM, the flag first', () => {
    expect(resolveRunSettings(ctx(), { 'history-from': '2020-01-02' }, []).historyFrom).toBe('2020-01-02');
    const env = ctx({ SMARTSTOCK_HISTORY_FROM: '2019-01-02' });
    expect(resolveRunSettings(env, {}, []).historyFrom).toBe('2019-01-02');
    expect(resolveRunSettings(env, { 'history-from': '2020-01-02' }, []).historyFrom).toBe('2020-01-02');
    expect(resolveRunSettings(ctx(), {}, []).historyFrom).toBeUndefined();
    expect(() => resolveRunSettings(ctx(), { 'history-from': '2020-13-01' }, [])).toThrow(
      '--history-from must be a date in YYYY-MM-DD form, e.g. 2021-01-04 (got "2020-13-01")',
    );
  });

  it('reads the repair cap from --repair-max-requests or SMARTSTOCK_REPAIR_MAX_REQUESTS, the flag first', () => {
    expect(resolveRunSettings(ctx(), { 'repair-max-requests': '25' }, []).repairMaxRequests).toBe(25);
    const env = ctx({ SMARTSTOCK_REPAIR_MAX_REQUESTS: '40' });
    expect(resolveRunSettings(env, {}, []).repairMaxRequests).toBe(40);
    expect(resolveRunSettings(env, { 'repair-max-requests': '3' }, []).repairMaxRequests).toBe(3);
    expect(resolveRunSettings(ctx(), {}, []).repairMaxRequests).toBeUndefined();
    expect(() => resolveRunSettings(ctx(), { 'repair-max-requests': '0' }, [])).toThrow(
      '--repair-max-requests must be a whole number of requests >= 1, e.g. 200 (got "0")',
    );
    expect(() => resolveRunSettings(ctx({ SMARTSTOCK_REPAIR_MAX_REQUESTS: 'ten' }), {}, [])).toThrow(
      /^SMARTSTOCK_REPAIR_MAX_REQUESTS must be a whole number of requests >= 1/,
    );
  });

  it('normalises an explicit ticker list and refuses a malformed symbol', () => {
    expect(resolveRunSettings(ctx(), { tickers: 'aapl, brk.b,AAPL' }, []).tickers).toEqual(['AAPL', 'BRK-B']);
    expect(() => resolveRunSettings(ctx(), { tickers: 'AAPL,not a ticker' }, [])).toThrow(/--tickers/);
  });

  it('takes either --days or a --from/--to window', () => {
    expect(resolveRunSettings(ctx(), { from: '2024-01-02', to: '2024-01-31' }, [])).toMatchObject({
      from: '2024-01-02',
      to: '2024-01-31',
    });
    expect(() => resolveRunSettings(ctx(), { days: '5', from: '2024-01-02' }, [])).toThrow(/not both/);
    expect(() => resolveRunSettings(ctx(), { from: '2024-02-30' }, [])).toThrow(/YYYY-MM-DD/);
    expect(() => resolveRunSettings(ctx(), { from: '2024-03-01', to: '2024-02-01' }, [])).toThrow(
      /after --to/,
    );
    expect(() => resolveRunSettings(ctx(), { to: '2024-03-01' }, [])).toThrow(/--to needs --from/);
  });
});

describe('secrets', () => {
  it('hides the key and the database password, encoded or not, but not the rest of the URL', () => {
    expect(secretsOf({ apiKey: 'abc123', databaseUrl: 'postgresql://u:p%40ss@h/db' })).toEqual([
      'abc123',
      'p%40ss',
      'p@ss',
    ]);
    expect(secretsOf({ databaseUrl: 'postgresql://postgres@127.0.0.1:5432/postgres' })).toEqual([]);
  });

  it('hides a database URL that does not parse whole: it may be a password pasted in the wrong place', () => {
    expect(secretsOf({ databaseUrl: 'hunter22-not-a-url' })).toEqual(['hunter22-not-a-url']);
  });
});

describe('URLs that do not parse', () => {
  it('name the setting instead of throwing "Invalid URL"', () => {
    const ctx = loadStartContext(
      { DATABASE_URL: 'not-a-url', FMP_API_KEY: 'k', FMP_BASE_URL: 'not-a-url' },
      tempDir(),
    );
    expect(() => resolveDatabaseConfig(ctx, {})).toThrow(/^DATABASE_URL must be a PostgreSQL URL/);
    expect(() => resolveFmpConfig(ctx, {})).toThrow(
      /^FMP_BASE_URL must be an origin .* \(got "not-a-url"\)$/,
    );
    const universe = loadStartContext({ SMARTSTOCK_UNIVERSE_URL: 'ftp://x/y.csv' }, tempDir());
    expect(() => resolveUniverseUrl(universe)).toThrow(/^SMARTSTOCK_UNIVERSE_URL must be an http\(s\) URL/);
    expect(
      resolveUniverseUrl(loadStartContext({ SMARTSTOCK_UNIVERSE_URL: 'http://x/y.csv' }, tempDir())),
    ).toBe('http://x/y.csv');
  });
});

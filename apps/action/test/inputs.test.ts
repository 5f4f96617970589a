import {
  clientSettingsOf as cliClientSettings,
  loadStartContext,
  resolveFmpConfig,
  resolveRunSettings,
} from '@smartstock/cli';
import { syncClientOptions, TASK_NAMES } from '@smartstock/ingest-core';
import { describe, expect, it } from 'vitest';
import {
  clientSettingsOf,
  INPUT_DEFAULTS,
  INPUT_NAMES,
  parseInputs,
  runOptionsOf,
  secretValues,
} from '../src/inputs.js';

const required = {
  'fmp-api-key': 'k3y-value',
  'database-url': 'postgresql://app:s3cret@db.example:5432/stocks',
};

describe('inputs', () => {
  it('applies the documented defaults when optional inputs are empty', () => {
    const inputs = parseInputs(required, '/ws');
    expect(inputs).toMatchObject({
      tasks: [
        'get_russell_2000_list',
        'ingest_market_data',
        'repair_price_gaps',
        'ingest_all_dcf',
        'check_data_quality',
      ],
      repairMaxRequests: undefined,
      historyFrom: undefined,
      requestsPerMinute: 300,
      failureThreshold: 0.05,
      strict: false,
      fmpBaseUrl: 'https://financialmodelingprep.com',
      dataDir: '/ws/data',
      days: undefined,
      mode: undefined,
    });
  });

  it('runs the repair after the prices unless the repair input is false, and only with the prices unless named', () => {
    const tasks = (more: Record<string, string>) => parseInputs({ ...required, ...more }, '/ws').tasks;
    expect(tasks({ repair: 'false' })).toEqual([
      'get_russell_2000_list',
      'ingest_market_data',
      'ingest_all_dcf',
      'check_data_quality',
    ]);
    expect(tasks({ tasks: 'dcf,quality' })).toEqual(['ingest_all_dcf', 'check_data_quality']);
    expect(tasks({ tasks: 'repair' })).toEqual(['repair_price_gaps']);
    expect(tasks({ tasks: 'prices,repair', repair: 'FALSE' })).toEqual(['ingest_market_data']);
    expect(() => parseInputs({ ...required, repair: 'yes' }, '/ws')).toThrow(
      'input repair must be true or false (got "yes")',
    );
    expect(() => parseInputs({ ...required, 'repair-max-requests': '0' }, '/ws')).toThrow(
      /^input repair-max-requests must be a whole number >= 1/,
    );
  });

  it('reads every optional input, resolving a relative tickers source in the workspace', () => {
    const inputs = parseInputs(
      {
        ...required,
        tasks: 'dcf, prices',
        days: '7',
        'tickers-source': 'lists/iwm.csv',
        mode: 'auto',
        concurrency: '20',
        'requests-per-minute': '0',
        'failure-threshold': '0.1',
        'min-tickers': '10',
        'repair-max-requests': '25',
        strict: 'true',
        'fmp-base-url': 'http://127.0.0.1:8080/',
        'data-dir': '/tmp/out',
      },
      '/ws',
    );
    expect(inputs).toMatchObject({
      tasks: ['ingest_market_data', 'repair_price_gaps', 'ingest_all_dcf'],
      repairMaxRequests: 25,
      days: 7,
      tickersSource: '/ws/lists/iwm.csv',
      mode: 'auto',
      concurrency: 20,
      requestsPerMinute: 0,
      failureThreshold: 0.1,
      minTickers: 10,
      strict: true,
      fmpBaseUrl: 'http://127.0.0.1:8080',
      dataDir: '/tmp/out',
    });
    expect(parseInputs({ ...required, 'tickers-source': 'https://x.test/h.csv' }, '/ws').tickersSource).toBe(
      'https://x.test/h.csv',
    );
  });

  it('reads the alert and ping inputs, with no alert and no ping by default, and never echoes a bad webhook', () => {
    expect(parseInputs(required, '/ws').monitor).toEqual({
      notifyUrls: [],
      notifyOn: 'failed',
      pingStyle: 'healthchecks',
    });
    const inputs = parseInputs(
      {
        ...required,
        'notify-urls': 'https://hooks.slack.com/services/A/B/C, https://example.test/hook',
        'notify-on': 'partial',
        'ping-url': 'https://hc-ping.com/0f1e2d3c',
        'ping-style': 'cronitor',
      },
      '/ws',
    );
    expect(inputs.monitor).toEqual({
      notifyUrls: ['https://hooks.slack.com/services/A/B/C', 'https://example.test/hook'],
      notifyOn: 'partial',
      pingUrl: 'https://hc-ping.com/0f1e2d3c',
      pingStyle: 'cronitor',
    });
    expect(() => parseInputs({ ...required, 'notify-urls': 'T000/B000/secret' }, '/ws')).toThrow(
      /^input notify-urls must be http\(s\) webhook URLs, comma-separated$/,
    );
    expect(() => parseInputs({ ...required, 'notify-on': 'sometimes' }, '/ws')).toThrow(
      'input notify-on must be failed, partial or always (got "sometimes")',
    );
  });

  it('refuses a missing required input, saying how to pass it', () => {
    expect(() => parseInputs({ 'database-url': required['database-url'] }, '/ws')).toThrow(
      /^input fmp-api-key is required: pass it from a secret/,
    );
    expect(() => parseInputs({ 'fmp-api-key': 'k3y' }, '/ws')).toThrow(/^input database-url is required/);
  });

  it('refuses a malformed database URL without echoing it', () => {
    try {
      parseInputs({ ...required, 'database-url': 'mysql://root:hunter22@db/x' }, '/ws');
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/^input database-url must be a postgresql:\/\//);
      expect((error as Error).message).not.toContain('hunter22');
    }
  });

  it('names the input and the value of any other mistake', () => {
    expect(() => parseInputs({ ...required, tasks: 'prices,news' }, '/ws')).toThrow(
      'input tasks has an unknown task "news"',
    );
    expect(() => parseInputs({ ...required, days: 'week' }, '/ws')).toThrow(
      /input days must be a whole number/,
    );
    expect(() => parseInputs({ ...required, strict: 'yes' }, '/ws')).toThrow(
      /input strict must be true or false/,
    );
    expect(() => parseInputs({ ...required, mode: 'fast' }, '/ws')).toThrow(
      /input mode must be one of per-symbol/,
    );
    expect(() => parseInputs({ ...required, 'fmp-base-url': 'https://x.test/stable' }, '/ws')).toThrow(
      /input fmp-base-url must be an origin/,
    );
  });

  it('masks the key and the database password, as the CLI does, so a message can still name the database', () => {
    expect(secretValues({ apiKey: required['fmp-api-key'], databaseUrl: required['database-url'] })).toEqual([
      'k3y-value',
      's3cret',
    ]);
    expect(
      secretValues({
        apiKey: required['fmp-api-key'],
        databaseUrl: 'not a url: hunter2-pasted',
        budgetRedisUrl: 'redis://:r3dis-pass@cache:6379',
      }),
    ).toEqual(['k3y-value', 'not a url: hunter2-pasted', 'r3dis-pass']);
  });

  it('knows every input it reads, with defaults only for optional ones', () => {
    expect(INPUT_NAMES).toContain('fmp-api-key');
    for (const name of Object.keys(INPUT_DEFAULTS)) expect(INPUT_NAMES).toContain(name);
  });
});

describe('the FMP client the Action builds', () => {
  it('keeps as many calls in flight as the sync has price workers, with default inputs (50, as the CLI)', () => {
    const inputs = parseInputs(
      { 'fmp-api-key': 'k-0123456789', 'database-url': 'postgresql://u@h/db' },
      '/ws',
    );
    expect(syncClientOptions(clientSettingsOf(inputs))).toMatchObject({
      maxConcurrent: 50,
      rateLimit: { requests: 300 },
      baseUrl: 'https://financialmodelingprep.com',
    });
  });
});

describe('the Action and the CLI, given the same settings', () => {
  const key = 'k3y-0123456789abcdef';
  const cases: {
    name: string;
    inputs: Record<string, string>;
    env: Record<string, string>;
    flags: Record<string, string>;
  }[] = [
    { name: 'defaults', inputs: {}, env: {}, flags: {} },
    {
      name: 'a Premium budget, 20 workers and another origin',
      inputs: { 'requests-per-minute': '750', concurrency: '20', 'fmp-base-url': 'http://127.0.0.1:8089' },
      env: { FMP_REQUESTS_PER_MINUTE: '750', FMP_BASE_URL: 'http://127.0.0.1:8089' },
      flags: { concurrency: '20' },
    },
    {
      name: 'a budget shared through Redis, unreachable for at most 30 s',
      inputs: { 'budget-redis-url': 'redis://:pw@redis.internal:6379', 'budget-redis-timeout': '30' },
      env: { FMP_BUDGET_REDIS_URL: 'redis://:pw@redis.internal:6379' },
      flags: { 'budget-redis-timeout': '30s' },
    },
    {
      name: 'no client-side budget and 3 workers',
      inputs: { 'requests-per-minute': '0', concurrency: '3' },
      env: { FMP_REQUESTS_PER_MINUTE: '0' },
      flags: { concurrency: '3' },
    },
  ];
  for (const c of cases) {
    it(`build the same FMP client options: ${c.name}`, () => {
      const action = parseInputs(
        { 'fmp-api-key': key, 'database-url': 'postgresql://u@h/db', ...c.inputs },
        '/ws',
      );
      const ctx = loadStartContext({ FMP_API_KEY: key, ...c.env }, '/nowhere');
      const cli = cliClientSettings(
        resolveFmpConfig(ctx, c.flags),
        resolveRunSettings(ctx, c.flags, ['ingest_market_data']),
      );
      expect(syncClientOptions(cli)).toEqual(syncClientOptions(clientSettingsOf(action)));
    });
  }

  const runCases: {
    name: string;
    inputs: Record<string, string>;
    flags: Record<string, string | boolean>;
  }[] = [
    { name: 'defaults', inputs: {}, flags: {} },
    {
      name: 'a 10-day window in bulk mode, 8 workers, 10% failures allowed, a 500-ticker minimum',
      inputs: {
        days: '10',
        mode: 'bulk',
        concurrency: '8',
        'failure-threshold': '0.1',
        'min-tickers': '500',
      },
      flags: { days: '10', mode: 'bulk', concurrency: '8', 'failure-threshold': '0.1', 'min-tickers': '500' },
    },
    { name: 'the S&P SmallCap 600 fund, in lower case', inputs: { fund: 'ijr' }, flags: { fund: 'ijr' } },
    { name: 'no repair', inputs: { repair: 'false' }, flags: { repair: false } },
    {
      name: 'a repair of at most 25 requests',
      inputs: { 'repair-max-requests': '25' },
      flags: { 'repair-max-requests': '25' },
    },
    {
      name: 'new members backfilled to 2020-01-02',
      inputs: { 'history-from': '2020-01-02' },
      flags: { 'history-from': '2020-01-02' },
    },
  ];
  for (const c of runCases) {
    it(`build the same run options: ${c.name}`, () => {
      const action = parseInputs(
        { 'fmp-api-key': key, 'database-url': 'postgresql://u@h/db', ...c.inputs },
        '/ws',
      );
      // The CLI's --repair/--no-repair has shaped its task list, as the Action's repair input has.
      const {
        tickersSourceOrigin: _origin,
        repair: _repair,
        ...cli
      } = resolveRunSettings(loadStartContext({}, '/nowhere'), c.flags, [...TASK_NAMES]);
      expect(cli).toEqual(runOptionsOf(action));
    });
  }

  for (const [input, flag, value] of [
    ['concurrency', 'concurrency', '0'],
    ['concurrency', 'concurrency', '1001'],
    ['failure-threshold', 'failure-threshold', '1.5'],
    ['min-tickers', 'min-tickers', '0'],
    ['mode', 'mode', 'fast'],
    ['fund', 'fund', 'SPY'],
  ] as const) {
    it(`both refuse ${input} ${value} by the same rule`, () => {
      expect(() =>
        parseInputs({ 'fmp-api-key': key, 'database-url': 'postgresql://u@h/db', [input]: value }, '/ws'),
      ).toThrow(new RegExp(`input ${input} .*\\(got "${value}"\\)`));
      expect(() => resolveRunSettings(loadStartContext({}, '/nowhere'), { [flag]: value }, [])).toThrow(
        new RegExp(`--${flag} must be .*\\(got "${value}"\\)`),
      );
    });
  }
});

import { describe, expect, it } from 'vitest';
import { assertKnownArgs } from '../src/args.js';
import { statusArgs, syncArgs, tickersArgs } from '../src/args-def.js';
import { parseDuration } from '../src/duration.js';
import { ExitCode, exitCodeFor, exitCodeForTasks, UsageError } from '../src/errors.js';

describe('unknown flags', () => {
  it('accepts declared flags in both spellings, with or without =', () => {
    expect(() =>
      assertKnownArgs(
        ['--days', '5', '--tickers-source=x.csv', '--dcfConcurrency', '3', '--strict', '--no-json'],
        syncArgs,
        'smartstock sync',
      ),
    ).not.toThrow();
  });

  it('refuses a typo and suggests the flag it resembles', () => {
    expect(() => assertKnownArgs(['--day', '5'], syncArgs, 'smartstock sync')).toThrow(
      /unknown option --day for "smartstock sync" \(did you mean --days\?\)/,
    );
  });

  it('refuses a flag that belongs to another command', () => {
    expect(() => assertKnownArgs(['--days', '5'], statusArgs, 'smartstock status')).toThrow(UsageError);
  });

  it('refuses a value flag given without its value', () => {
    expect(() => assertKnownArgs(['--days'], syncArgs, 'smartstock sync')).toThrow(/--days needs a value/);
    expect(() => assertKnownArgs(['--days', '--strict'], syncArgs, 'smartstock sync')).toThrow(
      /needs a value/,
    );
  });

  it('allows one positional for tickers and no stray ones elsewhere', () => {
    expect(() =>
      assertKnownArgs(['holdings.csv', '--out', 'x.txt'], tickersArgs, 'smartstock tickers'),
    ).not.toThrow();
    expect(() => assertKnownArgs(['a.csv', 'b.csv'], tickersArgs, 'smartstock tickers')).toThrow(
      /unexpected argument/,
    );
    expect(() => assertKnownArgs(['now'], syncArgs, 'smartstock sync')).toThrow(/unexpected argument "now"/);
  });
});

describe('exit codes', () => {
  it('is 0 for success and partial, 1 for failed or partial under --strict', () => {
    expect(exitCodeForTasks([{ status: 'success' }, { status: 'partial' }], false)).toBe(ExitCode.Ok);
    expect(exitCodeForTasks([{ status: 'success' }, { status: 'partial' }], true)).toBe(ExitCode.Failed);
    expect(exitCodeForTasks([{ status: 'failed' }], false)).toBe(ExitCode.Failed);
  });

  it('maps a held lock to 3, usage to 2 and anything else to 1', () => {
    expect(exitCodeFor(Object.assign(new Error('another sync is running'), { code: 'RUN_LOCKED' }))).toBe(3);
    expect(exitCodeFor(Object.assign(new Error('held by pid 4'), { code: 'DATABASE_LOCKED' }))).toBe(3);
    expect(exitCodeFor(new UsageError('bad'))).toBe(2);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });
});

describe('durations', () => {
  it('reads hours, minutes, days and seconds, a bare number as hours', () => {
    expect(parseDuration('26h')).toBe(26 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2d')).toBe(2 * 86_400_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5')).toBe(5_400_000);
    expect(() => parseDuration('soon')).toThrow(/--max-age must be a positive duration/);
  });
});

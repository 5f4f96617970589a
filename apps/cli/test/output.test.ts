import { describe, expect, it } from 'vitest';
import { describeFindings, type Io, qualityLines, qualityOf, Reporter, renderTable } from '../src/output.js';

function io(
  tty: boolean,
  options: { columns?: number; env?: Record<string, string> } = {},
): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: tty, columns: options.columns },
    stderr: { write: (s: string) => err.push(s), isTTY: tty, columns: options.columns },
    env: options.env ?? {},
    cwd: '/',
  };
}

const RUN_ID = '1a2b3c4d-5e6f-4a0b-8c9d-0e1f2a3b4c5d';
const width = (line: string) => [...line.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')].length;

const clock = () => Date.parse('2025-06-02T05:00:01.123Z');

describe('the reporter', () => {
  it('writes plain timestamped lines with the runId and no escape codes when not on a terminal', () => {
    const target = io(false);
    const reporter = new Reporter(target, { now: clock });
    reporter.runId = 'run-1';
    reporter.logger().warn('skipped a ticker', { ticker: 'MOG-A', reason: 'plan 402' });
    expect(target.err.join('')).toBe(
      '2025-06-02T05:00:01.123Z WARN  skipped a ticker ticker=MOG-A reason="plan 402" runId=run-1\n',
    );
  });

  it('never prints a secret, in a message or a field', () => {
    const target = io(false);
    const reporter = new Reporter(target, { secrets: ['k3y-abcdef'], now: clock });
    reporter
      .logger()
      .error('GET /stable/x?apikey=k3y-abcdef failed', { url: 'postgresql://u:hunter22@h/db' });
    reporter.out('key k3y-abcdef');
    const all = target.err.join('') + target.out.join('');
    expect(all).not.toContain('k3y-abcdef');
    expect(all).not.toContain('hunter22');
  });

  it('shows debug lines only when verbose', () => {
    const quiet = io(false);
    new Reporter(quiet).logger().debug('detail');
    expect(quiet.err).toEqual([]);
    const verbose = io(false);
    new Reporter(verbose, { verbose: true }).logger().debug('detail');
    expect(verbose.err.join('')).toContain('DEBUG detail');
  });

  it('draws a progress bar with done/total, rate, ETA and failures on a terminal', () => {
    const target = io(true);
    let now = 0;
    const reporter = new Reporter(target, { now: () => now });
    reporter.progress({ task: 'ingest_market_data', done: 0, total: 100, failed: 0 });
    now = 10_000;
    reporter.progress({ task: 'ingest_market_data', done: 50, total: 100, failed: 2 });
    const drawn = target.err.join('');
    expect(drawn).toContain('\r\u001b[2K');
    expect(drawn).toMatch(/prices .* 50\/100 {2}5\.0\/s {2}ETA 10s {2}.*2 failed/);
  });

  it('prints a progress line per tenth of a task when not on a terminal', () => {
    const target = io(false);
    const reporter = new Reporter(target, { now: clock });
    for (let done = 0; done <= 100; done++)
      reporter.progress({ task: 'ingest_all_dcf', done, total: 100, failed: 0 });
    const lines = target.err.join('').trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toContain('dcf progress 100/100');
    expect(target.err.join('')).not.toContain('\u001b[');
  });
});

describe('the reporter on a terminal', () => {
  it('shows time, level, an 8-character run tag and key=value fields, nested values flattened and long ones cut', () => {
    const target = io(true, { columns: 160, env: { NO_COLOR: '1' } });
    const reporter = new Reporter(target, { now: clock });
    reporter.runId = RUN_ID;
    reporter.logger().info('task finished', {
      task: 'ingest_market_data',
      status: 'success',
      counts: { ok: 38, no_data: 2 },
      note: 'x'.repeat(100),
    });
    expect(target.err.join('')).toBe(
      `05:00:01 INFO  1a2b3c4d task finished task=ingest_market_data status=success counts.ok=38 counts.no_data=2 note=${'x'.repeat(39)}…\n`,
    );
  });

  it('colours a line only when NO_COLOR is not set', () => {
    const coloured = io(true, { columns: 120 });
    new Reporter(coloured, { now: clock }).logger().warn('careful');
    expect(coloured.err.join('')).toContain('\u001b[33mWARN ');
    const plain = io(true, { columns: 120, env: { NO_COLOR: '1' } });
    new Reporter(plain, { now: clock }).logger().warn('careful');
    expect(plain.err.join('')).toBe('05:00:01 WARN  careful\n');
  });

  it('cuts an event line to the terminal width, so that it never wraps, and says that fields were left out', () => {
    const target = io(true, { columns: 60 });
    const reporter = new Reporter(target, { now: clock });
    reporter.runId = RUN_ID;
    reporter
      .logger()
      .info('sync started', { tasks: ['get_russell_2000_list', 'ingest_market_data'], mode: 'bulk' });
    reporter.logger().error(`a message longer than the terminal ${'word '.repeat(20)}`);
    const lines = target.err.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(width(line)).toBeLessThanOrEqual(59);
    expect(lines[0]).toContain('sync started');
    expect(lines[0]).toMatch(/…/);
  });

  it('word-wraps a verdict to the width, indented, instead of cutting what to do', () => {
    const target = io(true, { columns: 60, env: { NO_COLOR: '1' } });
    const reporter = new Reporter(target, { now: clock });
    const verdict = `FAILED ingest_all_dcf: ${'because '.repeat(12)}do this instead`;
    reporter.notice('error', verdict);
    const lines = target.err.join('').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(width(line)).toBeLessThanOrEqual(59);
    expect(lines.slice(1).every((l) => l.startsWith(' '.repeat('05:00:01 ERROR '.length)))).toBe(true);
    expect(lines.map((l) => l.trim()).join(' ')).toBe(`05:00:01 ERROR ${verdict.trim()}`);
  });
});

describe('--log-format json', () => {
  it('writes one JSON object a line with time, level, message, runId, task and every field, redacted', () => {
    const target = io(true, { columns: 40 });
    const reporter = new Reporter(target, { now: clock, format: 'json', secrets: ['k3y-abcdef'] });
    reporter.runId = RUN_ID;
    reporter.logger().warn('skipped a ticker', {
      task: 'ingest_market_data',
      ticker: 'MOG-A',
      detail: { url: '/stable/x?apikey=k3y-abcdef', codes: [402] },
    });
    const text = target.err.join('');
    expect(text).not.toContain('k3y-abcdef');
    expect(text).not.toContain('\u001b[');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toEqual({
      time: '2025-06-02T05:00:01.123Z',
      level: 'warn',
      message: 'skipped a ticker',
      runId: RUN_ID,
      task: 'ingest_market_data',
      fields: {
        ticker: 'MOG-A',
        detail: { url: expect.stringContaining('/stable/x?apikey='), codes: [402] },
      },
    });
  });
});

describe('tables', () => {
  it('aligns columns, numbers to the right', () => {
    expect(
      renderTable(
        ['task', 'rows'],
        [
          ['prices', '5'],
          ['dcf', '1234'],
        ],
        [1],
      ),
    ).toBe(['task    rows', '------  ----', 'prices     5', 'dcf     1234'].join('\n'));
  });
});

describe('the data checks in a summary', () => {
  const quality = {
    since: '2024-03-04',
    asOf: '2024-03-08',
    total: 6,
    findings: [
      { check: 'ohlc', count: 0, examples: [] },
      { check: 'big_move', count: 1, examples: ['ACME 2024-03-07: close 30 after 10 (200.0%)'] },
      {
        check: 'stale',
        count: 5,
        examples: [
          'AAA: last bar 2024-03-01',
          'BBB: last bar 2024-03-01',
          'CCC: last bar 2024-03-04',
          'DDD: last bar 2024-03-04',
        ],
      },
    ],
  };

  it('prints one line per check that found rows, with its first examples and how many more', () => {
    expect(qualityLines(quality)).toEqual([
      '  1 close-to-close move over 50%: ACME 2024-03-07: close 30 after 10 (200.0%)',
      '  5 stale tickers (no new bar for 3 sessions or more): AAA: last bar 2024-03-01; BBB: last bar 2024-03-01; CCC: last bar 2024-03-04; +2 more',
    ]);
    expect(describeFindings(quality)).toBe('big_move 1, stale 5');
  });

  it('reads the findings from a sync_logs row of the data checks only', () => {
    expect(qualityOf({ quality })).toBe(quality);
    expect(qualityOf({ counts: {} })).toBeNull();
    expect(qualityOf({ quality: { total: 'x' } })).toBeNull();
    expect(qualityOf(null)).toBeNull();
  });
});

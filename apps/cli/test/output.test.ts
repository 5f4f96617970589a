import { describe, expect, it } from 'vitest';
import { type Io, Reporter, renderTable } from '../src/output.js';

function io(tty: boolean): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (s: string) => out.push(s), isTTY: tty },
    stderr: { write: (s: string) => err.push(s), isTTY: tty },
    env: {},
    cwd: '/',
  };
}

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

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSandboxArgs, runSandboxCli } from '../src/index.js';

function sink() {
  let text = '';
  return {
    write: (t: string) => (text += t),
    get text() {
      return text;
    },
  };
}

describe('the fmp-sandbox command', () => {
  it('parses every documented flag', () => {
    expect(
      parseSandboxArgs([
        '--port',
        '0',
        '--tickers',
        '10000',
        '--seed',
        '7',
        '--rpm',
        '1200',
        '--rate-window-ms',
        '60000',
        '--latency-ms',
        '30',
        '--plan',
        'starter',
        '--api-key',
        'k',
        '--faults',
        '5xx=0.05,reset=0.01',
      ]),
    ).toEqual({
      port: 0,
      tickers: 10_000,
      seed: 7,
      rpm: 1200,
      rateWindowMs: 60_000,
      latencyMs: 30,
      plan: 'starter',
      apiKey: 'k',
      faults: '5xx=0.05,reset=0.01',
    });
  });

  it('exits 2 with a clear message on a bad flag', async () => {
    for (const [argv, message] of [
      [['--plan', 'gold'], /--plan must be starter, premium or ultimate, got "gold"/],
      [['--rpm', 'fast'], /--rpm must be an integer, got "fast"/],
      [['--port', '70000'], /--port must be from 0 to 65535/],
      [['--faults', 'boom=1'], /unknown fault kind "boom"/],
      [['--bogus'], /Unknown option '--bogus'/],
    ] as const) {
      const stderr = sink();
      expect(await runSandboxCli(argv, { stderr, stdout: sink() })).toBe(2);
      expect(stderr.text).toMatch(message);
      expect(stderr.text).toContain('Usage: fmp-sandbox');
    }
  });

  it('runs in-process until its signal is aborted', async () => {
    const stdout = sink();
    const controller = new AbortController();
    const done = runSandboxCli(['--port', '0', '--tickers', '20'], {
      stdout,
      stderr: sink(),
      signal: controller.signal,
    });
    while (!stdout.text.includes('\n')) await new Promise((r) => setTimeout(r, 5));
    expect(stdout.text).toMatch(/^FMP sandbox listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = stdout.text.trim().split(' ').at(-1)!;
    expect((await fetch(`${url}/stable/stock-list`, { headers: { apikey: 'sandbox-key' } })).status).toBe(
      200,
    );
    controller.abort();
    expect(await done).toBe(0);
  });

  it('runs as a process, prints exactly the listening line, and exits 0 on SIGTERM', async () => {
    const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', bin, '--port', '0', '--tickers', '20', '--api-key', 'abc'],
      { cwd },
    );
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    expect(line).toMatch(/^FMP sandbox listening on http:\/\/127\.0\.0\.1:\d+\n$/);
    const url = line.trim().split(' ').at(-1)!;
    expect((await fetch(`${url}/stable/stock-list`, { headers: { apikey: 'abc' } })).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFailedLogWriter, FAILED_LOG_FILE } from './failed-log.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ingest-failed-log-'));
  dirs.push(d);
  return d;
}

const entry = {
  time: '2026-05-05T22:00:00.000Z',
  runId: '7c1f3a52-0000-4000-8000-000000000000',
  task: 'ingest_market_data',
  ticker: 'ACME',
  outcome: 'failed',
  httpStatus: 503,
  message: 'server error',
};

describe('createFailedLogWriter', () => {
  it('appends one JSON line per entry with the documented fields, creating the data directory', async () => {
    const dir = join(await tempDir(), 'nested', 'data');
    const writer = createFailedLogWriter(dir);
    await writer.write([entry, { ...entry, ticker: 'BETA', outcome: 'skipped', httpStatus: 402 }]);
    await createFailedLogWriter(dir).write([{ ...entry, ticker: 'GAMA', httpStatus: null }]);
    const lines = (await readFile(join(dir, FAILED_LOG_FILE), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      entry,
      { ...entry, ticker: 'BETA', outcome: 'skipped', httpStatus: 402 },
      { ...entry, ticker: 'GAMA', httpStatus: null },
    ]);
    expect(writer.written).toBe(2);
  });

  it('keeps concurrent writes whole and in order', async () => {
    const dir = await tempDir();
    const writer = createFailedLogWriter(dir);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        writer.write([{ ...entry, ticker: `T${String(i).padStart(3, '0')}` }]),
      ),
    );
    const tickers = (await readFile(writer.path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).ticker);
    expect(tickers).toEqual(Array.from({ length: 100 }, (_, i) => `T${String(i).padStart(3, '0')}`));
  });

  it('never writes a secret, even inside a URL in the message', async () => {
    const dir = await tempDir();
    const writer = createFailedLogWriter(dir, { secrets: ['sk-live-SECRET123'] });
    await writer.write([
      { ...entry, message: 'GET https://fmp.example/stable/dcf?symbol=ACME&apikey=sk-live-SECRET123 failed' },
      { ...entry, message: 'token=other-token leaked? key sk-live-SECRET123' },
    ]);
    const text = await readFile(writer.path, 'utf8');
    expect(text).not.toContain('SECRET123');
    expect(text).not.toContain('other-token');
    expect(text).toContain('apikey=***');
  });
});

// Run in a separate process by market.test.ts: prints a digest of what a sandbox with the given seed serves.
import { createHash } from 'node:crypto';
import { SandboxCore } from '../../src/index.js';

const seed = Number(process.argv[2] ?? '1');
const core = new SandboxCore({ seed, tickers: 300, now: '2026-05-05T21:00:00Z' });
const m = core.market;
const sha = (v: unknown) =>
  createHash('sha256')
    .update(typeof v === 'string' ? v : JSON.stringify(v))
    .digest('hex');
const symbols = m.fmpSymbols();
process.stdout.write(
  JSON.stringify({
    symbols: sha(symbols),
    bars: sha(symbols.slice(0, 20).map((s) => m.bars(s, '2024-01-01', '2026-05-05'))),
    dcf: sha(m.dcfBulk()),
    holdings: sha(m.holdingsCsv()),
  }),
);

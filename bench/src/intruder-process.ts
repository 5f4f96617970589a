/**
 * Child-process entry: another user of the same FMP key (a web app calling FMP live), sending one DCF call
 * every `everyMs` through the shared budget until the parent says stop. Runs the built fmp-client.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createFmpClient } from '@smartstock/fmp-client';
import { stderrLogger } from './log.js';
import type { IntruderChildMessage, IntruderConfig, IntruderParentMessage } from './protocol.js';

function send(message: IntruderChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

let stopping = false;

async function run(config: IntruderConfig): Promise<void> {
  const client = createFmpClient({
    apiKey: config.apiKey,
    baseUrl: config.baseUrl,
    rateLimit: config.rateLimit,
    budget: config.budget,
    maxConcurrent: 8,
    logger: stderrLogger('intruder', 'warn'),
  });
  const calls: Promise<unknown>[] = [];
  let failed = 0;
  await send({ type: 'started' });
  // A steady pace on its own clock: each call leaves on schedule, whether or not the last one came back.
  const began = performance.now();
  for (let i = 0; !stopping; i++) {
    const symbol = config.symbols[i % config.symbols.length]!;
    calls.push(client.getDcf(symbol).catch(() => (failed += 1)));
    const next = began + (i + 1) * config.everyMs;
    await sleep(Math.max(0, next - performance.now()));
  }
  await Promise.allSettled(calls);
  await client.close();
  await send({
    type: 'done',
    requests: client.stats.requests,
    rateLimited: client.stats.rateLimited,
    failed,
  });
}

process.on('message', (raw) => {
  const message = raw as IntruderParentMessage;
  if (message.type === 'stop') stopping = true;
  else
    void run(message.config)
      .catch((error: unknown) =>
        send({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
      )
      .finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(1));

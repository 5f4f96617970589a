/**
 * Runs `worker` over `items` with at most `concurrency` in flight. `stop()` (from inside a worker or
 * outside) lets in-flight items finish and starts no new one.
 */
export interface Pool {
  stop(): void;
  readonly stopped: boolean;
}

export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  worker: (item: T, index: number, pool: Pool) => Promise<void>,
): Promise<void> {
  let next = 0;
  let stopped = false;
  const pool: Pool = {
    stop() {
      stopped = true;
    },
    get stopped() {
      return stopped;
    },
  };
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (!stopped && next < items.length) {
      const index = next++;
      await worker(items[index]!, index, pool);
    }
  });
  await Promise.all(lanes);
}

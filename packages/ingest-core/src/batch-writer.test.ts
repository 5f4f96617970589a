import { describe, expect, it } from 'vitest';
import { BatchWriter } from './batch-writer.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('BatchWriter', () => {
  it('makes producers wait while the allowed batches are being written, so batches never pile up', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const written: number[][] = [];
    const writer = new BatchWriter<number>(
      async (rows) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const gate = deferred();
        gates.push(gate);
        await gate.promise;
        written.push(rows);
        inFlight--;
        return { inserted: rows.length, updated: 0 };
      },
      10,
      undefined,
      1,
    );

    // 20 producers each add 5 rows: the first full batch starts a write that we hold open.
    let settled = 0;
    const producers = Array.from({ length: 20 }, (_, p) =>
      writer.add([p * 5, p * 5 + 1, p * 5 + 2, p * 5 + 3, p * 5 + 4]).then(() => settled++),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(gates).toHaveLength(1);
    // Every producer after the second batch filled is waiting: fetching cannot run ahead of the database.
    expect(settled).toBeLessThanOrEqual(2);

    while (written.flat().length < 100) {
      await new Promise((r) => setTimeout(r, 1));
      for (const g of gates.splice(0)) g.resolve();
      if (settled === 20) await writer.flush();
    }
    await Promise.all(producers);
    expect(maxInFlight).toBe(1);
    expect(written.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(writer.inserted).toBe(100);
  });

  it('writes two batches at once by default and never a third', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const writer = new BatchWriter<number>(async (rows) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      inFlight--;
      return { inserted: rows.length, updated: 0 };
    }, 2);
    const producers = Array.from({ length: 10 }, (_, p) => writer.add([p * 2, p * 2 + 1]));
    await new Promise((r) => setTimeout(r, 10));
    expect(gates).toHaveLength(2);
    while (writer.written < 20) {
      for (const g of gates.splice(0)) g.resolve();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(producers);
    await writer.flush();
    expect(maxInFlight).toBe(2);
    expect(writer.inserted).toBe(20);
  });

  it('rethrows a failed write to the next producer instead of buffering more rows', async () => {
    const writer = new BatchWriter<number>(async () => {
      throw new Error('database gone');
    }, 2);
    await expect(writer.add([1, 2])).rejects.toThrow('database gone');
    await expect(writer.add([3])).rejects.toThrow('database gone');
  });
});

import { describe, expect, it } from 'vitest';
import { BatchWriter } from './batch-writer.js';
import { runPool } from './pool.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('runPool', () => {
  it('processes every item with at most `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await runPool(
      Array.from({ length: 50 }, (_, i) => i),
      7,
      async (n) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await tick();
        seen.push(n);
        inFlight--;
      },
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(7);
  });

  it('starts no new item after stop()', async () => {
    const started: number[] = [];
    await runPool([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, async (n, _i, pool) => {
      started.push(n);
      await tick();
      if (n === 1) pool.stop();
    });
    expect(started.length).toBeLessThanOrEqual(5);
    expect(started).toContain(1);
  });
});

describe('BatchWriter', () => {
  it('writes full batches as rows arrive and the rest on flush, one batch at a time', async () => {
    const batches: number[][] = [];
    let writing = false;
    const writer = new BatchWriter<number, string>(async (rows) => {
      expect(writing).toBe(false);
      writing = true;
      await tick();
      batches.push(rows);
      writing = false;
      return { inserted: rows.length, updated: 0 };
    }, 4);
    await writer.add([1, 2, 3]);
    expect(batches).toEqual([]);
    await writer.add([4, 5]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
    await writer.add([6]);
    await writer.flush();
    expect(batches).toEqual([[1, 2, 3, 4, 5], [6]]);
    expect({ inserted: writer.inserted, written: writer.written, batches: writer.batches }).toEqual({
      inserted: 6,
      written: 6,
      batches: 2,
    });
  });

  it('hands markers to afterWrite only once their rows are stored', async () => {
    const stored: number[] = [];
    const recorded: string[][] = [];
    const writer = new BatchWriter<number, string>(
      async (rows) => {
        stored.push(...rows);
        return { inserted: rows.length, updated: 0 };
      },
      10,
      async (markers) => {
        expect(stored.length).toBeGreaterThan(0);
        recorded.push(markers);
      },
    );
    await writer.add([1, 2], ['A']);
    expect(recorded).toEqual([]);
    await writer.flush();
    expect(recorded).toEqual([['A']]);
  });

  it('rethrows the first write failure on every later add and flush', async () => {
    const boom = new Error('disk full');
    const writer = new BatchWriter<number>(async () => {
      throw boom;
    }, 1);
    await expect(writer.add([1])).rejects.toBe(boom);
    await expect(writer.add([2])).rejects.toBe(boom);
    await expect(writer.flush()).rejects.toBe(boom);
    expect(writer.error).toBe(boom);
    expect(writer.written).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { chunkWindow } from './chunks.js';

describe('chunkWindow', () => {
  it('cuts a long window at 5-year calendar blocks so reruns produce the same windows', () => {
    expect(chunkWindow('2012-03-15', '2026-05-05')).toEqual([
      { from: '2012-03-15', to: '2014-12-31' },
      { from: '2015-01-01', to: '2019-12-31' },
      { from: '2020-01-01', to: '2024-12-31' },
      { from: '2025-01-01', to: '2026-05-05' },
    ]);
  });

  it('keeps a short window whole', () => {
    expect(chunkWindow('2026-05-01', '2026-05-05')).toEqual([{ from: '2026-05-01', to: '2026-05-05' }]);
  });

  it('handles a window of one day at a block boundary and an empty window', () => {
    expect(chunkWindow('2024-12-31', '2025-01-01')).toEqual([
      { from: '2024-12-31', to: '2024-12-31' },
      { from: '2025-01-01', to: '2025-01-01' },
    ]);
    expect(chunkWindow('2025-01-02', '2025-01-01')).toEqual([]);
  });

  it('never asks for more than 5 calendar years in one call', () => {
    for (const c of chunkWindow('1985-06-01', '2026-01-01')) {
      expect(Number(c.to.slice(0, 4)) - Number(c.from.slice(0, 4))).toBeLessThanOrEqual(4);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { chunkWindow, isChunkComplete } from './chunks.js';

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

describe('isChunkComplete', () => {
  // Markers end at the last closed session, never at a weekend or holiday.
  const marker = (from: string, to: string) => [{ from, to }];

  it('counts a window ending on a Saturday complete once its Friday is stored', () => {
    const chunk = { from: '2026-05-04', to: '2026-05-09' };
    expect(isChunkComplete(chunk, marker('2026-05-04', '2026-05-08'), '2026-05-08')).toBe(true);
  });

  it('counts a window ending on a holiday complete once the session before it is stored', () => {
    // 2026-11-26 is Thanksgiving: the window's last session is Wednesday the 25th.
    const chunk = { from: '2026-11-20', to: '2026-11-26' };
    expect(isChunkComplete(chunk, marker('2026-11-20', '2026-11-25'), '2026-11-25')).toBe(true);
    expect(isChunkComplete(chunk, marker('2026-11-20', '2026-11-24'), '2026-11-24')).toBe(false);
  });

  it('does not count a window complete while its last session has not closed', () => {
    const chunk = { from: '2026-05-04', to: '2026-05-08' };
    // Run before Friday's close: the marker stops at Thursday, and Friday must still be fetched.
    expect(isChunkComplete(chunk, marker('2026-05-04', '2026-05-07'), '2026-05-07')).toBe(false);
    expect(isChunkComplete(chunk, marker('2026-05-04', '2026-05-08'), '2026-05-08')).toBe(true);
  });

  it('needs a marker that starts at or before the window and reaches its last session', () => {
    const chunk = { from: '2026-05-04', to: '2026-05-08' };
    expect(isChunkComplete(chunk, marker('2026-05-05', '2026-05-08'), '2026-05-08')).toBe(false);
    expect(isChunkComplete(chunk, [], '2026-05-08')).toBe(false);
    expect(isChunkComplete(chunk, marker('2026-05-01', '2026-05-12'), '2026-05-12')).toBe(true);
  });

  it('never counts a window without sessions complete, nor one before any session closed', () => {
    expect(
      isChunkComplete(
        { from: '2026-05-09', to: '2026-05-10' },
        marker('2026-05-01', '2026-05-12'),
        '2026-05-12',
      ),
    ).toBe(false);
    expect(
      isChunkComplete({ from: '2026-05-04', to: '2026-05-08' }, marker('2026-05-04', '2026-05-08'), null),
    ).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  DatabaseError,
  membersOn,
  migrate,
  readHistoryStarts,
  readMemberships,
  recordHistoryStarts,
  recordMembership,
  replaceUniverse,
  writePrices,
} from '../src/index.js';
import { testBackends } from './helpers/backends.js';

describe.each(testBackends())('universe memberships on $name', (backend) => {
  it('takes every ticker as a member from the first recorded day, and records the same day again as no change', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    expect(await recordMembership(db, { fund: 'IWM', tickers: ['BBB', 'AAA'], on: '2026-03-02' })).toEqual({
      joined: ['AAA', 'BBB'],
      left: [],
    });
    expect(await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-02' })).toEqual({
      joined: [],
      left: [],
    });
    expect(await membersOn(db, { fund: 'IWM', date: '2026-03-01' })).toEqual([]);
    expect(await membersOn(db, { fund: 'IWM', date: '2026-03-02' })).toEqual(['AAA', 'BBB']);
    expect(await membersOn(db, { fund: 'IWB', date: '2026-03-02' })).toEqual([]);
  });

  it('closes the interval of a leaver on the day it is gone, so members on a date before and after differ', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-02' });
    expect(await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'CCC'], on: '2026-03-05' })).toEqual({
      joined: ['CCC'],
      left: ['BBB'],
    });
    expect(await membersOn(db, { fund: 'IWM', date: '2026-03-04' })).toEqual(['AAA', 'BBB']);
    expect(await membersOn(db, { fund: 'IWM', date: '2026-03-05' })).toEqual(['AAA', 'CCC']);
    expect(await readMemberships(db, { fund: 'IWM', ticker: 'BBB' })).toEqual([
      { fund: 'IWM', ticker: 'BBB', joinedOn: '2026-03-02', leftOn: '2026-03-05' },
    ]);
  });

  it('gives a ticker that leaves and rejoins two intervals', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-02' });
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA'], on: '2026-03-05' });
    expect(await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-06-22' })).toEqual({
      joined: ['BBB'],
      left: [],
    });
    expect(await readMemberships(db, { fund: 'IWM', ticker: 'BBB' })).toEqual([
      { fund: 'IWM', ticker: 'BBB', joinedOn: '2026-03-02', leftOn: '2026-03-05' },
      { fund: 'IWM', ticker: 'BBB', joinedOn: '2026-06-22', leftOn: null },
    ]);
    expect(await membersOn(db, { fund: 'IWM', date: '2026-04-01' })).toEqual(['AAA']);
    expect(await membersOn(db, { fund: 'IWM', date: '2026-06-22' })).toEqual(['AAA', 'BBB']);
  });

  it('undoes a same-day join or leave when the day is recorded again with a corrected set', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-02' });
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'CCC'], on: '2026-03-05' });
    expect(await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-05' })).toEqual({
      joined: [],
      left: [],
    });
    expect(await readMemberships(db, { fund: 'IWM' })).toEqual([
      { fund: 'IWM', ticker: 'AAA', joinedOn: '2026-03-02', leftOn: null },
      { fund: 'IWM', ticker: 'BBB', joinedOn: '2026-03-02', leftOn: null },
    ]);
  });

  it('refuses an empty set, a bad fund or date, and a day before the last recorded change', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await expect(recordMembership(db, { fund: 'IWM', tickers: [], on: '2026-03-02' })).rejects.toBeInstanceOf(
      DatabaseError,
    );
    await expect(recordMembership(db, { fund: 'iwm', tickers: ['AAA'], on: '2026-03-02' })).rejects.toThrow(
      /fund must be/,
    );
    await expect(
      recordMembership(db, { fund: 'IWM', tickers: ['AAA'], on: '2026-02-30' }),
    ).rejects.toBeInstanceOf(DatabaseError);
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA'], on: '2026-03-05' });
    await expect(recordMembership(db, { fund: 'IWM', tickers: ['AAA'], on: '2026-03-04' })).rejects.toThrow(
      /last recorded on 2026-03-05/,
    );
  });
});

describe.each(testBackends())('history starts on $name', (backend) => {
  it('reads each active ticker first stored bar, known history start and membership, and records starts set-based', async () => {
    const { db } = await backend.fresh();
    await migrate(db);
    await replaceUniverse(
      db,
      ['AAA', 'BBB', 'CCC'].map((ticker) => ({
        ticker,
        name: null,
        sector: null,
        exchange: null,
        weight: null,
      })),
      { asOf: '2026-03-02' },
    );
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB'], on: '2026-03-02' });
    await recordMembership(db, { fund: 'IWM', tickers: ['AAA', 'BBB', 'CCC'], on: '2026-03-05' });
    await writePrices(db, [
      {
        ticker: 'AAA',
        date: '2026-03-03',
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
        vwap: null,
        change: null,
        changePercent: null,
        source: 'fmp',
      },
      {
        ticker: 'AAA',
        date: '2026-03-02',
        open: 1,
        high: 1,
        low: 1,
        close: 1,
        volume: 1,
        vwap: null,
        change: null,
        changePercent: null,
        source: 'fmp',
      },
    ]);
    expect(
      await recordHistoryStarts(db, [
        { ticker: 'AAA', historyStart: '2026-03-02' },
        { ticker: 'ZZZ', historyStart: '2026-03-02' },
      ]),
    ).toBe(1);
    expect(await readHistoryStarts(db, { fund: 'IWM' })).toEqual([
      {
        ticker: 'AAA',
        firstBar: '2026-03-02',
        historyStart: '2026-03-02',
        joinedOn: '2026-03-02',
        founding: true,
      },
      { ticker: 'BBB', firstBar: null, historyStart: null, joinedOn: '2026-03-02', founding: true },
      { ticker: 'CCC', firstBar: null, historyStart: null, joinedOn: '2026-03-05', founding: false },
    ]);
    expect(await readHistoryStarts(db, { tickers: ['CCC'] })).toEqual([
      { ticker: 'CCC', firstBar: null, historyStart: null, joinedOn: null, founding: false },
    ]);
  });
});

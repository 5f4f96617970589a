import { describe, expect, it } from 'vitest';
import { resolveTaskName, SUMMARY_SCHEMA_VERSION, type SyncSummary, syncSummarySchema } from './summary.js';

const summary: SyncSummary = {
  schemaVersion: 1,
  runId: '7c1f3a52-0000-4000-8000-000000000000',
  status: 'partial',
  startedAt: '2026-05-05T22:00:00.000Z',
  completedAt: '2026-05-05T22:01:00.000Z',
  durationSeconds: 60,
  rowsUpdated: 10,
  logPath: '/data/failed_ingestion.log',
  tasks: [
    {
      taskName: 'ingest_market_data',
      status: 'partial',
      syncLogId: 3,
      rowsInserted: 8,
      rowsChanged: 2,
      rowsUpdated: 10,
      durationSeconds: 59.5,
      tickers: 2,
      counts: { ok: 1, no_data: 0, skipped: 0, invalid_rows: 0, failed: 1 },
      errorMessage: '1 of 2 tickers failed',
      failures: [{ ticker: 'ACME', outcome: 'failed', httpStatus: 503, message: 'server error' }],
      metadata: { runId: '7c1f3a52-0000-4000-8000-000000000000' },
    },
  ],
};

describe('syncSummarySchema', () => {
  it('accepts the documented shape, version 1', () => {
    expect(SUMMARY_SCHEMA_VERSION).toBe(1);
    expect(syncSummarySchema.parse(summary)).toEqual(summary);
  });

  it('rejects another schema version, an unknown task, a negative count and an unknown status', () => {
    expect(syncSummarySchema.safeParse({ ...summary, schemaVersion: 2 }).success).toBe(false);
    const task = summary.tasks[0]!;
    expect(
      syncSummarySchema.safeParse({ ...summary, tasks: [{ ...task, taskName: 'prices' }] }).success,
    ).toBe(false);
    expect(syncSummarySchema.safeParse({ ...summary, tasks: [{ ...task, rowsInserted: -1 }] }).success).toBe(
      false,
    );
    expect(syncSummarySchema.safeParse({ ...summary, status: 'running' }).success).toBe(false);
  });
});

describe('resolveTaskName', () => {
  it('accepts the user names and the short aliases, and nothing else', () => {
    expect(resolveTaskName('tickers')).toBe('get_russell_2000_list');
    expect(resolveTaskName('PRICES')).toBe('ingest_market_data');
    expect(resolveTaskName('dcf')).toBe('ingest_all_dcf');
    expect(resolveTaskName('ingest_all_dcf')).toBe('ingest_all_dcf');
    expect(resolveTaskName('quality')).toBe('check_data_quality');
    expect(resolveTaskName('check_data_quality')).toBe('check_data_quality');
    expect(resolveTaskName('quotes')).toBeNull();
  });
});

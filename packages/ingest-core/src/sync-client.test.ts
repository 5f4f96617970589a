import { describe, expect, it } from 'vitest';
import { createSyncClient, syncClientOptions } from './sync-client.js';

describe('syncClientOptions', () => {
  it('gives a sync with default settings Starter’s budget and as many calls in flight as its price workers', () => {
    expect(syncClientOptions({ apiKey: 'k-0123456789' })).toEqual({
      apiKey: 'k-0123456789',
      baseUrl: 'https://financialmodelingprep.com',
      rateLimit: { requests: 300 },
      maxConcurrent: 50,
      retry: {},
    });
  });

  it('lets the busier task set the calls in flight, and 0 requests a minute mean no budget', () => {
    const options = syncClientOptions({
      apiKey: 'k-0123456789',
      requestsPerMinute: 0,
      concurrency: 4,
      dcfConcurrency: 12,
      retryBaseMs: 1,
      rateLimitPauseMs: 5,
      timeoutMs: 300,
    });
    expect(options).toMatchObject({
      rateLimit: null,
      maxConcurrent: 12,
      retry: { baseMs: 1, rateLimitPauseMs: 5 },
      timeoutMs: 300,
    });
  });

  it('refuses a setting out of range, naming it', () => {
    expect(() => syncClientOptions({ apiKey: 'k-0123456789', baseUrl: 'https://x.test/api' })).toThrow(
      /baseUrl[\s\S]*origin/,
    );
    expect(() => syncClientOptions({ apiKey: 'k-0123456789', concurrency: 0 })).toThrow(/concurrency/);
    expect(() => syncClientOptions({ apiKey: 'two words' })).toThrow(/apiKey/);
  });

  it('builds a client from the same settings', () => {
    const client = createSyncClient({ apiKey: 'k-0123456789', requestsPerMinute: 0 });
    expect(typeof client.getDailyPrices).toBe('function');
  });
});

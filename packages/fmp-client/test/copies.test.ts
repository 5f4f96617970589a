import { describe, expect, it } from 'vitest';
import * as self from '../src/index.js';

// The built package (turbo builds it before the tests) is a second copy of every class: what a service gets
// when its own version of @smartstock/fmp-client sits beside the one ingest-core depends on.
const other = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof self;

const details = { endpoint: '/stable/discounted-cash-flow', status: 401 };

describe('errors from another copy of the package', () => {
  it('are recognised by isFmpError and isFatalFmpError, both ways', () => {
    const auth = new other.FmpAuthError('Invalid API KEY', details);
    const bandwidth = new other.FmpBandwidthError('Bandwidth Limit Reach', { ...details, status: 429 });
    const server = new other.FmpServerError('HTTP 503', { ...details, status: 503 });
    expect(self.isFmpError(auth)).toBe(true);
    expect(self.isFatalFmpError(auth)).toBe(true);
    expect(self.isFatalFmpError(bandwidth)).toBe(true);
    expect(self.isFatalFmpError(server)).toBe(false);
    expect(self.isFmpError(server)).toBe(true);
    expect(other.isFatalFmpError(new self.FmpAuthError('Invalid API KEY', details))).toBe(true);
  });

  it('answer instanceof for their own class and the base class, and for no other class', () => {
    const auth = new other.FmpAuthError('Invalid API KEY', details);
    expect(auth instanceof self.FmpError).toBe(true);
    expect(auth instanceof self.FmpAuthError).toBe(true);
    expect(auth instanceof self.FmpBandwidthError).toBe(false);
    const timeout = new other.FmpNetworkError('TIMEOUT', 'timed out', { ...details, status: null });
    expect(timeout instanceof self.FmpNetworkError).toBe(true);
    expect(timeout instanceof self.FmpServerError).toBe(false);
  });

  it('does not take a look-alike plain error or object for an FMP error', () => {
    const fake = Object.assign(new Error('Invalid API KEY'), { code: 'AUTH', name: 'FmpAuthError' });
    expect(self.isFmpError(fake)).toBe(false);
    expect(self.isFatalFmpError(fake)).toBe(false);
    expect(fake instanceof self.FmpError).toBe(false);
    expect(self.isFmpError({ code: 'AUTH' })).toBe(false);
    expect(self.isFmpError(null)).toBe(false);
  });
});

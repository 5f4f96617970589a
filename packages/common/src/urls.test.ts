import { describe, expect, it } from 'vitest';
import { displayUrl, secretsOf } from './urls.js';

describe('connection URLs', () => {
  it('shows a URL with its password masked and hides a text that is not a URL', () => {
    expect(displayUrl('postgresql://app:s3cr%40t@db:5432/prod')).toBe('postgresql://app:***@db:5432/prod');
    expect(displayUrl('redis://:hunter22@cache:6379/0', 'the Redis URL')).toBe('redis://:***@cache:6379/0');
    expect(displayUrl('postgresql://app@db:5432/prod')).toBe('postgresql://app@db:5432/prod');
    expect(displayUrl('hunter22 pasted here', 'the Redis URL')).toBe('(the Redis URL, not shown)');
  });

  it('hides the API key and each URL password raw and decoded, or a whole text that is not a URL', () => {
    expect(
      secretsOf({
        secrets: ['abc123', undefined],
        urls: ['postgresql://u:p%40ssword@h/db', 'redis://:r3dis-pass@cache:6379', undefined],
      }),
    ).toEqual(['abc123', 'p%40ssword', 'p@ssword', 'r3dis-pass']);
    expect(secretsOf({ urls: ['postgresql://postgres@127.0.0.1:5432/postgres'] })).toEqual([]);
    expect(secretsOf({ urls: ['hunter22-not-a-url'] })).toEqual(['hunter22-not-a-url']);
  });

  it('drops strings shorter than the redaction minimum, which would garble every line', () => {
    expect(secretsOf({ secrets: ['abc'], urls: ['postgresql://u:pw@h/db'] })).toEqual([]);
  });
});

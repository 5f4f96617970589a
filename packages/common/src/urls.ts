import { MIN_SECRET_LENGTH, REDACTED } from './redact.js';

/**
 * Connection URLs (a database's, Redis's) carry passwords. Every package and app shows them and hides them by
 * these two rules, so a message can always say which server it means and never what its password is.
 */

function parse(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/**
 * A connection URL as messages show it: `postgresql://app:***@db:5432/prod`. A text that does not parse as a
 * URL is not shown at all (it may be a password pasted in the wrong place): `(<what>, not shown)`.
 */
export function displayUrl(text: string, what = 'the URL'): string {
  const url = parse(text);
  if (url === null) return `(${what}, not shown)`;
  if (url.password) url.password = REDACTED;
  return url.toString().replace(':%2A%2A%2A@', `:${REDACTED}@`);
}

/**
 * The strings no output may show, given the secrets themselves (an API key) and connection URLs: each URL's
 * password, raw and decoded (its encoded form is caught by the redaction's own spellings), or the whole text
 * when it is not a URL. Short ones are dropped by the one minimum the redaction uses (MIN_SECRET_LENGTH).
 */
export function secretsOf(options: {
  secrets?: readonly (string | undefined)[] | undefined;
  urls?: readonly (string | undefined)[] | undefined;
}): string[] {
  const found: string[] = [];
  for (const secret of options.secrets ?? []) if (secret) found.push(secret);
  for (const text of options.urls ?? []) {
    if (!text) continue;
    const url = parse(text);
    if (url === null) found.push(text);
    else if (url.password) {
      found.push(url.password);
      try {
        found.push(decodeURIComponent(url.password));
      } catch {
        // A malformed %-escape: the raw form above is what appears in text.
      }
    }
  }
  return [...new Set(found.filter((s) => s.length >= MIN_SECRET_LENGTH))];
}

/** What a redacted secret is replaced with. */
export const REDACTED = '***';

/**
 * Given secrets shorter than this are not replaced: no key or password anyone issues is that short (FMP keys
 * have 32 characters), and replacing one or two characters everywhere would garble every line. Passwords in
 * connection strings are removed by their place in the URL, whatever their length.
 */
export const MIN_SECRET_LENGTH = 4;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * The spellings a secret can take in text we store: as is, percent-encoded (either hex case, `+` for
 * spaces as in form bodies), and JSON-escaped. A key leaks through a logged URL in its encoded form.
 */
function secretSpellings(secret: string): string[] {
  const encoded = [encodeURIComponent(secret), encodeURI(secret)];
  encoded.push(encoded[0]!.replace(/%20/g, '+'));
  const lowerHex = encoded.map((s) => s.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  return [secret, JSON.stringify(secret).slice(1, -1), ...encoded, ...lowerHex];
}

const secretPatternCache = new Map<string, RegExp | null>();

function secretPattern(secrets: readonly string[]): RegExp | null {
  const usable = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  const cacheKey = JSON.stringify(usable);
  const cached = secretPatternCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const spellings = [...new Set(usable.flatMap(secretSpellings))];
  // Longest first, so a secret that contains another is removed whole rather than leaving its rest.
  spellings.sort((a, b) => b.length - a.length);
  const pattern = spellings.length === 0 ? null : new RegExp(spellings.map(escapeRegExp).join('|'), 'g');
  if (secretPatternCache.size > 64) secretPatternCache.clear();
  secretPatternCache.set(cacheKey, pattern);
  return pattern;
}

// scheme://user:PASSWORD@host — the password runs to the last '@' (before a space or quote) that is
// followed by something shaped like a host, so an unencoded '@', '/' or '#' inside it is still covered.
// Rarely this also hides the host (an '@' in the query string); hiding too much beats leaking.
const URL_PASSWORD =
  /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"<>]*):([^\s'"<>]*)@(?=[a-z0-9._~%\-[\]]+(?:[:/?#,;'"<>)\]\s]|$))/gi;

const KEY_NAMES =
  'api[_-]?key|apikey|x-api-key|access[_-]?token|auth[_-]?token|token|client[_-]?secret|secret|password|passwd|pwd';

// ?apikey=VALUE&... also when the whole URL was itself percent-encoded (apikey%3DVALUE%26...).
const QUERY_VALUE = new RegExp(
  `(?<=^|[^a-z0-9]|%[0-9a-f]{2})(${KEY_NAMES})(=|%3D)((?:(?!%26)[^&\\s#"'<>,;])+)`,
  'gi',
);

// apikey: VALUE (a header), "apikey": "VALUE" (JSON), apikey='VALUE'.
const FIELD_VALUE = new RegExp(
  `(?<=^|[^a-z0-9]|%[0-9a-f]{2})(${KEY_NAMES})(["']?\\s*:\\s*["']?)([^\\s"',;&}\\]]+)`,
  'gi',
);

// Authorization: Bearer VALUE / Basic VALUE
const AUTHORIZATION = /(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)?\s*)([^\s"',;]+)/gi;
const BEARER = /\b(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})/g;

/**
 * Removes secrets from `text`: every given secret (and its URL-encoded and JSON-escaped spellings),
 * passwords in connection strings (`postgres://user:pass@host` → `postgres://user:***@host`),
 * `apikey=...`/`token=...`/`password=...` values, `apikey:` headers and JSON fields, and bearer tokens.
 * Secrets shorter than MIN_SECRET_LENGTH are ignored; the others are removed wherever they occur.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = typeof text === 'string' ? text : String(text);
  const pattern = secretPattern(secrets);
  if (pattern) out = out.replace(pattern, REDACTED);
  return out
    .replace(URL_PASSWORD, (_m, head: string) => `${head}:${REDACTED}@`)
    .replace(QUERY_VALUE, (_m, key: string, eq: string) => `${key}${eq}${REDACTED}`)
    .replace(FIELD_VALUE, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(AUTHORIZATION, (_m, head: string) => `${head}${REDACTED}`)
    .replace(BEARER, (_m, head: string) => `${head}${REDACTED}`);
}

/** Default bound on a stored error message (and on each string inside metadata), in characters. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 4000;

/**
 * Redacts, then bounds `text` to `maxLength` characters, ending a cut text with a marker saying how long
 * it was. NUL characters (which PostgreSQL text and jsonb reject) become U+FFFD.
 */
export function redactAndBound(text: string, secrets: readonly string[], maxLength: number): string {
  // Redaction runs before the cut, so the cut can never expose half a secret. A huge input is first
  // trimmed far beyond the limit so redaction stays cheap; whatever is cut there is cut from the result too.
  const prefixLimit = Math.max(maxLength * 4, maxLength + 65_536);
  const source = text.length > prefixLimit ? text.slice(0, prefixLimit) : text;
  const redacted = redactSecrets(source, secrets).replace(/\u0000/g, '\uFFFD');
  if (redacted.length <= maxLength && source.length === text.length) return redacted;
  const marker = `… [truncated; ${text.length} characters in total]`;
  let keep = Math.max(0, maxLength - marker.length);
  // Never split a surrogate pair.
  const last = redacted.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep -= 1;
  return redacted.slice(0, keep) + marker;
}

import { redactSecrets } from '@smartstock/common';

/** The project's one redaction (@smartstock/common): the key and its encodings, `apikey=` values, URL passwords. */
export function redact(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}

/**
 * Copies an error chain (name, message, code, errno, syscall) into plain Errors. ofetch's FetchError
 * exposes the request options, headers included, through getters: the original is never kept.
 */
export function sanitizeError(error: unknown, secrets: readonly string[], depth = 0): Error | undefined {
  if (error === undefined || error === null || depth > 4) return undefined;
  const source = error as {
    name?: unknown | undefined;
    message?: unknown | undefined;
    code?: unknown | undefined;
    errno?: unknown | undefined;
    syscall?: unknown | undefined;
    cause?: unknown | undefined;
  };
  const message = typeof source.message === 'string' ? source.message : String(error);
  const nested = typeof error === 'object' ? sanitizeError(source.cause, secrets, depth + 1) : undefined;
  const copy = new Error(redact(message, secrets), nested ? { cause: nested } : undefined) as Error &
    Record<string, unknown>;
  if (typeof source.name === 'string') copy.name = source.name;
  for (const key of ['code', 'errno', 'syscall'] as const) {
    const value = source[key];
    if (typeof value === 'string' || typeof value === 'number')
      copy[key] = typeof value === 'string' ? redact(value, secrets) : value;
  }
  // The stack of the copy points here, not at the original frames; the original message is in `message`.
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** The innermost system error code of a chain (ECONNRESET, ENOTFOUND, ...), for messages. */
export function rootCode(error: unknown): string | undefined {
  let current: unknown = error;
  let code: string | undefined;
  for (let i = 0; i < 6 && current && typeof current === 'object'; i++) {
    const value = (current as { code?: unknown }).code;
    if (typeof value === 'string') code = value;
    current = (current as { cause?: unknown }).cause;
  }
  return code;
}

export type DatabaseErrorCode =
  | 'DATABASE_LOCKED'
  | 'CONNECTION_FAILED'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_CHANGED'
  | 'ADOPTION_IMPOSSIBLE'
  | 'INVALID_URL'
  | 'WRITE_FAILED'
  | 'INVALID_ROW';

/** The one error class of @smartstock/db. Messages never contain a password. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: DatabaseErrorCode;
  override readonly cause?: unknown;

  constructor(code: DatabaseErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(redactConnectionString(message));
    this.code = code;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

export function isDatabaseError(error: unknown, code?: DatabaseErrorCode): error is DatabaseError {
  return error instanceof DatabaseError && (code === undefined || error.code === code);
}

// The password ends at the LAST '@' before the host, as in WHATWG URL parsing, so an unescaped '@' inside a
// password is still hidden.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s]*@(?=[^\s@/?#]*(?:[/?#\s]|$))/gi;
const KEYWORD_PASSWORD = /\b(password|passwd|pwd)=("[^"]*"|'[^']*'|[^&\s]*)/gi;

/** Replaces passwords in connection strings (URL userinfo and `password=` parameters) with `***`. */
export function redactConnectionString(text: string): string {
  return text.replace(URL_PASSWORD, '$1:***@').replace(KEYWORD_PASSWORD, '$1=***');
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

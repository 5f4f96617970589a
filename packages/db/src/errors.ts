export type DatabaseErrorCode =
  | 'DATABASE_LOCKED'
  | 'CONNECTION_FAILED'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_CHANGED'
  | 'ADOPTION_IMPOSSIBLE'
  | 'INVALID_URL'
  | 'WRITE_FAILED'
  | 'INVALID_ROW'
  | 'SCHEMA_TOO_NEW';

/**
 * The brand every DatabaseError carries under a registry symbol (its value is the code): two copies of this
 * package in one service share it, where `instanceof` across copies fails.
 */
const DATABASE_ERROR_BRAND = Symbol.for('@smartstock/db/DatabaseError');

/** The one error class of @smartstock/db. Messages never contain a password. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: DatabaseErrorCode;
  override readonly cause?: unknown;

  constructor(code: DatabaseErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(redactConnectionString(message));
    this.code = code;
    if (options.cause !== undefined) this.cause = options.cause;
    Object.defineProperty(this, DATABASE_ERROR_BRAND, { value: code, enumerable: false });
  }

  /** `instanceof DatabaseError` holds for an error of any copy of the package (checked by brand). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isDatabaseError(value);
  }
}

/** True for an error of any copy of @smartstock/db (by brand, not prototype), with `code` when given. */
export function isDatabaseError(error: unknown, code?: DatabaseErrorCode): error is DatabaseError {
  if (typeof error !== 'object' || error === null) return false;
  const branded = (error as { [DATABASE_ERROR_BRAND]?: unknown })[DATABASE_ERROR_BRAND];
  return typeof branded === 'string' && (code === undefined || branded === code);
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

import { defineBrand, redactSecrets } from '@smartstock/common';

/**
 * What went wrong, on DatabaseError's `code`: a held data-directory lock, an unreachable server, a failed or
 * edited migration, a bad URL, a refused write or row, a schema newer than this package.
 */
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
const brand = defineBrand<DatabaseErrorCode>('@smartstock/db/DatabaseError');

/** The one error class of @smartstock/db. Messages never contain a password. */
export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  readonly code: DatabaseErrorCode;
  override readonly cause?: unknown;

  constructor(code: DatabaseErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(redactConnectionString(message));
    this.code = code;
    if (options.cause !== undefined) this.cause = options.cause;
    brand.mark(this, code);
  }

  /** `instanceof DatabaseError` holds for an error of any copy of the package (checked by brand). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isDatabaseError(value);
  }
}

/** True for an error of any copy of @smartstock/db (by brand, not prototype), with `code` when given. */
export function isDatabaseError(error: unknown, code?: DatabaseErrorCode): error is DatabaseError {
  const branded = brand.codeOf(error);
  return branded !== null && (code === undefined || branded === code);
}

/**
 * Replaces passwords in connection strings (URL userinfo and `password=` parameters) with `***`: the
 * project's one redaction (@smartstock/common), with no secrets of its own.
 */
export function redactConnectionString(text: string): string {
  return redactSecrets(text);
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

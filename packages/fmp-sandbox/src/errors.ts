/**
 * What a SandboxError refused: an option, a fault spec, a date, a split, a missing msw, or a server that failed
 * to start.
 */
export type SandboxErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_FAULTS'
  | 'INVALID_DATE'
  | 'INVALID_SPLIT'
  | 'MSW_MISSING'
  | 'SERVER_FAILED';

/** The one error class of the sandbox: every bad option or input names what was wrong in `message`. */
export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  override readonly cause?: unknown;

  constructor(code: SandboxErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.name = 'SandboxError';
    this.code = code;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

/** True for a SandboxError (`instanceof`). */
export function isSandboxError(error: unknown): error is SandboxError {
  return error instanceof SandboxError;
}

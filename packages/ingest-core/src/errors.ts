/** What stopped a run or refused its input; see `IngestError`. */
export type IngestErrorCode =
  | 'RUN_LOCKED'
  | 'UNIVERSE_INVALID'
  | 'SOURCE_UNREADABLE'
  | 'NO_TICKERS'
  | 'INVALID_OPTIONS';

/** The one error type of @smartstock/ingest-core; `code` says what went wrong, `cause` keeps the origin. */
export class IngestError extends Error {
  override readonly name: string = 'IngestError';
  readonly code: IngestErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: IngestErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/** True for an IngestError (`instanceof`); narrows a caught `unknown` so `code` can be read. */
export function isIngestError(error: unknown): error is IngestError {
  return error instanceof IngestError;
}

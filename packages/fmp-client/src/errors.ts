import { defineBrand } from '@smartstock/common';

/** The `code` of every FmpError subclass, one per failure class (and the keys of `stats.errors`). */
export type FmpErrorCode =
  | 'AUTH'
  | 'PLAN'
  | 'RATE_LIMIT'
  | 'BANDWIDTH'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'SERVER'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'RESPONSE'
  | 'ABORTED'
  | 'BUDGET';

export const FMP_ERROR_CODES: readonly FmpErrorCode[] = [
  'AUTH',
  'PLAN',
  'RATE_LIMIT',
  'BANDWIDTH',
  'BAD_REQUEST',
  'NOT_FOUND',
  'SERVER',
  'NETWORK',
  'TIMEOUT',
  'RESPONSE',
  'ABORTED',
  'BUDGET',
];

export interface FmpErrorDetails {
  /** HTTP status, or null when no response was received (network, timeout, abort, bad input). */
  status?: number | null | undefined;
  /** Path of the endpoint, e.g. `/stable/discounted-cash-flow`. */
  endpoint: string;
  symbol?: string | undefined;
  /** FMP's own message (`Error Message` field or plain-text body), when it sent one. */
  fmpMessage?: string | undefined;
  cause?: unknown | undefined;
}

/**
 * The brand every FmpError carries, under a registry symbol: two copies of this package in one service (a
 * service's own version beside the one ingest-core depends on) share it, where `instanceof` across copies fails.
 * Its value is the error's code.
 */
const brand = defineBrand<FmpErrorCode>('@smartstock/fmp-client/FmpError');

/** The code of a branded FmpError from any copy of this package, or null. */
const brandedCode = (value: unknown): FmpErrorCode | null => brand.codeOf(value);

/**
 * Base class of every error the client throws. Never carries the API key, headers or the request options.
 * `instanceof` works across copies of the package: it checks the brand and the code, not the prototype chain.
 */
export class FmpError extends Error {
  readonly code: FmpErrorCode;
  readonly status: number | null;
  readonly endpoint: string;
  readonly symbol?: string | undefined;
  readonly fmpMessage?: string | undefined;
  /** How many HTTP attempts were made for the call that failed (set when the client gives up). */
  attempts = 0;

  constructor(code: FmpErrorCode, message: string, details: FmpErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    brand.mark(this, code);
    this.status = details.status ?? null;
    this.endpoint = details.endpoint;
    if (details.symbol !== undefined) this.symbol = details.symbol;
    if (details.fmpMessage !== undefined) this.fmpMessage = details.fmpMessage;
  }

  /** FmpError matches any branded error; a subclass matches the codes it stands for (see CLASS_CODES). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof` (subclasses inherit this)
    return matchesClass(this, value);
  }

  /** Retried by the client's own policy (5xx, network, timeout, malformed body; 429 separately). */
  get retryable(): boolean {
    return false;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      endpoint: this.endpoint,
      symbol: this.symbol,
      fmpMessage: this.fmpMessage,
      attempts: this.attempts,
    };
  }
}

/** 401, 403 (including "Legacy Endpoint") or an "Invalid API KEY" body: fatal for the whole client. */
export class FmpAuthError extends FmpError {
  declare readonly code: 'AUTH';
  constructor(message: string, details: FmpErrorDetails) {
    super('AUTH', message, details);
  }
}

/** What a 402 refused: one symbol (skip it) or the whole endpoint (fall back, e.g. bulk to per-symbol). */
export type FmpPlanScope = 'symbol' | 'endpoint';

/**
 * 402: the plan does not cover this. `scope: 'symbol'` ("Premium Query Parameter") means skip the symbol;
 * `scope: 'endpoint'` ("Restricted Endpoint", "Exclusive Endpoint") means the caller may fall back
 * (bulk to per-symbol).
 */
export class FmpPlanError extends FmpError {
  declare readonly code: 'PLAN';
  readonly scope: FmpPlanScope;
  constructor(message: string, details: FmpErrorDetails & { scope: FmpPlanScope }) {
    super('PLAN', message, details);
    this.scope = details.scope;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), scope: this.scope };
  }
}

/** 429 "Limit Reach" (or that message on a 200) after the bounded number of paused retries. */
export class FmpRateLimitError extends FmpError {
  declare readonly code: 'RATE_LIMIT';
  readonly retryAfterMs: number | null;
  constructor(message: string, details: FmpErrorDetails & { retryAfterMs?: number | null }) {
    super('RATE_LIMIT', message, details);
    this.retryAfterMs = details.retryAfterMs ?? null;
  }
}

/** 429 "Bandwidth Limit Reach": the trailing-30-day bandwidth is exhausted; fatal like auth. */
export class FmpBandwidthError extends FmpError {
  declare readonly code: 'BANDWIDTH';
  constructor(message: string, details: FmpErrorDetails) {
    super('BANDWIDTH', message, details);
  }
}

/** 400 (and other unexpected 4xx), or an argument the client refused before sending. Not retried. */
export class FmpBadRequestError extends FmpError {
  declare readonly code: 'BAD_REQUEST';
  constructor(message: string, details: FmpErrorDetails) {
    super('BAD_REQUEST', message, details);
  }
}

/** 404: FMP answers wrong or removed stable paths with 404 `[]`. Not retried. */
export class FmpNotFoundError extends FmpError {
  declare readonly code: 'NOT_FOUND';
  constructor(message: string, details: FmpErrorDetails) {
    super('NOT_FOUND', message, details);
  }
}

const RETRYABLE_SERVER_STATUSES = new Set([500, 502, 503, 504]);

/** 5xx. 500, 502, 503 and 504 are retried with backoff; other 5xx are not. */
export class FmpServerError extends FmpError {
  declare readonly code: 'SERVER';
  constructor(message: string, details: FmpErrorDetails) {
    super('SERVER', message, details);
  }
  override get retryable(): boolean {
    return this.status !== null && RETRYABLE_SERVER_STATUSES.has(this.status);
  }
}

/** No usable response: connection reset, refused, DNS failure (code NETWORK) or timeout (code TIMEOUT). */
export class FmpNetworkError extends FmpError {
  declare readonly code: 'NETWORK' | 'TIMEOUT';
  constructor(code: 'NETWORK' | 'TIMEOUT', message: string, details: FmpErrorDetails) {
    super(code, message, details);
  }
  override get retryable(): boolean {
    return true;
  }
}

/** A body that is not what the endpoint returns: HTML, truncated JSON or CSV, an object for an array. */
export class FmpResponseError extends FmpError {
  declare readonly code: 'RESPONSE';
  constructor(message: string, details: FmpErrorDetails) {
    super('RESPONSE', message, details);
  }
  override get retryable(): boolean {
    return true;
  }
}

/** The client was aborted (`abort()` or its `signal`) before this call completed. */
export class FmpAbortedError extends FmpError {
  declare readonly code: 'ABORTED';
  constructor(message: string, details: FmpErrorDetails) {
    super('ABORTED', message, details);
  }
}

/**
 * The shared budget's Redis could not be reached (at start, or for longer than the configured timeout
 * mid-run). Fatal for the client: without the shared budget it cannot know what the other processes spent,
 * and it never runs over the key's plan silently.
 */
export class FmpBudgetError extends FmpError {
  declare readonly code: 'BUDGET';
  constructor(message: string, details: Omit<FmpErrorDetails, 'endpoint'> & { endpoint?: string } = {}) {
    super('BUDGET', message, { endpoint: '*', ...details });
  }
}

function matchesClass(asked: unknown, value: unknown): boolean {
  const code = brandedCode(value);
  if (code === null) return false;
  const codes = CLASS_CODES.get(asked as abstract new (...args: never[]) => FmpError);
  return codes === undefined ? asked === FmpError : codes.includes(code);
}

/** Which codes each subclass stands for: one class per code, but for the network class's two. */
const CLASS_CODES = new Map<abstract new (...args: never[]) => FmpError, readonly FmpErrorCode[]>([
  [FmpAuthError, ['AUTH']],
  [FmpPlanError, ['PLAN']],
  [FmpRateLimitError, ['RATE_LIMIT']],
  [FmpBandwidthError, ['BANDWIDTH']],
  [FmpBadRequestError, ['BAD_REQUEST']],
  [FmpNotFoundError, ['NOT_FOUND']],
  [FmpServerError, ['SERVER']],
  [FmpNetworkError, ['NETWORK', 'TIMEOUT']],
  [FmpResponseError, ['RESPONSE']],
  [FmpAbortedError, ['ABORTED']],
  [FmpBudgetError, ['BUDGET']],
]);

/** True for an error thrown by any copy of @smartstock/fmp-client (checked by brand, not by prototype). */
export function isFmpError(error: unknown): error is FmpError {
  return brandedCode(error) !== null;
}

/**
 * Auth and bandwidth failures end the whole run: nothing the client sends afterwards can succeed. So does a
 * shared budget that stayed unreachable: sending without it could run over the key's plan.
 */
export function isFatalFmpError(error: unknown): error is FmpAuthError | FmpBandwidthError | FmpBudgetError {
  const code = brandedCode(error);
  return code === 'AUTH' || code === 'BANDWIDTH' || code === 'BUDGET';
}

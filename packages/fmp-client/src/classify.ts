import {
  FmpAuthError,
  FmpBadRequestError,
  FmpBandwidthError,
  type FmpError,
  type FmpErrorDetails,
  FmpNotFoundError,
  FmpPlanError,
  FmpRateLimitError,
  FmpResponseError,
  FmpServerError,
} from './errors.js';

const MAX_MESSAGE = 300;

export function shorten(text: string, max = MAX_MESSAGE): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}...` : oneLine;
}

/** FMP's message from an error body: `{"Error Message": ...}` (or `error`/`message`), else the plain text. */
export function extractFmpMessage(body: string): string | undefined {
  const trimmed = body.trim();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      const message = errorMessageOf(parsed);
      if (message !== undefined) return message;
    } catch {
      // Not JSON after all: fall through to the text.
    }
  }
  if (trimmed.startsWith('<')) return 'HTML body';
  if (trimmed.startsWith('[')) return undefined;
  return shorten(trimmed);
}

/** The error text of a JSON object body, if it is an FMP error envelope. */
export function errorMessageOf(parsed: unknown): string | undefined {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const record = parsed as Record<string, unknown>;
  for (const key of ['Error Message', 'error', 'message']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') return shorten(value);
  }
  return undefined;
}

type Kind = 'auth' | 'bandwidth' | 'rate' | 'plan-symbol' | 'plan-endpoint';

/** Classifies FMP's wording. "Limit Reach" also says "upgrade your plan", so limits are matched first. */
export function kindOfMessage(message: string): Kind | undefined {
  const m = message.toLowerCase();
  if (m.includes('bandwidth limit reach')) return 'bandwidth';
  if (m.includes('limit reach')) return 'rate';
  if (m.includes('invalid api key') || m.includes('legacy endpoint')) return 'auth';
  if (m.includes('premium query parameter') || m.includes('special endpoint')) return 'plan-symbol';
  if (
    m.includes('restricted endpoint') ||
    m.includes('exclusive endpoint') ||
    m.includes('premium endpoint') ||
    m.includes('us stocks only')
  ) {
    return 'plan-endpoint';
  }
  return undefined;
}

export interface ClassifyInput {
  status: number;
  fmpMessage: string | undefined;
  retryAfterMs: number | null;
  details: Omit<FmpErrorDetails, 'status' | 'fmpMessage'>;
}

function describeCall(details: { endpoint: string; symbol?: string }): string {
  return details.symbol ? `FMP ${details.endpoint} (${details.symbol})` : `FMP ${details.endpoint}`;
}

function errorFromKind(kind: Kind, input: ClassifyInput): FmpError {
  const { status, fmpMessage, details } = input;
  const base: FmpErrorDetails = { ...details, status };
  if (fmpMessage !== undefined) base.fmpMessage = fmpMessage;
  const head = `${describeCall(details)}: HTTP ${status}`;
  const tail = fmpMessage ? ` ${fmpMessage}` : '';
  switch (kind) {
    case 'auth':
      return new FmpAuthError(`${head} authentication failed:${tail || ' key rejected'}`, base);
    case 'bandwidth':
      return new FmpBandwidthError(`${head} bandwidth limit exhausted:${tail}`, base);
    case 'rate':
      return new FmpRateLimitError(`${head} rate limited:${tail || ' Limit Reach'}`, {
        ...base,
        retryAfterMs: input.retryAfterMs,
      });
    case 'plan-symbol':
      return new FmpPlanError(`${head} not in the plan for this symbol:${tail}`, {
        ...base,
        scope: 'symbol',
      });
    case 'plan-endpoint':
      return new FmpPlanError(`${head} endpoint not in the plan:${tail}`, { ...base, scope: 'endpoint' });
  }
}

/** Maps a non-2xx answer to an error; the status decides, FMP's wording refines 402 and 429. */
export function classifyStatus(input: ClassifyInput): FmpError {
  const { status, fmpMessage, details } = input;
  const kind = fmpMessage ? kindOfMessage(fmpMessage) : undefined;
  const base: FmpErrorDetails = { ...details, status };
  if (fmpMessage !== undefined) base.fmpMessage = fmpMessage;
  const head = `${describeCall(details)}: HTTP ${status}`;
  const tail = fmpMessage ? ` ${fmpMessage}` : '';
  if (status === 401 || status === 403) return errorFromKind('auth', input);
  if (status === 429) return errorFromKind(kind === 'bandwidth' ? 'bandwidth' : 'rate', input);
  if (status === 402) return errorFromKind(kind === 'plan-symbol' ? 'plan-symbol' : 'plan-endpoint', input);
  if (status >= 300 && status < 400) {
    return new FmpBadRequestError(
      `${head}: a redirect, not followed (the apikey header goes to the configured origin only); check the base URL`,
      base,
    );
  }
  if (status === 404) return new FmpNotFoundError(`${head} not found (wrong or removed path)${tail}`, base);
  if (status >= 500) return new FmpServerError(`${head} server error${tail}`, base);
  return new FmpBadRequestError(`${head} request rejected${tail}`, base);
}

/** A 2xx whose body is an FMP error envelope: classified by its message, unknown wording is RESPONSE. */
export function classifyErrorBody(input: ClassifyInput & { fmpMessage: string }): FmpError {
  const kind = kindOfMessage(input.fmpMessage);
  if (kind) return errorFromKind(kind, input);
  return new FmpResponseError(
    `${describeCall(input.details)}: HTTP ${input.status} with an error body: ${input.fmpMessage}`,
    { ...input.details, status: input.status, fmpMessage: input.fmpMessage },
  );
}

/** Retry-After in ms when present and positive (delta-seconds or HTTP date), else null. */
export function parseRetryAfter(value: string | null, nowMs: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds > 0 ? Math.ceil(seconds * 1000) : null;
  }
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  const ms = at - nowMs;
  return ms > 0 ? ms : null;
}

import { createFetch } from 'ofetch';
import { AdaptiveRate } from './adaptive-rate.js';
import {
  classifyErrorBody,
  classifyStatus,
  errorMessageOf,
  extractFmpMessage,
  parseRetryAfter,
} from './classify.js';
import { parseCsv } from './csv.js';
import {
  FMP_ERROR_CODES,
  FmpAbortedError,
  FmpBadRequestError,
  FmpError,
  type FmpErrorCode,
  FmpNetworkError,
  FmpRateLimitError,
  FmpResponseError,
  isFatalFmpError,
} from './errors.js';
import {
  type BudgetTicket,
  type Clock,
  defaultSleep,
  type Gate,
  RequestLimiter,
  type Sleep,
} from './limiter.js';
import { redact, rootCode, sanitizeError } from './redact.js';
import { displayRedisUrl, RedisBudget } from './shared-budget.js';
import { createClientFetch, createDispatcher, DeadlineError } from './transport.js';
import type {
  DailyBar,
  DcfValue,
  FmpClient,
  FmpClientOptions,
  FmpStats,
  Logger,
  StockListEntry,
  SymbolChange,
  SymbolChangeOptions,
  Validated,
} from './types.js';
import { noopLogger } from './types.js';
import {
  isIsoDate,
  validateBulkBars,
  validateDailyBars,
  validateDcfRows,
  validateStockList,
  validateSymbolChanges,
} from './validate.js';

/**
 * The client's defaults (exported as FMP_CLIENT_DEFAULTS): FMP Starter's 300 requests / 60 s, 10 in flight, 30 s
 * per attempt, 4 attempts with 1–30 s backoff. Services size their own settings against them.
 */
export const DEFAULTS = {
  baseUrl: 'https://financialmodelingprep.com',
  rateLimitRequests: 300,
  rateLimitWindowMs: 60_000,
  maxConcurrent: 10,
  timeoutMs: 30_000,
  attempts: 4,
  baseMs: 1_000,
  capMs: 30_000,
  rateLimitPauseMs: 10_000,
  rateLimitAttempts: 5,
  /** A Retry-After longer than this (or than rateLimitPauseMs, if larger) is capped to it. */
  maxRetryAfterMs: 300_000,
} as const;

/**
 * Only requests still in flight longer than this use it (a completed request is bounded by its completion
 * time), so it costs throughput only when responses are slow. It must cover the delay before a request
 * reaches the server (connection setup, a busy event loop), which does not shrink with a scaled window.
 */
export function defaultSafetyMarginMs(_windowMs: number): number {
  return 1_000;
}

const SYMBOL_RE = /^\^?[A-Za-z0-9][A-Za-z0-9.\-_=]{0,24}$/;

interface Call<T> {
  path: string;
  query: Record<string, string>;
  symbol?: string | undefined;
  parse: (body: string, context: ParseContext) => T;
}

interface ParseContext {
  status: number;
  endpoint: string;
  symbol?: string | undefined;
}

type Internal = { limiter: RequestLimiter; adaptive: AdaptiveRate | null };

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new TypeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

function normaliseBaseUrl(baseUrl: string | undefined): string {
  if (baseUrl === undefined) return DEFAULTS.baseUrl;
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(
      'baseUrl must be an absolute http(s) origin such as https://financialmodelingprep.com',
    );
  }
  if (url.username || url.password) throw new TypeError('baseUrl must not contain credentials');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseUrl must use http or https, got ${url.protocol}`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new TypeError(
      `baseUrl must be an origin only (the client adds /stable/...), got ${url.origin}${url.pathname}${url.search ? '?...' : ''}`,
    );
  }
  return url.origin;
}

function emptyErrorCounts(): Record<FmpErrorCode, number> {
  return Object.fromEntries(FMP_ERROR_CODES.map((code) => [code, 0])) as Record<FmpErrorCode, number>;
}

class FmpHttpClient implements FmpClient {
  private readonly apiKey: string;
  private readonly origin: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly rateLimitPauseMs: number;
  private readonly rateLimitAttempts: number;
  private readonly internal: Internal;
  /** Keep-alive connections and the environment's proxy (see transport.ts), closed by close(). */
  private readonly dispatcher = createDispatcher();
  /** ofetch does the HTTP, over the platform's fetch with our dispatcher and a per-attempt deadline. */
  private readonly http = createFetch({ fetch: createClientFetch(this.dispatcher) as typeof fetch });
  private readonly counters = {
    requests: 0,
    retries: 0,
    rateLimited: 0,
    bytesReceived: 0,
    invalidRows: 0,
    errors: emptyErrorCounts(),
  };

  constructor(options: FmpClientOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError('createFmpClient needs an options object');
    // Printable ASCII only: the key goes into a header, and must never be echoed in this message.
    if (typeof options.apiKey !== 'string' || !/^[\x21-\x7e]+$/.test(options.apiKey)) {
      throw new TypeError('apiKey must be a non-empty string of printable characters without spaces');
    }
    this.apiKey = options.apiKey;
    this.origin = normaliseBaseUrl(options.baseUrl);
    this.logger = options.logger ?? noopLogger;
    this.clock = options.clock ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs);
    if (this.timeoutMs === 0) throw new TypeError('timeoutMs must be > 0');
    const retry = options.retry ?? {};
    this.attempts = positiveInt('retry.attempts', retry.attempts, DEFAULTS.attempts);
    this.baseMs = nonNegative('retry.baseMs', retry.baseMs, DEFAULTS.baseMs);
    this.capMs = nonNegative('retry.capMs', retry.capMs, DEFAULTS.capMs);
    this.rateLimitPauseMs = nonNegative(
      'retry.rateLimitPauseMs',
      retry.rateLimitPauseMs,
      DEFAULTS.rateLimitPauseMs,
    );
    this.rateLimitAttempts = positiveInt(
      'retry.rateLimitAttempts',
      retry.rateLimitAttempts,
      DEFAULTS.rateLimitAttempts,
      0,
    );
    const maxConcurrent = positiveInt('maxConcurrent', options.maxConcurrent, DEFAULTS.maxConcurrent);

    this.internal = this.schedule(options, maxConcurrent);

    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.abort(signal.reason);
      else signal.addEventListener('abort', () => this.abort(signal.reason), { once: true });
    }
  }

  /** The limiter over its gate (local window, shared window in Redis, or pauses only) and the adaptive rate. */
  private schedule(options: FmpClientOptions, maxConcurrent: number): Internal {
    const { clock, sleep } = this;
    if (options.rateLimit === null) {
      if (options.budget) throw new TypeError('budget (a shared budget) needs a rateLimit, not null');
      return { limiter: new RequestLimiter({ maxConcurrent, budget: null, clock, sleep }), adaptive: null };
    }
    const rateLimit = options.rateLimit ?? { requests: DEFAULTS.rateLimitRequests };
    const requests = positiveInt('rateLimit.requests', rateLimit.requests, DEFAULTS.rateLimitRequests);
    const windowMs = nonNegative('rateLimit.windowMs', rateLimit.windowMs, DEFAULTS.rateLimitWindowMs);
    if (windowMs === 0) throw new TypeError('rateLimit.windowMs must be > 0');
    const safetyMarginMs = nonNegative(
      'rateLimit.safetyMarginMs',
      rateLimit.safetyMarginMs,
      defaultSafetyMarginMs(windowMs),
    );
    const budget = { requests, windowMs, safetyMarginMs, clock, sleep };
    let gate: Gate | undefined;
    if (options.budget) {
      if (typeof options.budget.redisUrl !== 'string' || !/^rediss?:\/\//.test(options.budget.redisUrl)) {
        throw new TypeError('budget.redisUrl must be a redis:// or rediss:// URL');
      }
      const shared = options.budget;
      gate = new RedisBudget({
        ...shared,
        ...budget,
        apiKey: this.apiKey,
        onLowerRate: (effective, mine) =>
          this.logger.warn('another process holds this API key to a lower rate; the lowest wins', {
            requestsPerWindow: effective,
            configured: mine,
            redis: displayRedisUrl(shared.redisUrl),
          }),
      });
    }
    const limiter = new RequestLimiter({ maxConcurrent, budget, gate, clock, sleep });
    const adaptive =
      options.adaptiveRate === false
        ? null
        : new AdaptiveRate({ requests, windowMs, gate: limiter.gate, clock, logger: this.logger });
    return { limiter, adaptive };
  }

  get stats(): FmpStats {
    return {
      ...this.counters,
      rateAdvice: this.internal.adaptive?.advice ?? null,
      errors: { ...this.counters.errors },
    };
  }

  async close(): Promise<void> {
    await this.internal.limiter.gate.close?.();
    // destroy, not close: close waits for requests still pending (a cancelled run's aborted calls may wait
    // on a slow server), and a client being closed has no call left that anyone awaits.
    await this.dispatcher.destroy().catch(() => undefined);
  }

  abort(reason?: unknown): void {
    const limiter = this.internal.limiter;
    if (limiter.terminated) return;
    const detail =
      reason instanceof Error ? `: ${reason.message}` : reason === undefined ? '' : `: ${String(reason)}`;
    const error = new FmpAbortedError(redact(`FMP client aborted${detail}`, [this.apiKey]), {
      endpoint: '*',
      cause: reason instanceof Error ? sanitizeError(reason, [this.apiKey]) : undefined,
    });
    limiter.terminate(error);
  }

  getDailyPrices(symbol: string, range: { from: string; to: string }): Promise<Validated<DailyBar>> {
    const endpoint = '/stable/historical-price-eod/full';
    const checked = this.checkSymbol(endpoint, symbol);
    if (typeof checked !== 'string') return checked;
    const from = range?.from;
    const to = range?.to;
    for (const [name, value] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (typeof value !== 'string' || !isIsoDate(value)) {
        return this.rejectInput(
          endpoint,
          checked,
          `${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`,
        );
      }
    }
    if (from! > to!) return this.rejectInput(endpoint, checked, `from (${from}) is after to (${to})`);
    return this.call({
      path: 'historical-price-eod/full',
      query: { symbol: checked, from: from!, to: to! },
      symbol: checked,
      parse: (body, context) =>
        this.report(context, validateDailyBars(this.jsonArray(body, context), checked)),
    });
  }

  getDcf(symbol: string): Promise<Validated<DcfValue>> {
    const endpoint = '/stable/discounted-cash-flow';
    const checked = this.checkSymbol(endpoint, symbol);
    if (typeof checked !== 'string') return checked;
    return this.call({
      path: 'discounted-cash-flow',
      query: { symbol: checked },
      symbol: checked,
      parse: (body, context) => this.report(context, validateDcfRows(this.jsonArray(body, context))),
    });
  }

  getEodBulk(date: string): Promise<Validated<DailyBar>> {
    if (typeof date !== 'string' || !isIsoDate(date)) {
      return this.rejectInput(
        '/stable/eod-bulk',
        undefined,
        `date must be YYYY-MM-DD, got ${JSON.stringify(date)}`,
      );
    }
    return this.call({
      path: 'eod-bulk',
      query: { date },
      parse: (body, context) => {
        const table = this.table(body, context, ['symbol', 'date', 'open', 'low', 'high', 'close', 'volume']);
        return this.report(context, validateBulkBars(table.rows, table.invalid));
      },
    });
  }

  getDcfBulk(): Promise<Validated<DcfValue>> {
    return this.call({
      path: 'dcf-bulk',
      query: {},
      parse: (body, context) => {
        const table = this.table(body, context, ['symbol', 'date', 'dcf', 'Stock Price']);
        return this.report(context, validateDcfRows(table.rows, table.invalid));
      },
    });
  }

  async getStockList(): Promise<StockListEntry[]> {
    return this.call({
      path: 'stock-list',
      query: {},
      parse: (body, context) => this.report(context, validateStockList(this.jsonArray(body, context))).rows,
    });
  }

  getSymbolChanges(options: SymbolChangeOptions = {}): Promise<Validated<SymbolChange>> {
    const endpoint = '/stable/symbol-change';
    if (options === null || typeof options !== 'object') {
      return this.rejectInput(endpoint, undefined, 'options must be an object');
    }
    const query: Record<string, string> = {};
    if (options.invalid !== undefined) {
      if (typeof options.invalid !== 'boolean') {
        return this.rejectInput(
          endpoint,
          undefined,
          `invalid must be a boolean, got ${JSON.stringify(options.invalid)}`,
        );
      }
      query.invalid = String(options.invalid);
    }
    if (options.limit !== undefined) {
      if (!Number.isInteger(options.limit) || options.limit < 1) {
        return this.rejectInput(
          endpoint,
          undefined,
          `limit must be an integer >= 1, got ${JSON.stringify(options.limit)}`,
        );
      }
      query.limit = String(options.limit);
    }
    return this.call({
      path: 'symbol-change',
      query,
      parse: (body, context) => this.report(context, validateSymbolChanges(this.jsonArray(body, context))),
    });
  }

  // -- input checks ----------------------------------------------------------------------------

  private checkSymbol(endpoint: string, symbol: unknown): string | Promise<never> {
    if (typeof symbol !== 'string' || !SYMBOL_RE.test(symbol.trim())) {
      return this.rejectInput(
        endpoint,
        undefined,
        `symbol must look like AAPL or BRK-B, got ${JSON.stringify(symbol)}`,
      );
    }
    return symbol.trim().toUpperCase();
  }

  private rejectInput(endpoint: string, symbol: string | undefined, problem: string): Promise<never> {
    const details = symbol === undefined ? { endpoint } : { endpoint, symbol };
    // Refused before sending: nothing reaches FMP, so the caller can skip and log it like a 400.
    return Promise.reject(new FmpBadRequestError(`FMP ${endpoint}: invalid argument: ${problem}`, details));
  }

  // -- the retry policy --------------------------------------------------------------------------

  private async call<T>(call: Call<T>): Promise<T> {
    const limiter = this.internal.limiter;
    const endpoint = `/stable/${call.path}`;
    let failures = 0;
    let rateLimitHits = 0;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      let sent = false;
      try {
        return await limiter.run(
          (ticket) => {
            sent = true;
            return this.send(call, endpoint, attempt, ticket);
          },
          { retry: attempt > 1 },
        );
      } catch (caught) {
        const error = caught instanceof FmpError ? caught : this.unexpected(caught, endpoint, call.symbol);
        // A shared termination error keeps the attempt count of the call that caused it.
        if (sent && error.attempts === 0) error.attempts = attempt;
        if (limiter.terminated && error === limiter.terminationError) {
          if (error.code === 'ABORTED') this.counters.errors.ABORTED += 1;
          throw error;
        }
        if (isFatalFmpError(error)) throw error;
        if (error instanceof FmpRateLimitError) {
          rateLimitHits += 1;
          if (rateLimitHits > this.rateLimitAttempts) throw error;
          // The pause itself was set when the 429 arrived; the retry simply queues behind it.
          continue;
        }
        if (!error.retryable) throw error;
        failures += 1;
        if (failures >= this.attempts) {
          error.message += ` (gave up after ${attempt} attempts)`;
          throw error;
        }
        const delayMs = this.backoffMs(failures);
        this.logger.debug('FMP request failed; retrying after backoff', {
          endpoint,
          symbol: call.symbol,
          code: error.code,
          status: error.status,
          attempt,
          delayMs,
        });
        try {
          await this.sleep(delayMs, limiter.signal);
        } catch {
          throw limiter.terminationError;
        }
      }
    }
  }

  /** Equal jitter: half the exponential step is guaranteed, half is random, so workers spread out. */
  private backoffMs(failures: number): number {
    const step = Math.min(this.capMs, this.baseMs * 2 ** (failures - 1));
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  private unexpected(error: unknown, endpoint: string, symbol?: string): FmpError {
    const details = symbol === undefined ? { endpoint } : { endpoint, symbol };
    return new FmpResponseError(
      redact(
        `FMP ${endpoint}: unexpected failure: ${error instanceof Error ? error.message : String(error)}`,
        [this.apiKey],
      ),
      { ...details, cause: sanitizeError(error, [this.apiKey]) },
    );
  }

  // -- one HTTP attempt ------------------------------------------------------------------------

  private async send<T>(call: Call<T>, endpoint: string, attempt: number, ticket: BudgetTicket): Promise<T> {
    const limiter = this.internal.limiter;
    const details = call.symbol === undefined ? { endpoint } : { endpoint, symbol: call.symbol };
    const label = call.symbol ? `FMP ${endpoint} (${call.symbol})` : `FMP ${endpoint}`;
    const url = new URL(`${this.origin}${endpoint}`);
    for (const [key, value] of Object.entries(call.query)) url.searchParams.set(key, value);

    this.counters.requests += 1;
    if (attempt > 1) this.counters.retries += 1;
    let status: number;
    let body: string;
    // Read only when a failure needs it: building the Headers costs more than the rest of a small answer.
    let answer: { readonly headers: { get(name: string): string | null } };
    try {
      const response = await this.http.raw(url.href, {
        method: 'GET',
        headers: { apikey: this.apiKey, accept: 'application/json, text/csv;q=0.9, */*;q=0.5' },
        responseType: 'text',
        retry: false,
        ignoreResponseError: true,
        // The stop signal lives as long as the client; the transport keeps the per-attempt deadline.
        signal: limiter.signal,
        ...({ timeoutMs: this.timeoutMs } as object),
      });
      status = response.status;
      body = typeof response._data === 'string' ? response._data : '';
      answer = response;
    } catch (caught) {
      if (limiter.terminated) throw limiter.terminationError;
      const cause = sanitizeError((caught as { cause?: unknown })?.cause ?? caught, [this.apiKey]);
      if (isDeadline(caught)) {
        throw this.failed(
          new FmpNetworkError('TIMEOUT', `${label}: timed out after ${this.timeoutMs} ms`, {
            ...details,
            cause,
          }),
        );
      }
      const code = rootCode(cause);
      const reason = cause
        ? `${cause.message}${code && !cause.message.includes(code) ? ` (${code})` : ''}`
        : 'no response';
      throw this.failed(
        new FmpNetworkError('NETWORK', `${label}: network error: ${reason}`, { ...details, cause }),
      );
    } finally {
      ticket.complete();
    }

    this.counters.bytesReceived += Buffer.byteLength(body, 'utf8');
    const context: ParseContext = { status, ...details };
    if (status !== 429) this.internal.adaptive?.onAnswered();
    if (status < 200 || status >= 300) {
      const message = extractFmpMessage(body);
      throw this.failed(
        classifyStatus({
          status,
          fmpMessage: message === undefined ? undefined : redact(message, [this.apiKey]),
          retryAfterMs: parseRetryAfter(answer.headers.get('retry-after')),
          details,
        }),
      );
    }
    try {
      return call.parse(body, context);
    } catch (caught) {
      if (caught instanceof FmpError)
        throw this.failed(caught, parseRetryAfter(answer.headers.get('retry-after')));
      throw this.failed(this.unexpected(caught, endpoint, call.symbol));
    }
  }

  /** Books a failed attempt and applies its client-wide effect at once, before other workers move on. */
  private failed(error: FmpError, retryAfterMs: number | null = null): FmpError {
    this.counters.errors[error.code] += 1;
    const limiter = this.internal.limiter;
    if (isFatalFmpError(error)) {
      this.logger.error('FMP fatal error; cancelling every queued request of this client', {
        endpoint: error.endpoint,
        symbol: error.symbol,
        code: error.code,
        status: error.status,
        message: error.message,
      });
      limiter.terminate(error);
    } else if (error instanceof FmpRateLimitError) {
      this.counters.rateLimited += 1;
      const retryAfter = error.retryAfterMs ?? retryAfterMs;
      const pauseMs =
        retryAfter !== null && retryAfter > 0
          ? Math.min(retryAfter, Math.max(DEFAULTS.maxRetryAfterMs, this.rateLimitPauseMs))
          : this.rateLimitPauseMs;
      limiter.pauseUntil(this.clock() + pauseMs);
      this.internal.adaptive?.onRateLimited();
      this.logger.warn('FMP rate limit hit; pausing every request of this client', {
        endpoint: error.endpoint,
        symbol: error.symbol,
        pauseMs,
        retryAfter: retryAfter !== null,
      });
    }
    return error;
  }

  // -- body parsing ----------------------------------------------------------------------------

  private malformed(context: ParseContext, problem: string): FmpResponseError {
    const label = context.symbol ? `FMP ${context.endpoint} (${context.symbol})` : `FMP ${context.endpoint}`;
    const details =
      context.symbol === undefined
        ? { endpoint: context.endpoint }
        : { endpoint: context.endpoint, symbol: context.symbol };
    return new FmpResponseError(`${label}: malformed response: ${problem}`, {
      ...details,
      status: context.status,
    });
  }

  private errorEnvelope(parsed: unknown, context: ParseContext): FmpError | undefined {
    const message = errorMessageOf(parsed);
    if (message === undefined) return undefined;
    const details =
      context.symbol === undefined
        ? { endpoint: context.endpoint }
        : { endpoint: context.endpoint, symbol: context.symbol };
    return classifyErrorBody({
      status: context.status,
      fmpMessage: redact(message, [this.apiKey]),
      retryAfterMs: null,
      details,
    });
  }

  private jsonArray(body: string, context: ParseContext): unknown[] {
    const trimmed = body.trim();
    if (trimmed === '') throw this.malformed(context, 'empty body where a JSON array belongs');
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      const kind = trimmed.startsWith('<') ? 'an HTML page' : 'not valid JSON (truncated?)';
      throw this.malformed(context, `body is ${kind}`);
    }
    if (Array.isArray(parsed)) return parsed;
    const envelope = this.errorEnvelope(parsed, context);
    if (envelope) throw envelope;
    throw this.malformed(context, `expected a JSON array, got ${parsed === null ? 'null' : typeof parsed}`);
  }

  /** CSV (the bulk endpoints' real format) or, defensively, a JSON array of the same objects. */
  private table(
    body: string,
    context: ParseContext,
    required: readonly string[],
  ): { rows: Record<string, string>[] | unknown[]; invalid: Map<number, string> } {
    const trimmed = body.replace(/^\uFEFF/, '').trim();
    if (trimmed === '') throw this.malformed(context, 'empty body where CSV belongs');
    if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
      return { rows: this.jsonArray(trimmed, context), invalid: new Map() };
    }
    if (trimmed.startsWith('<')) throw this.malformed(context, 'body is an HTML page, not CSV');
    const { records, unterminatedQuote } = parseCsv(trimmed);
    if (unterminatedQuote) throw this.malformed(context, 'CSV ends inside a quoted field (truncated)');
    const header = (records[0] ?? []).map((name) => name.trim());
    const missing = required.filter((name) => !header.includes(name));
    if (missing.length > 0) {
      throw this.malformed(
        context,
        `CSV header lacks ${missing.join(', ')} (got ${header.join(',').slice(0, 120)})`,
      );
    }
    const data = records.slice(1);
    const last = data[data.length - 1];
    if (last && last.length < header.length) {
      throw this.malformed(context, `last CSV row has ${last.length} of ${header.length} fields (truncated)`);
    }
    const invalid = new Map<number, string>();
    const rows = data.map((record, index) => {
      if (record.length !== header.length) {
        invalid.set(index, `row has ${record.length} fields, expected ${header.length}`);
      }
      const row: Record<string, string> = {};
      header.forEach((name, i) => {
        const value = record[i];
        if (value !== undefined) row[name] = value;
      });
      return row;
    });
    return { rows, invalid };
  }

  private report<T>(context: ParseContext, result: Validated<T>): Validated<T> {
    if (result.invalid.length > 0) {
      this.counters.invalidRows += result.invalid.length;
      this.logger.warn('FMP rows failed validation and were dropped', {
        endpoint: context.endpoint,
        symbol: context.symbol,
        invalid: result.invalid.length,
        kept: result.rows.length,
        examples: result.invalid.slice(0, 3).map((row) => row.reason),
      });
    }
    return result;
  }
}

/** Creates a client. Options are validated at once; a bad option throws a TypeError naming it. */
export function createFmpClient(options: FmpClientOptions): FmpClient {
  return new FmpHttpClient(options);
}

/** ofetch wraps what fetch threw in a FetchError (as `cause`). */
function isDeadline(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DeadlineError) return true;
  }
  return false;
}

// The one Logger type of the project lives in @smartstock/common.
import type { Logger } from '@smartstock/common';
import type { SharedBudgetOptions } from './shared-budget.js';

export { type Logger, noopLogger } from '@smartstock/common';

/**
 * The client's request budget: at most `requests` starts in any rolling `windowMs`, matching FMP's per-minute
 * plan limits.
 */
export interface RateLimitOptions {
  /** Request starts allowed in any rolling window. */
  requests: number;
  /** Window length in ms (default 60 000). Scaled down in tests and benchmarks. */
  windowMs?: number | undefined;
  /**
   * Longest delay assumed between sending a request and FMP counting it, used only for a request that
   * has not completed yet (a completed request is bounded by its completion time). Default 1 000.
   */
  safetyMarginMs?: number | undefined;
}

/**
 * How failed calls are retried: the retryable 5xx, network errors, timeouts and malformed bodies with backoff,
 * 429s after a pause. 400, 401, 402, 403 and 404 are never retried.
 */
export interface RetryOptions {
  /** Total attempts for 5xx / network / timeout / malformed-body failures (default 4). */
  attempts?: number | undefined;
  /** Backoff base in ms (default 1 000): attempt n waits ~base * 2^(n-1), with jitter. */
  baseMs?: number | undefined;
  /** Backoff cap in ms (default 30 000). */
  capMs?: number | undefined;
  /** Whole-client pause after a 429 without a positive Retry-After (default 10 000). */
  rateLimitPauseMs?: number | undefined;
  /** Retries of one call after 429s before it fails with FmpRateLimitError (default 5). */
  rateLimitAttempts?: number | undefined;
}

/** Options of `createFmpClient`. Only `apiKey` is required; the defaults are FMP_CLIENT_DEFAULTS. */
export interface FmpClientOptions {
  apiKey: string;
  /** Origin only (default https://financialmodelingprep.com); the client adds /stable/... */
  baseUrl?: string | undefined;
  /** Rolling-window budget (default 300 requests / 60 s, FMP Starter). `null` disables pacing. */
  rateLimit?: RateLimitOptions | null | undefined;
  /**
   * Share the budget with every process that uses this API key, through Redis (needs the optional peer
   * dependency `ioredis`). Without it the budget is this client's alone.
   */
  budget?: SharedBudgetOptions | undefined;
  /**
   * Lower the rate after 429s that the budget did not prevent (a budget set above the key's plan) and climb
   * back carefully; default true. The advice it learns is in `stats.rateAdvice`.
   */
  adaptiveRate?: boolean | undefined;
  /** Requests in flight at once (default 10). */
  maxConcurrent?: number | undefined;
  retry?: RetryOptions | undefined;
  /** Per-attempt timeout in ms, covering headers and body (default 30 000). */
  timeoutMs?: number | undefined;
  logger?: Logger | undefined;
  /** Aborting it aborts the client (like `abort()`). */
  signal?: AbortSignal | undefined;
  /** Test seam: monotonic clock in ms (default performance.now). */
  clock?: (() => number) | undefined;
  /** Test seam: sleep that rejects when the signal aborts (default setTimeout-based). */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Test seam: random in [0, 1) for backoff jitter (default Math.random). */
  random?: (() => number) | undefined;
}

/** One validated end-of-day bar (prices in the listing's currency, volume in shares). */
export interface DailyBar {
  symbol: string;
  /** YYYY-MM-DD */
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number | null;
  change: number | null;
  changePercent: number | null;
}

/** One validated DCF valuation: FMP's discounted-cash-flow value per share and the price it compared it with. */
export interface DcfValue {
  symbol: string;
  /** YYYY-MM-DD */
  date: string;
  dcf: number;
  stockPrice: number | null;
}

/** A row FMP sent that failed validation and was dropped, with why (for the failed-ingestion log). */
export interface InvalidRow {
  /** 0-based position of the row in the response (data rows only, for CSV). */
  index: number;
  symbol?: string | undefined;
  date?: string | undefined;
  reason: string;
}

/** An endpoint's answer after validation: the good rows, and the rows dropped (a partial answer is not an error). */
export interface Validated<T> {
  rows: T[];
  invalid: InvalidRow[];
}

/** One symbol of FMP's stock list. */
export interface StockListEntry {
  symbol: string;
  companyName: string | null;
}

/**
 * One rename from `/stable/symbol-change`: `oldSymbol` trades as `newSymbol` from `date` (the company is the
 * same; FMP's wording, e.g. NEP -> XIFR on 2025-02-03).
 */
export interface SymbolChange {
  /** YYYY-MM-DD, the first session under the new symbol. */
  date: string;
  companyName: string | null;
  oldSymbol: string;
  newSymbol: string;
}

/** Parameters of `/stable/symbol-change` (FMP's own; both optional, FMP's defaults apply when absent). */
export interface SymbolChangeOptions {
  /** FMP's `invalid` filter (renames to or from symbols FMP marks invalid). */
  invalid?: boolean | undefined;
  /** Most rows FMP returns (FMP's `limit`; its default is its own). A positive integer. */
  limit?: number | undefined;
}

/** The client's counters since it was created, for the run summary and benchmarks. */
export interface FmpStats {
  /** HTTP requests sent (every attempt). */
  requests: number;
  /** Attempts beyond the first (backoff retries and 429 retries). */
  retries: number;
  /** 429 "Limit Reach" answers received. */
  rateLimited: number;
  /** Response body bytes received (decoded). */
  bytesReceived: number;
  /** Rows dropped by validation. */
  invalidRows: number;
  /**
   * Set while 429s keep the rate under the configured budget: "FMP answered 429 at 750/min: this key seems
   * to allow about 300/min; set FMP_REQUESTS_PER_MINUTE=300". Null when the budget held.
   */
  rateAdvice: string | null;
  /** Failed attempts by class (a 5xx retried three times counts 3), plus calls rejected as ABORTED. */
  errors: Record<import('./errors.js').FmpErrorCode, number>;
}

/**
 * A paced, retrying client of the FMP endpoints the sync needs. Calls reject with an FmpError subclass
 * (`FmpAuthError`, `FmpPlanError`, `FmpRateLimitError`, …; see `isFatalFmpError` for the ones that doom every
 * later call).
 */
export interface FmpClient {
  /** `/stable/historical-price-eod/full`, newest first as FMP sends it. */
  getDailyPrices(symbol: string, range: { from: string; to: string }): Promise<Validated<DailyBar>>;
  /** `/stable/discounted-cash-flow`; `rows: []` means FMP has no DCF for the symbol (not an error). */
  getDcf(symbol: string): Promise<Validated<DcfValue>>;
  /** `/stable/eod-bulk` (CSV, Ultimate plan); vwap/change/changePercent derived as on `/full`. */
  getEodBulk(date: string): Promise<Validated<DailyBar>>;
  /** `/stable/dcf-bulk` (CSV, Ultimate plan). */
  getDcfBulk(): Promise<Validated<DcfValue>>;
  /** `/stable/stock-list`. */
  getStockList(): Promise<StockListEntry[]>;
  /**
   * `/stable/symbol-change`: recent renames (old symbol -> new symbol), as FMP sends them. A plan without the
   * endpoint answers 402 (`FmpPlanError`, scope `endpoint`).
   */
  getSymbolChanges(options?: SymbolChangeOptions): Promise<Validated<SymbolChange>>;
  /** A snapshot of the counters. */
  readonly stats: FmpStats;
  /** Cancels every queued and in-flight call (they reject with FmpAbortedError). The client stays dead. */
  abort(reason?: unknown): void;
  /** Releases the shared budget's Redis connection (nothing to release otherwise). Call once, when done. */
  close(): Promise<void>;
}

import {
  CSV_TYPE,
  FMP_MESSAGES,
  fmpHeaders,
  fmpJson,
  HTML_TYPE,
  JSON_TYPE,
  serverErrorBody,
} from './bodies.js';
import { dayNumber, isoFromDay, isValidIsoDate, newYorkDate } from './dates.js';
import { SandboxError } from './errors.js';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultRates,
  formatFaults,
  parseFaults,
  pickFault,
} from './faults.js';
import { hashString, mix, mixAll, unit } from './hash.js';
import {
  type BadPrintSpec,
  type FmpBar,
  type HaltSpec,
  type RenameSpec,
  SANDBOX_FUNDS,
  type SandboxFund,
  type SplitSpec,
  SyntheticMarket,
  validateBadPrints,
  validateHalts,
  validateRenames,
  validateSplits,
} from './market.js';

/** The FMP plan the sandbox imitates: below `ultimate`, the bulk endpoints answer 402. */
export type Plan = 'starter' | 'premium' | 'ultimate';
const PLANS: readonly Plan[] = ['starter', 'premium', 'ultimate'];

/** The market clock: a function, an instant, or an ISO string (fixed). */
export type ClockOption = (() => Date) | Date | string;

/**
 * The sandbox's market, limits and faults; all optional (defaults: 2,000 tickers, seed 1, plan `ultimate`, no
 * rate limit, no faults, real time). A bad value throws SandboxError INVALID_OPTION.
 */
export interface SandboxCoreOptions {
  /** Universe size (default 2000). */
  tickers?: number | undefined;
  /** Seed of the market (default 1). */
  seed?: number | undefined;
  /** Seed of fault decisions (default: `seed`). */
  faultSeed?: number | undefined;
  /** The key FMP requests must carry (`apikey` header or query parameter). Default `sandbox-key`. */
  apiKey?: string | undefined;
  /** Bulk endpoints answer 402 below `ultimate` (the default). */
  plan?: Plan | undefined;
  /** Requests admitted per rolling window; 0 (default) = unlimited. */
  rpm?: number | undefined;
  /** Length of the rolling window in ms (default 60000). */
  rateWindowMs?: number | undefined;
  /** When true, requests answered 429 also occupy the window (default false: only admitted ones do). */
  countRejected?: boolean | undefined;
  /** Time from a request's arrival to its answer, in ms (default 0): the sandbox's own work is inside it. */
  latencyMs?: number | undefined;
  /** Fault probabilities per request, as FaultRates or the CLI's `5xx=0.05,429=0.02` form (default none). */
  faults?: FaultRates | string | undefined;
  /** Length of a 429 burst: the faulted request plus the next ones (default 3). */
  burst429?: number | undefined;
  /** Accept N more authenticated requests, then answer 401 to every one. null = never (default). */
  revokeKeyAfter?: number | null | undefined;
  /** The market clock: bars exist for sessions closed by then; splits apply from their date. Default: real time. */
  now?: ClockOption | undefined;
  /** Stock splits applied to the synthetic history (default none). */
  splits?: SplitSpec[] | undefined;
  /** Bars served wrong, a price multiplied by a factor on one day (default none): a move no split explains. */
  badPrints?: BadPrintSpec[] | undefined;
  /** Halted sessions: `{ symbol, date }` bars never served, on any endpoint (default none). */
  halts?: HaltSpec[] | undefined;
  /** Most rows one `/full` call returns (newest kept; default 5000). */
  maxRowsPerCall?: number | undefined;
  /** Renames `/stable/symbol-change` lists once their date is reached (default none). */
  renames?: RenameSpec[] | undefined;
  /**
   * Endpoints outside the key's plan whatever `plan` says (e.g. `['symbol-change']`), named as in the counters:
   * they answer 402 "Restricted Endpoint". Default none. FMP's pricing does not say which plan carries
   * `symbol-change`, so the sandbox does not tie it to a plan.
   */
  outsidePlan?: string[] | undefined;
  /**
   * Years of daily history the key's plan reaches back from the market's today (FMP's Starter: 5): a `/full`
   * request whose `from` is earlier answers 402, as FMP does. Default null: no limit.
   */
  historyDepthYears?: number | null | undefined;
  /** Wall clock in ms for the rate window and the request log (test seam; default Date.now). */
  wallClock?: (() => number) | undefined;
}

/** A change to a running sandbox (`update`, or `POST` to ADMIN_PATH): only the fields given change. */
export interface SandboxPatch {
  faults?: FaultRates | string | undefined;
  rpm?: number | undefined;
  rateWindowMs?: number | undefined;
  latencyMs?: number | undefined;
  revokeKeyAfter?: number | null | undefined;
  plan?: Plan | undefined;
  /** A new market clock; null returns to real time. */
  now?: ClockOption | null | undefined;
  splits?: SplitSpec[] | undefined;
  badPrints?: BadPrintSpec[] | undefined;
  halts?: HaltSpec[] | undefined;
  countRejected?: boolean | undefined;
  burst429?: number | undefined;
  renames?: RenameSpec[] | undefined;
  outsidePlan?: string[] | undefined;
  /** Years of history the plan reaches back; null lifts the limit. */
  historyDepthYears?: number | null | undefined;
}

/** A request as SandboxCore sees it, whatever carried it (the HTTP server or msw). */
export interface SandboxRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  body?: string | undefined;
}

/** What SandboxCore decided: an answer after `delayMs`, a hang (a timeout fault) or a connection reset. */
export type SandboxReply =
  | { action: 'respond'; status: number; headers: Record<string, string>; body: string; delayMs: number }
  | { action: 'hang' }
  | { action: 'reset'; delayMs: number };

/** Requests to one endpoint, in total and by HTTP status. */
export interface EndpointCounters {
  total: number;
  byStatus: Record<string, number>;
}

/**
 * What the sandbox has served since the start or the last `resetCounters`, for tests and benchmarks to check
 * pacing and retries.
 */
export interface SandboxCounters {
  /** FMP API requests (holdings and admin requests are not included). */
  requests: number;
  /** By endpoint (`historical-price-eod/full`, `discounted-cash-flow`, `eod-bulk`, `dcf-bulk`, `stock-list`,
   *  `symbol-change`, `ishares-holdings`, `other`), then by status; hanging and reset requests count as `hang` and `reset`. */
  byEndpoint: Record<string, EndpointCounters>;
  byStatus: Record<string, number>;
  faults: Record<FaultKind, number>;
  /** 429s from the rolling-window limit (not from injected faults). */
  rateLimited: number;
  /** Wall-clock start time (ms) of every FMP API request, in arrival order. */
  requestTimes: number[];
}

/** The sandbox's current settings, as `state()` returns them (and the admin API, under `state`). */
export interface SandboxState {
  tickers: number;
  seed: number;
  plan: Plan;
  rpm: number;
  rateWindowMs: number;
  countRejected: boolean;
  latencyMs: number;
  faults: string;
  burst429: number;
  revokeKeyAfter: number | null;
  now: string;
  latestSession: string;
  splits: SplitSpec[];
  maxRowsPerCall: number;
  renames: RenameSpec[];
  outsidePlan: string[];
  historyDepthYears: number | null;
}

const ENDPOINTS: Record<string, string> = {
  '/stable/historical-price-eod/full': 'historical-price-eod/full',
  '/stable/discounted-cash-flow': 'discounted-cash-flow',
  '/stable/eod-bulk': 'eod-bulk',
  '/stable/dcf-bulk': 'dcf-bulk',
  '/stable/stock-list': 'stock-list',
  '/stable/symbol-change': 'symbol-change',
};
const BULK = new Set(['eod-bulk', 'dcf-bulk']);
/** Path of the iShares-style IWM holdings CSV the sandbox serves (no key needed). */
export const HOLDINGS_PATH = '/ishares/IWM_holdings.csv';

/** `/ishares/IJR_holdings.csv` -> IJR: the other funds' files sit beside IWM's. */
function holdingsFund(path: string): SandboxFund | null {
  const match = /^\/ishares\/([A-Z]+)_holdings\.csv$/.exec(path);
  return match && match[1]! in SANDBOX_FUNDS ? (match[1] as SandboxFund) : null;
}
/** Path of the admin API (needs the API key): `GET` reads state and counters, `POST` applies a JSON SandboxPatch. */
export const ADMIN_PATH = '/__admin/state';

function intOption(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SandboxError(
      'INVALID_OPTION',
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

function clockFrom(option: ClockOption | null | undefined): () => Date {
  if (option === undefined || option === null) return () => new Date();
  if (typeof option === 'function') return option;
  const date = option instanceof Date ? new Date(option.getTime()) : new Date(option);
  if (Number.isNaN(date.getTime())) {
    throw new SandboxError(
      'INVALID_OPTION',
      `now must be a Date, an ISO date-time or a function, got ${String(option)}`,
    );
  }
  return () => new Date(date.getTime());
}

function planOption(value: unknown): Plan {
  if (typeof value !== 'string' || !(PLANS as readonly string[]).includes(value)) {
    throw new SandboxError('INVALID_OPTION', `plan must be one of ${PLANS.join(', ')}, got ${String(value)}`);
  }
  return value as Plan;
}

function outsidePlanOption(value: unknown): string[] {
  const known = Object.values(ENDPOINTS);
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !known.includes(v))) {
    throw new SandboxError(
      'INVALID_OPTION',
      `outsidePlan must be an array of endpoint names (${known.join(', ')}), got ${JSON.stringify(value)}`,
    );
  }
  return [...new Set(value as string[])];
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function headerValue(headers: SandboxRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function emptyCounters(): SandboxCounters {
  return {
    requests: 0,
    byEndpoint: {},
    byStatus: {},
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    rateLimited: 0,
    requestTimes: [],
  };
}

/** Largest number of entries of `times` (ascending ms) falling in any window of `windowMs`. */
export function maxRequestsInWindow(times: readonly number[], windowMs: number): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

type Payload =
  | { kind: 'json'; value: unknown[] }
  | { kind: 'csv'; header: string; rows: Array<Array<string | number>> }
  | { kind: 'error'; status: number; body: unknown[] | Record<string, unknown> };

/**
 * The whole sandbox as one function of a request: both the loopback server and the msw handlers call
 * `handle`, so they cannot answer differently. State (counters, rate window, fault attempts) lives here.
 */
export class SandboxCore {
  readonly market: SyntheticMarket;
  readonly apiKey: string;
  private readonly faultSeed: number;
  private readonly wallClock: () => number;
  private plan: Plan;
  private rpm: number;
  private rateWindowMs: number;
  private countRejected: boolean;
  private latencyMs: number;
  private faultRates: Record<FaultKind, number>;
  private burst429: number;
  private burstRemaining = 0;
  private revokeRemaining: number | null;
  private maxRowsPerCall: number;
  private outsidePlan: string[];
  private historyDepthYears: number | null;
  private admitted: number[] = [];
  private admittedHead = 0;
  private attempts = new Map<string, number>();
  private stats: SandboxCounters = emptyCounters();

  constructor(options: SandboxCoreOptions = {}) {
    const seed = options.seed ?? 1;
    this.market = new SyntheticMarket({
      seed,
      tickers: options.tickers ?? 2000,
      now: clockFrom(options.now),
      splits: options.splits ?? [],
      badPrints: options.badPrints ?? [],
      halts: options.halts ?? [],
      renames: options.renames ?? [],
    });
    const apiKey = options.apiKey ?? 'sandbox-key';
    if (typeof apiKey !== 'string' || apiKey === '')
      throw new SandboxError('INVALID_OPTION', 'apiKey must be a non-empty string');
    this.apiKey = apiKey;
    this.faultSeed = intOption('faultSeed', options.faultSeed ?? seed, Number.MIN_SAFE_INTEGER);
    this.wallClock = options.wallClock ?? Date.now;
    this.plan = planOption(options.plan ?? 'ultimate');
    this.rpm = intOption('rpm', options.rpm ?? 0, 0);
    this.rateWindowMs = intOption('rateWindowMs', options.rateWindowMs ?? 60_000, 1);
    this.countRejected = options.countRejected ?? false;
    this.latencyMs = intOption('latencyMs', options.latencyMs ?? 0, 0, 600_000);
    this.faultRates = parseFaults(options.faults);
    this.burst429 = intOption('burst429', options.burst429 ?? 3, 1, 10_000);
    this.revokeRemaining =
      options.revokeKeyAfter == null ? null : intOption('revokeKeyAfter', options.revokeKeyAfter, 0);
    this.maxRowsPerCall = intOption('maxRowsPerCall', options.maxRowsPerCall ?? 5000, 1);
    this.outsidePlan = outsidePlanOption(options.outsidePlan ?? []);
    this.historyDepthYears =
      options.historyDepthYears == null
        ? null
        : intOption('historyDepthYears', options.historyDepthYears, 1, 100);
  }

  /** Changes the running sandbox; every field is validated before any is applied. */
  update(patch: SandboxPatch): void {
    if (typeof patch !== 'object' || patch === null)
      throw new SandboxError('INVALID_OPTION', 'update expects an object');
    const known = new Set([
      'faults',
      'rpm',
      'rateWindowMs',
      'latencyMs',
      'revokeKeyAfter',
      'plan',
      'now',
      'splits',
      'badPrints',
      'halts',
      'countRejected',
      'burst429',
      'renames',
      'outsidePlan',
      'historyDepthYears',
    ]);
    for (const key of Object.keys(patch)) {
      if (!known.has(key))
        throw new SandboxError('INVALID_OPTION', `update: unknown option ${JSON.stringify(key)}`);
    }
    const faults = patch.faults !== undefined ? parseFaults(patch.faults) : undefined;
    const rpm = patch.rpm !== undefined ? intOption('rpm', patch.rpm, 0) : undefined;
    const windowMs =
      patch.rateWindowMs !== undefined ? intOption('rateWindowMs', patch.rateWindowMs, 1) : undefined;
    const latency =
      patch.latencyMs !== undefined ? intOption('latencyMs', patch.latencyMs, 0, 600_000) : undefined;
    const revoke =
      patch.revokeKeyAfter === undefined
        ? undefined
        : patch.revokeKeyAfter === null
          ? null
          : intOption('revokeKeyAfter', patch.revokeKeyAfter, 0);
    const plan = patch.plan !== undefined ? planOption(patch.plan) : undefined;
    const clock = patch.now !== undefined ? clockFrom(patch.now) : undefined;
    const splits = patch.splits !== undefined ? validateSplits(patch.splits) : undefined;
    const badPrints = patch.badPrints !== undefined ? validateBadPrints(patch.badPrints) : undefined;
    const halts = patch.halts !== undefined ? validateHalts(patch.halts) : undefined;
    const renames = patch.renames !== undefined ? validateRenames(patch.renames) : undefined;
    const outsidePlan = patch.outsidePlan !== undefined ? outsidePlanOption(patch.outsidePlan) : undefined;
    const depth =
      patch.historyDepthYears === undefined
        ? undefined
        : patch.historyDepthYears === null
          ? null
          : intOption('historyDepthYears', patch.historyDepthYears, 1, 100);
    const burst = patch.burst429 !== undefined ? intOption('burst429', patch.burst429, 1, 10_000) : undefined;
    if (patch.countRejected !== undefined && typeof patch.countRejected !== 'boolean') {
      throw new SandboxError('INVALID_OPTION', 'countRejected must be a boolean');
    }
    if (faults) this.faultRates = faults;
    if (rpm !== undefined) this.rpm = rpm;
    if (windowMs !== undefined) this.rateWindowMs = windowMs;
    if (latency !== undefined) this.latencyMs = latency;
    if (revoke !== undefined) this.revokeRemaining = revoke;
    if (plan) this.plan = plan;
    if (clock) this.market.setClock(clock);
    if (splits) this.market.setSplits(splits);
    if (badPrints) this.market.setBadPrints(badPrints);
    if (halts) this.market.setHalts(halts);
    if (renames) this.market.setRenames(renames);
    if (outsidePlan) this.outsidePlan = outsidePlan;
    if (depth !== undefined) this.historyDepthYears = depth;
    if (burst !== undefined) this.burst429 = burst;
    if (patch.countRejected !== undefined) this.countRejected = patch.countRejected;
  }

  state(): SandboxState {
    return {
      tickers: this.market.size,
      seed: this.market.seed,
      plan: this.plan,
      rpm: this.rpm,
      rateWindowMs: this.rateWindowMs,
      countRejected: this.countRejected,
      latencyMs: this.latencyMs,
      faults: formatFaults(this.faultRates),
      burst429: this.burst429,
      revokeKeyAfter: this.revokeRemaining,
      now: this.market.now().toISOString(),
      latestSession: this.market.latestSession(),
      splits: this.market.splits(),
      maxRowsPerCall: this.maxRowsPerCall,
      renames: this.market.renames(),
      outsidePlan: [...this.outsidePlan],
      historyDepthYears: this.historyDepthYears,
    };
  }

  /** A deep copy of the counters. */
  counters(): SandboxCounters {
    return structuredClone(this.stats);
  }

  resetCounters(): void {
    this.stats = emptyCounters();
  }

  /** Largest number of FMP requests that started within any window of `windowMs` (default: the limit's). */
  maxRequestsInWindow(windowMs = this.rateWindowMs): number {
    return maxRequestsInWindow(this.stats.requestTimes, windowMs);
  }

  handle(request: SandboxRequest): SandboxReply {
    const { path } = request;
    if (path === ADMIN_PATH) return this.admin(request);
    const fund = holdingsFund(path);
    if (fund !== null) {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return this.record('ishares-holdings', this.plain(405, 'Method Not Allowed'));
      const body = this.market.holdingsCsv(fund);
      return this.record('ishares-holdings', {
        action: 'respond',
        status: 200,
        headers: {
          'content-type': 'text/csv;charset=UTF-8',
          'content-disposition': `attachment; filename=${fund}_holdings.csv`,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
        delayMs: this.latencyMs,
      });
    }

    const endpoint = ENDPOINTS[path] ?? 'other';
    const now = this.wallClock();
    this.stats.requests++;
    this.stats.requestTimes.push(now);

    const key = headerValue(request.headers, 'apikey') ?? request.query.get('apikey');
    if (key !== this.apiKey)
      return this.record(endpoint, this.json(401, { 'Error Message': FMP_MESSAGES.invalidKey }));
    if (this.revokeRemaining !== null) {
      if (this.revokeRemaining <= 0)
        return this.record(endpoint, this.json(401, { 'Error Message': FMP_MESSAGES.invalidKey }));
      this.revokeRemaining--;
    }
    if (!this.admit(now)) {
      this.stats.rateLimited++;
      return this.record(endpoint, this.json(429, { 'Error Message': FMP_MESSAGES.limitReach }));
    }
    if (path.startsWith('/api/v3/') || path.startsWith('/api/v4/')) {
      return this.record(endpoint, this.json(403, { 'Error Message': FMP_MESSAGES.legacy }));
    }
    if (endpoint === 'other' || request.method !== 'GET') return this.record(endpoint, this.json(404, []));
    if ((BULK.has(endpoint) && this.plan !== 'ultimate') || this.outsidePlan.includes(endpoint)) {
      return this.record(endpoint, this.json(402, { 'Error Message': FMP_MESSAGES.restricted }));
    }

    if (this.burstRemaining > 0) {
      this.burstRemaining--;
      this.stats.faults['429']++;
      return this.record(endpoint, this.json(429, { 'Error Message': FMP_MESSAGES.limitReach }));
    }
    const { fault, h } = this.decideFault(endpoint, request.query);
    if (fault) this.stats.faults[fault]++;
    switch (fault) {
      case '5xx': {
        const status = [500, 502, 503, 504][mix(h, 1) % 4] ?? 500;
        const { body, contentType } = serverErrorBody(status);
        return this.record(endpoint, this.respond(status, body, contentType));
      }
      case '429':
        this.burstRemaining = this.burst429 - 1;
        return this.record(endpoint, this.json(429, { 'Error Message': FMP_MESSAGES.limitReach }));
      case 'timeout':
        return this.record(endpoint, { action: 'hang' });
      case 'reset':
        return this.record(endpoint, { action: 'reset', delayMs: this.latencyMs });
      case 'error200':
        // An error body on a 200: FMP's own "Limit Reach" wording, which a client must not take for data.
        return this.record(endpoint, this.json(200, { 'Error Message': FMP_MESSAGES.limitReach }));
      default:
        break;
    }

    const payload = this.produce(endpoint, request.query);
    if (payload.kind === 'error') return this.record(endpoint, this.json(payload.status, payload.body));
    if (fault === 'badrows' && !this.corrupt(endpoint, payload, h)) this.stats.faults.badrows--;
    let body = payload.kind === 'json' ? fmpJson(payload.value) : this.csv(payload.header, payload.rows);
    let contentType = payload.kind === 'json' ? JSON_TYPE : CSV_TYPE;
    if (fault === 'malformed') {
      if (unit(mix(h, 2)) < 0.75 || payload.kind === 'csv') {
        const cut = 1 + (mix(h, 3) % Math.max(1, body.length - 1));
        body = body.slice(0, Math.min(cut, Math.max(1, body.length - 1)));
      } else {
        body =
          '<!DOCTYPE html>\n<html><head><title>Financial Modeling Prep</title></head><body><div id="root"></div></body></html>\n';
        contentType = HTML_TYPE;
      }
    }
    return this.record(endpoint, this.respond(200, body, contentType));
  }

  private admit(now: number): boolean {
    if (this.rpm <= 0) return true;
    const floor = now - this.rateWindowMs;
    while (this.admittedHead < this.admitted.length && (this.admitted[this.admittedHead] ?? 0) <= floor)
      this.admittedHead++;
    if (this.admittedHead > 4096 && this.admittedHead * 2 > this.admitted.length) {
      this.admitted = this.admitted.slice(this.admittedHead);
      this.admittedHead = 0;
    }
    const inWindow = this.admitted.length - this.admittedHead;
    if (inWindow >= this.rpm) {
      if (this.countRejected) this.admitted.push(now);
      return false;
    }
    this.admitted.push(now);
    return true;
  }

  /**
   * Fault decisions hash (fault seed, endpoint, query without the key, attempt number of that same request), so a
   * rerun meets the same faults on the same requests whatever the concurrency interleaving.
   */
  private decideFault(endpoint: string, query: URLSearchParams): { fault: FaultKind | null; h: number } {
    const params = [...query]
      .filter(([k]) => k !== 'apikey')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const canonical = `${endpoint}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
    const attempt = this.attempts.get(canonical) ?? 0;
    this.attempts.set(canonical, attempt + 1);
    const h = mixAll(this.faultSeed, hashString(canonical), attempt);
    return { fault: pickFault(this.faultRates, unit(h)), h };
  }

  /** The earliest date the plan's history reaches (market today minus historyDepthYears), or null. */
  private earliestHistoryDate(): string | null {
    if (this.historyDepthYears === null) return null;
    const today = newYorkDate(this.market.now());
    const year = Number(today.slice(0, 4)) - this.historyDepthYears;
    // 29 February of a year that has none: the 28th.
    const candidate = `${String(year).padStart(4, '0')}${today.slice(4)}`;
    return isValidIsoDate(candidate) ? candidate : `${String(year).padStart(4, '0')}-02-28`;
  }

  private produce(endpoint: string, query: URLSearchParams): Payload {
    const bad = (message: string): Payload => ({
      kind: 'error',
      status: 400,
      body: { 'Error Message': message },
    });
    switch (endpoint) {
      case 'historical-price-eod/full': {
        const symbol = query.get('symbol')?.trim().toUpperCase();
        if (!symbol) return bad('The symbol parameter is required.');
        let from = query.get('from') ?? undefined;
        let to = query.get('to') ?? undefined;
        if (from !== undefined && !isValidIsoDate(from))
          return bad("Invalid 'from' date: expected YYYY-MM-DD.");
        if (to !== undefined && !isValidIsoDate(to)) return bad("Invalid 'to' date: expected YYYY-MM-DD.");
        // Without a range FMP serves about five years up to today.
        to ??= newYorkDate(this.market.now());
        from ??= isoFromDay(dayNumber(to) - 1826);
        const earliest = this.earliestHistoryDate();
        if (earliest !== null && from < earliest) {
          return { kind: 'error', status: 402, body: { 'Error Message': FMP_MESSAGES.historyDepth } };
        }
        const rows = symbol.includes(',') ? [] : this.market.bars(symbol, from, to);
        return { kind: 'json', value: rows.slice(0, this.maxRowsPerCall) };
      }
      case 'discounted-cash-flow': {
        const symbol = query.get('symbol')?.trim().toUpperCase();
        if (!symbol) return bad('The symbol parameter is required.');
        return { kind: 'json', value: symbol.includes(',') ? [] : this.market.dcf(symbol) };
      }
      case 'eod-bulk': {
        const date = query.get('date');
        if (!date || !isValidIsoDate(date)) return bad("Invalid 'date' parameter: expected YYYY-MM-DD.");
        return {
          kind: 'csv',
          header: 'symbol,date,open,low,high,close,adjClose,volume',
          rows: this.market
            .eodBulk(date)
            .map((b) => [b.symbol, b.date, b.open, b.low, b.high, b.close, b.close, b.volume]),
        };
      }
      case 'dcf-bulk': {
        const rows = this.market
          .dcfBulk()
          .map((d): Array<string | number> => [d.symbol, d.date, d.dcf, d['Stock Price']]);
        return { kind: 'csv', header: 'symbol,date,dcf,Stock Price', rows };
      }
      case 'symbol-change': {
        // FMP's `invalid` filter has nothing to filter here: the sandbox lists no invalid symbols.
        const limit = query.get('limit');
        if (limit !== null && !/^[1-9]\d*$/.test(limit.trim()))
          return bad("Invalid 'limit' parameter: expected a positive integer.");
        return {
          kind: 'json',
          value: this.market.symbolChanges(limit === null ? undefined : Number(limit.trim())),
        };
      }
      default:
        return { kind: 'json', value: this.market.stockList() };
    }
  }

  /** Makes one row invalid (high < low, negative volume or a null close); false when there is no row to spoil. */
  private corrupt(endpoint: string, payload: Payload, h: number): boolean {
    const rowCount =
      payload.kind === 'json' ? payload.value.length : payload.kind === 'csv' ? payload.rows.length : 0;
    if (rowCount === 0 || endpoint === 'stock-list' || endpoint === 'symbol-change') return false;
    const index = mix(h, 4) % rowCount;
    const variant = mix(h, 5) % 3;
    if (payload.kind === 'json') {
      const row = payload.value[index] as Record<string, unknown>;
      if (endpoint === 'discounted-cash-flow') {
        row.dcf = null;
      } else if (variant === 0) {
        const bar = row as unknown as FmpBar;
        const { high, low } = bar;
        bar.high = low;
        bar.low = high === low ? round2(high + 0.01) : high;
      } else if (variant === 1) {
        row.volume = -Math.max(1, Number(row.volume));
      } else {
        row.close = null;
      }
    } else if (payload.kind === 'csv') {
      const row = payload.rows[index] ?? [];
      if (endpoint === 'dcf-bulk') {
        row[2] = '';
      } else if (variant === 0) {
        const low = Number(row[3]);
        const high = Number(row[4]);
        row[3] = high === low ? round2(high + 0.01) : high;
        row[4] = low;
      } else if (variant === 1) {
        row[7] = -Math.max(1, Number(row[7]));
      } else {
        row[5] = '';
      }
    }
    return true;
  }

  private csv(header: string, rows: Array<Array<string | number>>): string {
    let out = `${header}\n`;
    for (const r of rows) out += `${r.join(',')}\n`;
    return out;
  }

  private admin(request: SandboxRequest): SandboxReply {
    const key = headerValue(request.headers, 'apikey') ?? request.query.get('apikey');
    if (key !== this.apiKey) return this.json(401, { 'Error Message': FMP_MESSAGES.invalidKey });
    if (request.method === 'POST') {
      let patch: Record<string, unknown>;
      try {
        patch = JSON.parse(request.body ?? '') as Record<string, unknown>;
      } catch {
        return this.json(400, { error: 'the admin patch must be a JSON object' });
      }
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
        return this.json(400, { error: 'the admin patch must be a JSON object' });
      }
      const { resetCounters, ...rest } = patch;
      try {
        this.update(rest as SandboxPatch);
      } catch (error) {
        return this.json(400, { error: error instanceof Error ? error.message : String(error) });
      }
      if (resetCounters === true) this.resetCounters();
    } else if (request.method !== 'GET') {
      return this.json(405, { error: 'use GET to read the state or POST a JSON patch' });
    }
    return this.json(200, {
      state: this.state(),
      counters: this.stats,
      maxRequestsInWindow: this.maxRequestsInWindow(),
    });
  }

  private json(status: number, value: unknown): SandboxReply {
    return this.respond(status, fmpJson(value), JSON_TYPE);
  }

  private plain(status: number, text: string): SandboxReply {
    return this.respond(status, text, 'text/plain; charset=utf-8');
  }

  private respond(status: number, body: string, contentType: string): SandboxReply {
    return {
      action: 'respond',
      status,
      headers: fmpHeaders(body, contentType),
      body,
      delayMs: this.latencyMs,
    };
  }

  private record(endpoint: string, reply: SandboxReply): SandboxReply {
    const status = reply.action === 'respond' ? String(reply.status) : reply.action;
    const e = this.stats.byEndpoint[endpoint] ?? { total: 0, byStatus: {} };
    e.total++;
    e.byStatus[status] = (e.byStatus[status] ?? 0) + 1;
    this.stats.byEndpoint[endpoint] = e;
    if (endpoint !== 'ishares-holdings') this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
    return reply;
  }
}

export { createFmpClient, DEFAULTS as FMP_CLIENT_DEFAULTS } from './client.js';
export type { CsvParseResult } from './csv.js';
export { parseCsv } from './csv.js';
export type { FmpErrorCode, FmpPlanScope } from './errors.js';
export {
  FmpAbortedError,
  FmpAuthError,
  FmpBadRequestError,
  FmpBandwidthError,
  FmpBudgetError,
  FmpError,
  FmpNetworkError,
  FmpNotFoundError,
  FmpPlanError,
  FmpRateLimitError,
  FmpResponseError,
  FmpServerError,
  isFatalFmpError,
  isFmpError,
} from './errors.js';
export {
  checkSharedBudget,
  SHARED_BUDGET_DEFAULTS,
  type SharedBudgetOptions,
} from './shared-budget.js';
export { DeadlineError, fetchFile } from './transport.js';
export type {
  DailyBar,
  DcfValue,
  FmpClient,
  FmpClientOptions,
  FmpStats,
  InvalidRow,
  Logger,
  RateLimitOptions,
  RetryOptions,
  StockListEntry,
  SymbolChange,
  SymbolChangeOptions,
  Validated,
} from './types.js';

export { FMP_MESSAGES } from './bodies.js';
export {
  isNyseEarlyClose,
  isNyseSession,
  nyseHolidayName,
  nyseSessionClose,
  nyseSessions,
} from './calendar.js';
export { parseSandboxArgs, runSandboxCli, SANDBOX_USAGE, type SandboxCliIo } from './cli.js';
export {
  ADMIN_PATH,
  type ClockOption,
  type EndpointCounters,
  HOLDINGS_PATH,
  maxRequestsInWindow,
  type Plan,
  SandboxCore,
  type SandboxCoreOptions,
  type SandboxCounters,
  type SandboxPatch,
  type SandboxReply,
  type SandboxRequest,
  type SandboxState,
} from './core.js';
export { isSandboxError, SandboxError, type SandboxErrorCode } from './errors.js';
export { FAULT_KINDS, type FaultKind, type FaultRates, formatFaults, parseFaults } from './faults.js';
export { HOLDINGS_HEADER } from './holdings.js';
export {
  type BadPrintSpec,
  type FmpBar,
  type FmpDcf,
  type FmpSymbolChange,
  type HaltSpec,
  type RenameSpec,
  SANDBOX_FUNDS,
  type SandboxFund,
  type SplitSpec,
  SyntheticMarket,
  type SyntheticMarketOptions,
} from './market.js';
// The msw handlers live at `@smartstock/fmp-sandbox/msw`: this entry's types must not need msw installed.
export { type Sandbox, type SandboxOptions, startSandbox } from './server.js';
export {
  CLASS_LOOKALIKE_TICKERS,
  MIN_TICKERS_FOR_SPECIALS,
  SHARE_CLASS_TICKERS,
  type UniverseTicker,
} from './universe.js';

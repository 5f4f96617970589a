export {
  clientSettingsOf,
  loadStartContext,
  resolveDataDir,
  resolveFmpConfig,
  resolveRunSettings,
  type StartContext,
} from './config.js';
export {
  CliError,
  ConfigError,
  ExitCode,
  exitCodeFor,
  exitCodeForTasks,
  LockHeldError,
  UsageError,
} from './errors.js';
export { main, VERSION } from './main.js';
export type { Io, Logger } from './output.js';

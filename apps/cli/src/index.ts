export { assertKnownArgs } from './args.js';
export { loadStartContext, resolveDataDir, type StartContext } from './config.js';
export { CliError, ConfigError, ExitCode, exitCodeFor, exitCodeForTasks, LockHeldError, UsageError } from './errors.js';

/** Process exit codes: the contract with schedulers and monitors (documented in the README). */
export const ExitCode = {
  /** Every task `success` or `partial` (partial says loudly what it skipped). */
  Ok: 0,
  /** A task `failed`, a `partial` under --strict, an unhealthy `status --check`, or a runtime error. */
  Failed: 1,
  /** Bad usage or configuration: nothing ran. */
  Usage: 2,
  /** Another run holds the lock: nothing ran. */
  Locked: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type CliErrorCode = 'USAGE' | 'CONFIG' | 'LOCKED';

/** The CLI's own errors. Each maps to one exit code and prints as one line. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;
  override readonly cause?: unknown;

  constructor(code: CliErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = code === 'LOCKED' ? ExitCode.Locked : ExitCode.Usage;
    this.cause = options.cause;
  }
}

/** An unknown flag or command, a bad argument. Exit 2. */
export class UsageError extends CliError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('USAGE', message, options);
  }
}

/** A missing or malformed setting (flag, environment or .env). Exit 2. */
export class ConfigError extends CliError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('CONFIG', message, options);
  }
}

/** Another sync holds the run lock (or another process holds the embedded database). Exit 3. */
export class LockHeldError extends CliError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('LOCKED', message, options);
  }
}

/** Duck-typed so the CLI maps library errors without importing their classes' identities. */
export function errorCode(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error.code;
  return undefined;
}

/** Maps any error that escaped a command to the exit code the README promises. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  const code = errorCode(error);
  if (code === 'RUN_LOCKED' || code === 'DATABASE_LOCKED') return ExitCode.Locked;
  if (code === 'INVALID_URL' || code === 'INVALID_OPTIONS') return ExitCode.Usage;
  return ExitCode.Failed;
}

export interface OutcomeLike {
  status: string;
}

/** 0 when every task is success or partial; 1 when any failed, or is partial under --strict. */
export function exitCodeForTasks(tasks: readonly OutcomeLike[], strict: boolean): ExitCode {
  if (tasks.some((t) => t.status === 'failed')) return ExitCode.Failed;
  if (strict && tasks.some((t) => t.status === 'partial')) return ExitCode.Failed;
  return ExitCode.Ok;
}

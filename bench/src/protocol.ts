/** Messages between the bench and its child processes (sandbox and pipeline). */

export interface SandboxProcessOptions {
  tickers?: number;
  seed?: number;
  rpm?: number;
  rateWindowMs?: number;
  latencyMs?: number;
  plan?: 'starter' | 'premium' | 'ultimate';
}

/** The sandbox's view of every request: start time (epoch ms), path, final status (0 = never answered). */
export interface RequestLog {
  starts: number[];
  paths: string[];
  statuses: number[];
}

export type SandboxParentMessage =
  | { type: 'start'; options: SandboxProcessOptions }
  | { type: 'log'; windowMs?: number }
  | { type: 'stop' };

/** What the sandbox itself counted (its own log has millisecond resolution). */
export interface SandboxOwnCounters {
  requests: number;
  byStatus: Record<string, number>;
  /** 429s from its rolling-window limit. */
  rateLimited: number;
  maxRequestsInWindow: number | null;
  /** CPU time (user + system) of the sandbox process so far, in seconds. */
  cpuSeconds: number;
}

export type SandboxChildMessage =
  | { type: 'ready'; url: string; apiKey: string; symbols: string[] }
  | { type: 'log'; log: RequestLog; counters: SandboxOwnCounters | null }
  | { type: 'error'; message: string };

/** Where the pipeline writes: a PostgreSQL URL (a fresh database) or an embedded data directory. */
export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };

export interface PipelineRunConfig {
  database: DatabaseTarget;
  /** Data directory of the run (failed_ingestion.log, logs). */
  workDir: string;
  fmp: {
    apiKey: string;
    baseUrl: string;
    rateLimit: { requests: number; windowMs: number } | null;
    maxConcurrent: number;
    /** A budget shared through this Redis with the other processes of the scenario. */
    budget?: { redisUrl: string } | undefined;
    adaptiveRate?: boolean | undefined;
  };
  sync: {
    tasks: ('prices' | 'dcf')[];
    tickers: string[];
    days?: number;
    from?: string;
    to?: string;
    mode?: 'per-symbol' | 'bulk';
    concurrency?: number;
    dcfConcurrency?: number;
  };
}

export interface PipelineRunResult {
  wallSeconds: number;
  /** Epoch ms around runDailySync, to relate it to the sandbox's log. */
  startedAt: number;
  completedAt: number;
  /** The pipeline process's peak resident set (getrusage maxRSS), in MB. */
  peakRssMb: number;
  /** Its peak before the run began (runtime, imports, database opened and migrated), in MB. */
  baselineRssMb: number;
  /** CPU time (user + system) the pipeline process spent during the run, in seconds. */
  cpuSeconds: number;
  clientStats: { requests: number; retries: number; rateLimited: number; rateAdvice: string | null };
  summary: {
    status: string;
    rowsUpdated: number;
    tasks: {
      taskName: string;
      status: string;
      rowsInserted: number;
      rowsChanged: number;
      counts: Record<string, number>;
      errorMessage: string | null;
    }[];
  };
}

export type PipelineParentMessage = { type: 'run'; config: PipelineRunConfig };
export type PipelineChildMessage =
  | { type: 'done'; result: PipelineRunResult }
  | { type: 'error'; message: string };

/** Another user of the key: steady calls at a fixed rate, through the shared budget, until told to stop. */
export interface IntruderConfig {
  apiKey: string;
  baseUrl: string;
  rateLimit: { requests: number; windowMs: number };
  budget: { redisUrl: string };
  symbols: string[];
  everyMs: number;
}
export type IntruderParentMessage = { type: 'run'; config: IntruderConfig } | { type: 'stop' };
export type IntruderChildMessage =
  | { type: 'started' }
  | { type: 'done'; requests: number; rateLimited: number; failed: number }
  | { type: 'error'; message: string };

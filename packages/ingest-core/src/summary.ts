import { z } from 'zod';

/** The user's task names (what sync_logs stores). */
export const TASK_NAMES = [
  'get_russell_2000_list',
  'ingest_market_data',
  'repair_price_gaps',
  'ingest_all_dcf',
  'check_data_quality',
] as const;
/** The tasks' canonical names, as written to sync_logs and the summary. */
export type TaskName = (typeof TASK_NAMES)[number];

export const TASK_ALIASES: Readonly<Record<string, TaskName>> = Object.freeze({
  tickers: 'get_russell_2000_list',
  prices: 'ingest_market_data',
  repair: 'repair_price_gaps',
  dcf: 'ingest_all_dcf',
  quality: 'check_data_quality',
});

/** Resolves a task name or alias (`tickers`, `prices`, `repair`, `dcf`, `quality`); null when unknown. */
export function resolveTaskName(name: string): TaskName | null {
  const n = name.trim();
  if ((TASK_NAMES as readonly string[]).includes(n)) return n as TaskName;
  return TASK_ALIASES[n.toLowerCase()] ?? null;
}

/** A task's or a run's end state: `partial` when some tickers failed below the failure threshold. */
export type TaskStatus = 'success' | 'partial' | 'failed';

/** Per-ticker outcomes of the prices and DCF tasks. */
export const OUTCOMES = ['ok', 'no_data', 'skipped', 'invalid_rows', 'failed'] as const;
/** What happened to one ticker in a task (counted per outcome in the summary). */
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Version of the summary JSON (`schemaVersion`); raised when a field changes meaning or goes, not when one is
 * added.
 */
export const SUMMARY_SCHEMA_VERSION = 1;
/** How many failures a task summary lists (the full list is in failed_ingestion.log). */
export const SUMMARY_FAILURES_LIMIT = 50;

/** One failed ticker in a task's summary (the first 50 per task are kept). */
export interface TaskFailure {
  ticker: string;
  outcome: string;
  httpStatus: number | null;
  message: string;
}

/**
 * What `check_data_quality` found, in its TaskSummary (`quality`) and sync_logs metadata: the span checked,
 * and per check the count of rows found and the first examples. Findings never fail the task.
 */
export interface QualitySummary {
  /** First date whose bars were checked (the run's window start). */
  since: string;
  /** The day checked up to (New York), from which DCF ages count. */
  asOf: string;
  /** The stale check's first session: an active ticker with no bar on or after it is stale. */
  staleFrom?: string | undefined;
  /** Rows found by all checks together. */
  total: number;
  findings: { check: string; count: number; examples: string[] }[];
}

/** One task's result in the run summary: status, counts per outcome, rows written, first failures. */
export interface TaskSummary {
  taskName: TaskName;
  status: TaskStatus;
  syncLogId: number | null;
  rowsInserted: number;
  rowsChanged: number;
  rowsUpdated: number;
  durationSeconds: number;
  tickers: number;
  counts: Record<string, number>;
  errorMessage: string | null;
  failures: TaskFailure[];
  metadata: Record<string, unknown>;
  /** The data checks' findings (the `check_data_quality` task only). */
  quality?: QualitySummary | undefined;
}

/**
 * What `runDailySync` returns and the CLI prints with `--json`: the run's id, status, window and one TaskSummary
 * per task run. Validated by `syncSummarySchema`.
 */
export interface SyncSummary {
  schemaVersion: 1;
  runId: string;
  status: TaskStatus;
  startedAt: string;
  completedAt: string;
  durationSeconds: number;
  rowsUpdated: number;
  logPath: string;
  tasks: TaskSummary[];
  /**
   * Set when the run was cancelled (a signal, through `SyncDeps.signal`): why, and the selected tasks that
   * never started (they have no sync_logs row; their previous runs stay their latest).
   */
  cancelled?: { reason: string; notRun: TaskName[] } | undefined;
  /**
   * What the run learned that the user should act on, such as "FMP answered 429 at 750/min: this key seems
   * to allow about 300/min; set FMP_REQUESTS_PER_MINUTE=300".
   */
  notices?: string[] | undefined;
}

const count = z.number().int().nonnegative();
const status = z.enum(['success', 'partial', 'failed']);

/** The zod schema of one TaskSummary (part of `syncSummarySchema`), for consumers that read a summary back. */
export const taskSummarySchema = z.object({
  taskName: z.enum(TASK_NAMES),
  status,
  syncLogId: z.number().int().nullable(),
  rowsInserted: count,
  rowsChanged: count,
  rowsUpdated: count,
  durationSeconds: z.number().nonnegative(),
  tickers: count,
  counts: z.record(z.string(), count),
  errorMessage: z.string().nullable(),
  failures: z
    .array(
      z.object({
        ticker: z.string(),
        outcome: z.string(),
        httpStatus: z.number().int().nullable(),
        message: z.string(),
      }),
    )
    .max(SUMMARY_FAILURES_LIMIT),
  metadata: z.record(z.string(), z.unknown()),
  quality: z
    .object({
      since: z.string(),
      asOf: z.string(),
      staleFrom: z.string().optional(),
      total: count,
      findings: z.array(z.object({ check: z.string(), count, examples: z.array(z.string()) })),
    })
    .optional(),
}) satisfies z.ZodType<TaskSummary>;

/** The versioned JSON shape `runDailySync` returns (the CLI's `--json` and the Action print it). */
export const syncSummarySchema: z.ZodType<SyncSummary> = z.object({
  schemaVersion: z.literal(SUMMARY_SCHEMA_VERSION),
  runId: z.string().min(1),
  status,
  startedAt: z.string().datetime(),
  completedAt: z.string().datetime(),
  durationSeconds: z.number().nonnegative(),
  rowsUpdated: count,
  logPath: z.string(),
  tasks: z.array(taskSummarySchema),
  cancelled: z.object({ reason: z.string(), notRun: z.array(z.enum(TASK_NAMES)) }).optional(),
  notices: z.array(z.string()).optional(),
});

import { DEFAULT_MAX_MESSAGE_LENGTH, redactAndBound } from '@smartstock/common';
import {
  SyncLogArgumentError,
  SyncLoggerError,
  SyncLogRowMissingError,
  SyncLogWriteError,
  SyncRunFinishedError,
} from './errors.js';
import { sanitizeMetadata, summarizeError } from './serialize.js';
import type { Logger, SyncLogDatabase, SyncLogRecord, SyncStatus } from './types.js';
import { noopLogger } from './types.js';

/** Options of `new SyncLogger(db, options)`; all optional. */
export interface SyncLoggerOptions {
  /** Source of "now" for started_at/completed_at. Default `() => new Date()`. */
  clock?: (() => Date) | undefined;
  /** Warnings about rows it corrects (interrupted runs marked failed, a run finishing after that); default none. */
  logger?: Logger | undefined;
  /** Strings that must never be stored (API keys, database passwords). */
  secrets?: string[] | undefined;
  /** Bound on error_message and on every string inside metadata. Default 4000 characters. */
  maxMessageLength?: number | undefined;
}

/** Which `running` rows `markInterrupted` closes as failed; default every one. */
export interface MarkInterruptedOptions {
  /** Only this task's rows. */
  taskName?: string | undefined;
  /** Only rows started before this instant (e.g. the start of the current process). */
  startedBefore?: Date | undefined;
}

/** The message `markInterrupted` stores. */
export const INTERRUPTED_MESSAGE =
  'interrupted: the process running this task stopped before it finished (marked failed by a later run)';

/**
 * One task's run, from `start()`: its sync_logs row, finished exactly once with `succeed`, `partial` or `fail`
 * (a second call throws SyncRunFinishedError; a write that fails throws SyncLogWriteError).
 */
export interface SyncRun {
  readonly id: number;
  readonly taskName: string;
  readonly startedAt: Date;
  /** True once `succeed`, `partial` or `fail` has stored the outcome. */
  readonly finished: boolean;
  /** Stores `success` with the rows written and optional metadata (redacted, bounded). */
  succeed(result: { rowsUpdated: number; metadata?: Record<string, unknown> }): Promise<SyncLogRecord>;
  /** Stores `partial`: finished, some items skipped or failed under the threshold. */
  partial(result: {
    rowsUpdated: number;
    metadata?: Record<string, unknown> | undefined;
    errorMessage?: string | undefined;
  }): Promise<SyncLogRecord>;
  /** Stores `failed` with the error's summarized message (secrets redacted, bounded). */
  fail(
    error: unknown,
    result?: { rowsUpdated?: number; metadata?: Record<string, unknown> },
  ): Promise<SyncLogRecord>;
}

const MAX_INT4 = 2_147_483_647;
const TASK_NAME_MAX = 100; // VARCHAR(100)

// Timestamps travel as text both ways. The columns are TIMESTAMP WITHOUT TIME ZONE holding UTC wall time;
// a JS Date handed to a driver is serialised in the process's local zone (node-postgres) and a timestamp
// read back is parsed as local time, so any non-UTC TZ would shift every row. Text written as UTC wall
// time, and epoch milliseconds read back (extract(epoch) of a timestamp is its nominal UTC value), are
// exact on PostgreSQL and PGlite alike whatever the process or session time zone.
const utcWallTime = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');

const columns = (t = ''): string => `${t}id AS id, ${t}task_name AS task_name, ${t}status AS status,
  ${t}rows_updated AS rows_updated, ${t}error_message AS error_message,
  floor(extract(epoch from ${t}started_at) * 1000)::float8 AS started_at_ms,
  floor(extract(epoch from ${t}completed_at) * 1000)::float8 AS completed_at_ms,
  ${t}duration_seconds AS duration_seconds, ${t}metadata::text AS metadata_json`;
const COLUMNS = columns();

/**
 * Which row is a task's "latest": the most recently completed run; a run still in progress (completed_at
 * NULL) sorts after every finished one, so one crashed run cannot hide later results, and a task that has
 * never finished shows its running row. Ties fall to the later start, then the higher id. This is the
 * order of the `latest_sync_status` view that `@smartstock/db` creates; a test holds the two equal.
 */
const LATEST_ORDER = 'completed_at DESC NULLS LAST, started_at DESC NULLS LAST, id DESC';

/**
 * Newest activity first: rows still running (no completed_at) on top, as PostgreSQL's `completed_at DESC`
 * in the user's own "recent syncs" query puts them, then by completion time.
 */
const RECENT_ORDER = 'completed_at DESC NULLS FIRST, started_at DESC NULLS LAST, id DESC';

interface Row {
  id: number;
  task_name: string;
  status: string;
  rows_updated: number | null;
  error_message: string | null;
  started_at_ms: number | null;
  completed_at_ms: number | null;
  duration_seconds: number | null;
  metadata_json: string | null;
  previous_status?: string | null | undefined;
}

function toRecord(row: Row): SyncLogRecord {
  let metadata: Record<string, unknown> | null = null;
  if (row.metadata_json !== null && row.metadata_json !== undefined) {
    const parsed: unknown = JSON.parse(row.metadata_json);
    // Rows written by other tools may hold any JSON; a non-object is returned under `value`.
    metadata =
      parsed === null
        ? null
        : typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : { value: parsed };
  }
  return {
    id: Number(row.id),
    taskName: row.task_name,
    status: row.status,
    rowsUpdated: row.rows_updated === null ? 0 : Number(row.rows_updated),
    errorMessage: row.error_message,
    startedAt: row.started_at_ms === null ? null : new Date(Number(row.started_at_ms)),
    completedAt: row.completed_at_ms === null ? null : new Date(Number(row.completed_at_ms)),
    durationSeconds: row.duration_seconds === null ? null : Number(row.duration_seconds),
    metadata,
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value instanceof Date)
    return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  return typeof value === 'object'
    ? value === null
      ? 'null'
      : Array.isArray(value)
        ? 'an array'
        : 'an object'
    : String(value);
}

function checkTaskName(taskName: unknown): asserts taskName is string {
  if (typeof taskName !== 'string' || taskName.trim().length === 0) {
    throw new SyncLogArgumentError(`taskName must be a non-empty string, got ${describe(taskName)}`);
  }
  if (taskName.length > TASK_NAME_MAX) {
    throw new SyncLogArgumentError(
      `taskName must be at most ${TASK_NAME_MAX} characters (sync_logs.task_name is VARCHAR(${TASK_NAME_MAX})), got ${taskName.length}`,
    );
  }
}

function checkRows(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_INT4) {
    throw new SyncLogArgumentError(
      `${name} must be an integer from 0 to ${MAX_INT4} (rows inserted or changed), got ${describe(value)}`,
    );
  }
  return value;
}

function checkMetadata(name: string, value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) {
    throw new SyncLogArgumentError(`${name} must be a plain object when given, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function checkDate(name: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new SyncLogArgumentError(`${name} must be a valid Date, got ${describe(value)}`);
  }
  return value;
}

/**
 * Records task runs in `sync_logs`: a `running` row as soon as a task starts (so a crash stays visible),
 * finished once as `success`, `partial` or `failed`. Every stored message and metadata string is
 * redacted and bounded.
 */
export class SyncLogger {
  readonly #db: SyncLogDatabase;
  readonly #clock: () => Date;
  readonly #logger: Logger;
  readonly #secrets: readonly string[];
  readonly #maxLength: number;
  /** Runs of this logger not finished yet: `markInterrupted` must not touch them. */
  readonly #open = new Set<number>();

  constructor(db: SyncLogDatabase, options: SyncLoggerOptions = {}) {
    if (typeof db?.query !== 'function') {
      throw new SyncLogArgumentError('db must be a Database from @smartstock/db (an object with query())');
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new SyncLogArgumentError(
        `options.clock must be a function returning a Date, got ${describe(options.clock)}`,
      );
    }
    if (
      options.secrets !== undefined &&
      (!Array.isArray(options.secrets) || options.secrets.some((s) => typeof s !== 'string'))
    ) {
      throw new SyncLogArgumentError('options.secrets must be an array of strings');
    }
    const max = options.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
    if (!Number.isInteger(max) || max < 100) {
      throw new SyncLogArgumentError(
        `options.maxMessageLength must be an integer of at least 100, got ${describe(max)}`,
      );
    }
    this.#db = db;
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger ?? noopLogger;
    this.#secrets = [...(options.secrets ?? [])];
    this.#maxLength = max;
  }

  /**
   * Merges `fields` into the metadata of rows already written (what happened after a run ended, such as the
   * alerts it sent), redacted like every other field. Rows whose metadata is not a JSON object are left alone.
   */
  async addMetadata(ids: readonly number[], fields: Record<string, unknown>): Promise<void> {
    const clean = this.#clean(checkMetadata('fields', fields) ?? {});
    const valid = ids.filter((id) => Number.isInteger(id));
    if (valid.length === 0) return;
    await this.#query(
      'adding metadata',
      `UPDATE sync_logs SET metadata = COALESCE(metadata, '{}'::jsonb) || $2::jsonb
       WHERE id = ANY($1::int[]) AND (metadata IS NULL OR jsonb_typeof(metadata) = 'object')`,
      [valid, JSON.stringify(clean)],
    );
  }

  /** Inserts a `running` row now and returns the handle that finishes it. */
  async start(taskName: string, metadata?: Record<string, unknown>): Promise<SyncRun> {
    checkTaskName(taskName);
    const startMetadata = checkMetadata('metadata', metadata);
    const startedAt = this.#now();
    const cleanStart = startMetadata === undefined ? undefined : this.#clean(startMetadata);
    const rows = await this.#query<{ id: number }>(
      `starting '${taskName}'`,
      `INSERT INTO sync_logs (task_name, status, rows_updated, started_at, metadata)
       VALUES ($1, 'running', 0, $2::timestamp, $3::jsonb) RETURNING id`,
      [taskName, utcWallTime(startedAt), cleanStart === undefined ? null : JSON.stringify(cleanStart)],
    );
    const id = Number(rows[0]!.id);
    this.#open.add(id);
    this.#logger.debug('sync run started', { id, taskName });
    return this.#handle(id, taskName, startedAt, cleanStart);
  }

  /**
   * The latest row of one task: its most recently completed run (a run in progress only when the task
   * never finished one), or null if it never ran.
   */
  async getLatestSyncStatus(taskName: string): Promise<SyncLogRecord | null> {
    checkTaskName(taskName);
    const rows = await this.#query<Row>(
      'reading the latest status',
      `SELECT ${COLUMNS} FROM sync_logs WHERE task_name = $1 ORDER BY ${LATEST_ORDER} LIMIT 1`,
      [taskName],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /**
   * What a health check judges of one task: its latest row (as `getLatestSyncStatus`) and its latest
   * finished `success` or `partial` row. Runs over an explicit subset of the universe (metadata
   * `scope.universe = 'subset'`, a run of a few `--tickers`) are not the nightly job's and are left out unless
   * `includeSubsetRuns`; rows without a scope (older versions, other tools) count as full-universe runs.
   */
  async getHealthRows(
    taskName: string,
    options: { includeSubsetRuns?: boolean | undefined } = {},
  ): Promise<{ latest: SyncLogRecord | null; lastGood: SyncLogRecord | null }> {
    checkTaskName(taskName);
    const scoped = `task_name = $1 AND ($2::boolean OR COALESCE(metadata->'scope'->>'universe', 'full') <> 'subset')`;
    const params = [taskName, options.includeSubsetRuns === true];
    const [latest] = await this.#query<Row>(
      'reading the latest status',
      `SELECT ${COLUMNS} FROM sync_logs WHERE ${scoped} ORDER BY ${LATEST_ORDER} LIMIT 1`,
      params,
    );
    const [lastGood] = await this.#query<Row>(
      'reading the latest good run',
      `SELECT ${COLUMNS} FROM sync_logs WHERE ${scoped}
         AND status IN ('success', 'partial') AND completed_at IS NOT NULL
       ORDER BY completed_at DESC, id DESC LIMIT 1`,
      params,
    );
    return { latest: latest ? toRecord(latest) : null, lastGood: lastGood ? toRecord(lastGood) : null };
  }

  /** The latest row of every task, by task name: the rows of the `latest_sync_status` view. */
  async getLatestStatuses(): Promise<SyncLogRecord[]> {
    const rows = await this.#query<Row>(
      'reading the latest statuses',
      `SELECT DISTINCT ON (task_name) ${COLUMNS} FROM sync_logs ORDER BY task_name, ${LATEST_ORDER}`,
    );
    return rows.map(toRecord);
  }

  /** The `limit` most recent rows (of one task if given): running rows first, then by completed_at. */
  async getRecent(limit: number, taskName?: string): Promise<SyncLogRecord[]> {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      throw new SyncLogArgumentError(`limit must be an integer from 1 to 100000, got ${describe(limit)}`);
    }
    if (taskName !== undefined) checkTaskName(taskName);
    const rows = await this.#query<Row>(
      'reading recent runs',
      `SELECT ${COLUMNS} FROM sync_logs WHERE ($2::text IS NULL OR task_name = $2)
       ORDER BY ${RECENT_ORDER} LIMIT $1`,
      [limit, taskName ?? null],
    );
    return rows.map(toRecord);
  }

  /** `failed` rows completed at or after `since` (interrupted runs included), newest first. */
  async getFailedSince(since: Date): Promise<SyncLogRecord[]> {
    checkDate('since', since);
    const rows = await this.#query<Row>(
      'reading failed runs',
      `SELECT ${COLUMNS} FROM sync_logs WHERE status = 'failed' AND completed_at >= $1::timestamp
       ORDER BY completed_at DESC, id DESC`,
      [utcWallTime(since)],
    );
    return rows.map(toRecord);
  }

  /**
   * Turns `running` rows left by runs that died into `failed`: completed_at = now, duration_seconds =
   * now - started_at (an upper bound: when the process died is unknown), error_message says they were
   * interrupted, metadata gains `interrupted: true`. Rows of runs this logger still has open are left
   * alone. Call it while holding the run lock, when no other process can be running a task.
   * Returns how many rows were marked.
   */
  async markInterrupted(options: MarkInterruptedOptions = {}): Promise<number> {
    if (options.taskName !== undefined) checkTaskName(options.taskName);
    const before =
      options.startedBefore === undefined ? null : checkDate('options.startedBefore', options.startedBefore);
    const now = utcWallTime(this.#now());
    const rows = await this.#query<{ id: number; task_name: string }>(
      'marking interrupted runs',
      `UPDATE sync_logs SET
         status = 'failed',
         completed_at = $1::timestamp,
         duration_seconds = CASE WHEN started_at IS NULL THEN NULL
           ELSE GREATEST(0, extract(epoch from ($1::timestamp - started_at)))::float8 END,
         error_message = $2,
         metadata = CASE WHEN metadata IS NULL OR jsonb_typeof(metadata) = 'object'
           THEN COALESCE(metadata, '{}'::jsonb) || jsonb_build_object('interrupted', true)
           ELSE metadata END
       WHERE status = 'running'
         AND NOT (id = ANY($3::int[]))
         AND ($4::text IS NULL OR task_name = $4)
         AND ($5::timestamp IS NULL OR started_at < $5::timestamp)
       RETURNING id, task_name`,
      [
        now,
        INTERRUPTED_MESSAGE,
        `{${[...this.#open].join(',')}}`,
        options.taskName ?? null,
        before && utcWallTime(before),
      ],
    );
    if (rows.length > 0) {
      this.#logger.warn('marked interrupted sync runs as failed', {
        count: rows.length,
        runs: rows.map((r) => ({ id: Number(r.id), taskName: r.task_name })),
      });
    }
    return rows.length;
  }

  #now(): Date {
    const now = this.#clock();
    if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
      throw new SyncLogArgumentError(`options.clock must return a valid Date, got ${describe(now)}`);
    }
    return now;
  }

  #clean(metadata: Record<string, unknown>): Record<string, unknown> {
    return sanitizeMetadata(metadata, this.#secrets, this.#maxLength);
  }

  #message(text: string): string {
    return redactAndBound(text, this.#secrets, this.#maxLength);
  }

  async #query<T>(what: string, sql: string, params?: unknown[]): Promise<T[]> {
    try {
      return await this.#db.query<T>(sql, params);
    } catch (error) {
      if (error instanceof SyncLoggerError) throw error;
      throw new SyncLogWriteError(
        `sync_logs: ${what} failed: ${this.#message(summarizeError(error))}`,
        error,
      );
    }
  }

  #handle(
    id: number,
    taskName: string,
    startedAt: Date,
    storedStart: Record<string, unknown> | undefined,
  ): SyncRun {
    // 'open' -> 'finishing' (a finish in flight) -> a final status. A failed write returns to 'open' so
    // the caller can still record the outcome (e.g. fail() after succeed() could not be stored).
    let state: 'open' | 'finishing' | SyncStatus = 'open';
    let finishingAs: SyncStatus = 'running';

    const finish = async (
      status: Exclude<SyncStatus, 'running'>,
      rowsUpdated: number,
      errorMessage: string | null,
      metadata: Record<string, unknown> | undefined,
    ): Promise<SyncLogRecord> => {
      if (state !== 'open') {
        throw new SyncRunFinishedError(
          id,
          taskName,
          state === 'finishing' ? `${finishingAs} (still being stored)` : state,
        );
      }
      state = 'finishing';
      finishingAs = status;
      try {
        const completedAt = this.#now();
        const durationSeconds = Math.max(0, (completedAt.getTime() - startedAt.getTime()) / 1000);
        // The start metadata as stored at start (a snapshot: later mutation by the caller is not seen).
        const merged =
          storedStart === undefined && metadata === undefined
            ? null
            : { ...storedStart, ...(metadata === undefined ? {} : this.#clean(metadata)) };
        const rows = await this.#query<Row>(
          `finishing '${taskName}' (run ${id})`,
          `WITH previous AS (SELECT id, status FROM sync_logs WHERE id = $1 FOR UPDATE)
           UPDATE sync_logs AS s SET status = $2, rows_updated = $3, error_message = $4,
             completed_at = $5::timestamp, duration_seconds = $6, metadata = $7::jsonb
           FROM previous WHERE s.id = previous.id
           RETURNING ${columns('s.')}, previous.status AS previous_status`,
          [
            id,
            status,
            rowsUpdated,
            errorMessage === null ? null : this.#message(errorMessage),
            utcWallTime(completedAt),
            durationSeconds,
            merged === null ? null : JSON.stringify(merged),
          ],
        );
        const row = rows[0];
        if (!row) throw new SyncLogRowMissingError(id, taskName);
        if (row.previous_status !== 'running') {
          // Another process marked this run interrupted while it was still alive; the real outcome wins.
          this.#logger.warn('sync run was no longer running when it finished; storing its real outcome', {
            id,
            taskName,
            previousStatus: row.previous_status,
          });
        }
        state = status;
        this.#open.delete(id);
        this.#logger.debug('sync run finished', { id, taskName, status, rowsUpdated, durationSeconds });
        return toRecord(row);
      } catch (error) {
        if (!(error instanceof SyncLogRowMissingError)) state = 'open';
        else {
          state = status;
          this.#open.delete(id);
        }
        throw error;
      }
    };

    return {
      id,
      taskName,
      startedAt,
      get finished() {
        return state !== 'open' && state !== 'finishing';
      },
      succeed: async (result) => {
        const rows = checkRows('rowsUpdated', result?.rowsUpdated);
        return finish('success', rows, null, checkMetadata('metadata', result.metadata));
      },
      partial: async (result) => {
        const rows = checkRows('rowsUpdated', result?.rowsUpdated);
        const message = result.errorMessage;
        if (message !== undefined && typeof message !== 'string') {
          throw new SyncLogArgumentError(
            `errorMessage must be a string when given, got ${describe(message)}`,
          );
        }
        return finish('partial', rows, message ?? null, checkMetadata('metadata', result.metadata));
      },
      fail: async (error, result) => {
        const rows = result?.rowsUpdated === undefined ? 0 : checkRows('rowsUpdated', result.rowsUpdated);
        return finish('failed', rows, summarizeError(error), checkMetadata('metadata', result?.metadata));
      },
    };
  }
}

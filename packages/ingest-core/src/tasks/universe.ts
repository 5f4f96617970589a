import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getActiveTickers, recordMembership, replaceUniverse } from '@smartstock/db';
import { fetchFile } from '@smartstock/fmp-client';
import { newYorkDate } from '../calendar.js';
import { IngestError, isIngestError } from '../errors.js';
import { scrub } from '../failed-log.js';
import { parseUniverse, validateUniverse } from '../universe/clean.js';
import { type Fund, fundHoldingsUrl, ISHARES_FUNDS } from '../universe/funds.js';
import type { TaskContext, TaskResult } from './context.js';

export const UNIVERSE_TASK = 'get_russell_2000_list' as const;
/** The cleaned universe the universe task writes to the data directory, one ticker a line. */
export const CLEAN_LIST_FILE = 'russell_2000_tickers_clean.txt';
/** Default sources in the data directory, the user's own spelling second. */
export const DEFAULT_SOURCE_FILES = ['russell_2000_list.csv', 'russel_2000_list.csv'] as const;
/** iShares' live IWM holdings download (used when no source file exists and no other fund is chosen). */
export const ISHARES_HOLDINGS_URL = fundHoldingsUrl('IWM');

export interface UniverseTaskOptions {
  /** A path or an http(s) URL; default: the first default file that exists, else iShares' URL. */
  source?: string | undefined;
  minTickers?: number | undefined;
  /** The fund whose download is the default source, and whose name a refusal gives (default IWM). */
  fund?: Fund | undefined;
  fetchText?: ((url: string) => Promise<string>) | undefined;
}

function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The universe source a run would use: `source` when given, else the first default file present in `dataDir`
 * (`russell_2000_list.csv`, `russel_2000_list.csv`), else the fund's iShares download (IWM's:
 * ISHARES_HOLDINGS_URL). Never throws.
 */
export async function resolveUniverseSource(
  dataDir: string,
  source?: string,
  fund: Fund = 'IWM',
): Promise<string> {
  if (source !== undefined && source.trim() !== '') return source.trim();
  for (const name of DEFAULT_SOURCE_FILES) {
    const p = join(dataDir, name);
    if (await exists(p)) return p;
  }
  return fundHoldingsUrl(fund);
}

const FETCH_ATTEMPTS = 3;

/** Downloads a text file; retries network errors and 5xx (a reused keep-alive socket can be closed under us). */
async function defaultFetchText(url: string): Promise<string> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
    try {
      // fmp-client's HTTP: the environment's proxy (HTTPS_PROXY, NO_PROXY) applies to the download too.
      const res = await fetchFile(url, { timeoutMs: 60_000 });
      if (res.ok) return await res.text();
      const error = new Error(`HTTP ${res.status} ${res.statusText}`.trim());
      if (res.status < 500) throw Object.assign(error, { permanent: true });
      lastError = error;
    } catch (error) {
      if ((error as { permanent?: boolean }).permanent) throw error;
      lastError = error;
    }
    if (attempt < FETCH_ATTEMPTS) await new Promise((r) => setTimeout(r, 250 * attempt));
  }
  const why = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`${why} (after ${FETCH_ATTEMPTS} attempts)`, { cause: lastError });
}

async function readSource(source: string, fetchText?: (url: string) => Promise<string>): Promise<string> {
  try {
    return isUrl(source) ? await (fetchText ?? defaultFetchText)(source) : await readFile(source, 'utf8');
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new IngestError('SOURCE_UNREADABLE', `cannot read the universe source ${source}: ${why}`, {
      cause: error,
    });
  }
}

/** Writes the list next to its final name, then renames: a reader never sees half a file. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

/** Reads the last good clean list file (one ticker per line), or [] when there is none. */
export async function readCleanList(dataDir: string): Promise<string[]> {
  try {
    const text = await readFile(join(dataDir, CLEAN_LIST_FILE), 'utf8');
    return text
      .split('\n')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  } catch {
    return [];
  }
}

/** The universe the prices and DCF tasks use: the active tickers, else the last good list file. */
export async function loadUniverse(
  ctx: TaskContext,
): Promise<{ tickers: string[]; from: 'table' | 'list-file' }> {
  const active = await getActiveTickers(ctx.db);
  if (active.length > 0) return { tickers: active, from: 'table' };
  return { tickers: await readCleanList(ctx.dataDir), from: 'list-file' };
}

/**
 * `get_russell_2000_list`: reads the holdings (or a plain list), cleans and validates it, then replaces the
 * tickers table and the clean list file, and records the fund's membership on the run's New York date
 * (universe_memberships: who joined, who left; metadata `joined`, `left`). A refused or unreadable source
 * changes nothing.
 */
export async function runUniverseTask(
  ctx: TaskContext,
  options: UniverseTaskOptions = {},
): Promise<TaskResult> {
  const fund = options.fund ?? 'IWM';
  const source = await resolveUniverseSource(ctx.dataDir, options.source, fund);
  const shownSource = scrub(source, ctx.secrets);
  const metadata: Record<string, unknown> = { runId: ctx.runId, source: shownSource, fund };
  const failed = (message: string, counts: Record<string, number> = {}): TaskResult => ({
    status: 'failed',
    rowsInserted: 0,
    rowsChanged: 0,
    tickers: 0,
    counts,
    errorMessage: message,
    failures: [],
    metadata: { ...metadata, keptPreviousUniverse: true },
    fatal: null,
  });
  try {
    const text = await readSource(source, options.fetchText);
    const parsed = parseUniverse(text);
    const counts: Record<string, number> = { read: parsed.counts.read, kept: parsed.counts.kept };
    for (const [reason, n] of Object.entries(parsed.counts.dropped)) counts[`dropped_${reason}`] = n;
    Object.assign(metadata, {
      format: parsed.format,
      holdingsAsOf: parsed.holdingsAsOf,
      read: parsed.counts.read,
      kept: parsed.counts.kept,
      dropped: parsed.counts.dropped,
      mapped: parsed.mapped,
    });
    try {
      validateUniverse(parsed, {
        minTickers: options.minTickers ?? ISHARES_FUNDS[fund].minTickers,
        fund,
      });
    } catch (error) {
      if (isIngestError(error)) return failed(error.message, counts);
      throw error;
    }
    const asOf = newYorkDate(ctx.clock());
    const result = await replaceUniverse(ctx.db, parsed.entries, { asOf });
    // The universe as a history (universe_memberships): who joined and left the fund on the run's New York date.
    const membership = await recordMembership(ctx.db, {
      fund,
      tickers: parsed.entries.map((e) => e.ticker),
      on: asOf,
    });
    await mkdir(ctx.dataDir, { recursive: true });
    await writeAtomically(
      join(ctx.dataDir, CLEAN_LIST_FILE),
      `${parsed.entries.map((e) => e.ticker).join('\n')}\n`,
    );
    counts.added = result.added.length;
    counts.removed = result.removed.length;
    Object.assign(metadata, {
      joined: membership.joined.length,
      left: membership.left.length,
      added: result.added.length,
      removed: result.removed.length,
      total: result.total,
      addedTickers: result.added.slice(0, 50),
      removedTickers: result.removed.slice(0, 50),
      listFile: join(ctx.dataDir, CLEAN_LIST_FILE),
    });
    ctx.logger.info('universe replaced', {
      task: UNIVERSE_TASK,
      kept: parsed.counts.kept,
      added: result.added.length,
      removed: result.removed.length,
    });
    return {
      status: 'success',
      // Membership changes: a rerun over the same holdings reports 0.
      rowsInserted: result.added.length,
      rowsChanged: result.removed.length,
      tickers: parsed.entries.length,
      counts,
      errorMessage: null,
      failures: [],
      metadata,
      fatal: null,
    };
  } catch (error) {
    const message = scrub(error instanceof Error ? error.message : String(error), ctx.secrets);
    ctx.logger.error('universe task failed; the previous universe stays', {
      task: UNIVERSE_TASK,
      error: message,
    });
    return failed(message);
  }
}

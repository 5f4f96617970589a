/** The structural logger every library takes (contracts.md). */
// The one Logger type of the project lives in @smartstock/common.
import type { Logger } from '@smartstock/common';
import { redactText } from './redact.js';

export type { Logger };

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/**
 * The process's side of a command (streams, environment, working directory), injected so tests and embedding
 * services can run `main` without a real process.
 */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface ProgressEventLike {
  task: string;
  done: number;
  total: number;
  failed: number;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/** `text`: a terminal gets short coloured lines, anything else plain timestamped lines. `json`: one object a line. */
export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export const TASK_LABEL: Record<string, string> = {
  get_russell_2000_list: 'tickers',
  ingest_market_data: 'prices',
  repair_price_gaps: 'repair',
  ingest_all_dcf: 'dcf',
  check_data_quality: 'quality',
};

/** The data checks' findings as a TaskSummary or a sync_logs row's metadata holds them. */
export interface QualityFindings {
  total: number;
  findings: { check: string; count: number; examples: string[] }[];
}

/** The `quality` object of a check_data_quality row's metadata, or null for any other row or a malformed one. */
export function qualityOf(metadata: Record<string, unknown> | null | undefined): QualityFindings | null {
  const q = metadata?.quality as Partial<QualityFindings> | undefined;
  if (!q || typeof q !== 'object' || typeof q.total !== 'number' || !Array.isArray(q.findings)) return null;
  return q as QualityFindings;
}

/** `big_move 2, stale 1`: the checks that found rows, with their counts. */
export function describeFindings(quality: QualityFindings): string {
  return quality.findings
    .filter((f) => f.count > 0)
    .map((f) => `${f.check} ${f.count}`)
    .join(', ');
}

/** What each data check reports, as a count of it: `2 close-to-close moves over 50%`. */
export const QUALITY_WORDS: Readonly<Record<string, [string, string]>> = {
  ohlc: ['inconsistent bar', 'inconsistent bars'],
  big_move: ['close-to-close move over 50%', 'close-to-close moves over 50%'],
  stale: [
    'stale ticker (no new bar for 3 sessions or more)',
    'stale tickers (no new bar for 3 sessions or more)',
  ],
  old_dcf: ['DCF older than 30 days', 'DCF values older than 30 days'],
  no_dcf: ['ticker with prices and no DCF', 'tickers with prices and no DCF'],
};

/**
 * One line per data check that found rows (`  2 close-to-close moves over 50%: ACME 2024-03-07: …; +1 more`),
 * with its first examples; the rest are in the sync_logs metadata and in `--json`.
 */
export function qualityLines(quality: QualityFindings, examples = 3): string[] {
  const count = (n: number) => n.toLocaleString('en-US');
  return quality.findings
    .filter((f) => f.count > 0)
    .map((f) => {
      const [one, many] = QUALITY_WORDS[f.check] ?? [f.check, f.check];
      const shown = f.examples.slice(0, examples).join('; ');
      const more = f.count > examples ? `; +${count(f.count - examples)} more` : '';
      return `  ${count(f.count)} ${f.count === 1 ? one : many}: ${shown}${more}`;
    });
}

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** The visible width of a line: escape codes take no column. */
export function visibleLength(text: string): number {
  return [...stripAnsi(text)].length;
}

/** The plain (non-terminal) rendering: every field in full, nested values as JSON. CI logs keep all detail. */
function formatFieldsPlain(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text =
      typeof value === 'string'
        ? /[\s"=]/.test(value)
          ? JSON.stringify(value)
          : value
        : value instanceof Error
          ? JSON.stringify(value.message)
          : JSON.stringify(value);
    parts.push(`${key}=${text}`);
  }
  return parts.join(' ');
}

/** Longest value shown on a terminal; the rest is in `--log-format json` and in sync_logs. */
const TTY_VALUE_MAX = 40;

function elide(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** One field as a terminal shows it: nested objects flattened to `key.sub=value`, lists joined, long values cut. */
function ttyPairs(key: string, value: unknown, depth = 0): string[] {
  if (value === undefined || value === null) return [];
  if (value instanceof Error) return [`${key}=${elide(value.message, TTY_VALUE_MAX)}`];
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)));
    return [`${key}=${elide(items.join(','), TTY_VALUE_MAX)}`];
  }
  if (typeof value === 'object') {
    if (depth >= 1) return [`${key}=${elide(JSON.stringify(value), TTY_VALUE_MAX)}`];
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      ttyPairs(`${key}.${k}`, v, depth + 1),
    );
  }
  const text = String(value).replace(/\s+/g, ' ');
  const shown = elide(text, TTY_VALUE_MAX);
  return [`${key}=${/[\s"=]/.test(shown) ? JSON.stringify(shown) : shown}`];
}

/** Strings inside a value, redacted (a JSON line must not carry a secret in any field). */
function redactDeep(value: unknown, redact: (s: string) => string, depth = 0): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) return redact(value.message);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactDeep(v, redact, depth + 1)]),
  );
}

/** Columns of the terminal: the stream's own width, else COLUMNS, else 80. */
function terminalWidth(io: Io): number {
  const fromStream = io.stderr.columns;
  if (typeof fromStream === 'number' && fromStream > 0) return fromStream;
  const fromEnv = Number(io.env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80;
}

/**
 * Cuts a line to `width` visible columns, keeping escape codes whole and closing colour. A line exactly as
 * wide as the terminal is cut by one more column: some terminals wrap when the last column is written.
 */
export function fitLine(line: string, width: number): string {
  const limit = Math.max(10, width - 1);
  if (visibleLength(line) <= limit) return line;
  let out = '';
  let shown = 0;
  let i = 0;
  const chars = [...line];
  while (i < chars.length && shown < limit - 1) {
    if (chars[i] === '\u001b') {
      let j = i;
      while (j < chars.length && !/[A-Za-z]/.test(chars[j]!)) j++;
      out += chars.slice(i, j + 1).join('');
      i = j + 1;
      continue;
    }
    out += chars[i];
    shown++;
    i++;
  }
  return `${out}…${line.includes('\u001b[') ? '\u001b[0m' : ''}`;
}

/** Word-wraps prose to `width` columns (a terminal's closing sentences); continuation lines are indented. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const limit = Math.max(20, width - 1);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (visibleLength(candidate) <= limit || line === '') {
      line = candidate;
    } else {
      lines.push(line);
      line = `${indent}${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => fitLine(l, width));
}

/**
 * Everything the CLI writes goes through here, redacted. Three renderings of the same events:
 * - a terminal: `HH:MM:SS LEVEL run-tag message key=value`, one line per event cut to the terminal's width,
 *   colour unless NO_COLOR, and a progress bar;
 * - anything else (CI, pipes): plain timestamped lines with every field and the full runId, no escape codes;
 * - `--log-format json`: one JSON object a line (time, level, message, runId, task, fields), all the detail.
 * Results go to stdout, logs to stderr, so `--json` leaves exactly one document on stdout.
 */
export class Reporter {
  readonly tty: boolean;
  readonly color: boolean;
  readonly format: LogFormat;
  runId: string | undefined;
  private readonly secrets: string[];
  private bar: { line: string; task: string } | null = null;
  private lastDraw = 0;
  private readonly taskStart = new Map<string, number>();
  private readonly lastPlainStep = new Map<string, number>();

  constructor(
    private readonly io: Io,
    private readonly options: {
      verbose?: boolean | undefined;
      secrets?: string[] | undefined;
      now?: (() => number) | undefined;
      format?: LogFormat | undefined;
    } = {},
  ) {
    this.format = options.format ?? 'text';
    this.tty = this.format === 'text' && Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb';
    this.color = this.tty && !io.env.NO_COLOR;
    this.secrets = [...(options.secrets ?? [])];
  }

  /** Whether stdout is a terminal that may be coloured (help, tables). */
  get stdoutColor(): boolean {
    return Boolean(this.io.stdout.isTTY) && !this.io.env.NO_COLOR && this.io.env.TERM !== 'dumb';
  }

  /** The terminal's width for stdout prose, or null when stdout is not a terminal (no wrapping). */
  get stdoutWidth(): number | null {
    if (!this.io.stdout.isTTY) return null;
    const cols = this.io.stdout.columns;
    return typeof cols === 'number' && cols > 0 ? cols : terminalWidth(this.io);
  }

  addSecrets(secrets: string[]): void {
    this.secrets.push(...secrets);
  }

  redact(text: string): string {
    return redactText(text, this.secrets);
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  private paint(code: number, text: string): string {
    return this.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  }

  /** A line on stdout (results: tables, JSON). */
  out(text: string): void {
    this.clearBar();
    this.io.stdout.write(`${this.redact(text)}\n`);
    this.redrawBar();
  }

  /** A table on stdout: on a terminal narrower than the table each line is cut (the last columns go first). */
  table(text: string): void {
    const width = this.stdoutWidth;
    this.out(
      width === null
        ? text
        : text
            .split('\n')
            .map((l) => fitLine(l, width))
            .join('\n'),
    );
  }

  /** Prose on stdout: word-wrapped to a terminal's width, one line per paragraph elsewhere. */
  prose(text: string): void {
    const width = this.stdoutWidth;
    const clean = this.redact(text);
    this.out(width === null ? clean : wrapText(clean, width, '  ').join('\n'));
  }

  /** A log line on stderr, with the run id once a run has one. */
  log(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (level === 'debug' && !this.options.verbose) return;
    const line =
      this.format === 'json'
        ? this.jsonLine(level, message, fields)
        : this.tty
          ? this.ttyLine(level, message, fields)
          : this.plainLine(level, message, fields);
    this.clearBar();
    this.io.stderr.write(`${line}\n`);
    this.redrawBar();
  }

  /** The last word of a command that failed: one line, in the chosen log format. */
  fatal(message: string, exitCode: number): void {
    this.endProgress();
    const text = this.redact(message);
    if (this.format === 'json') {
      this.io.stderr.write(`${this.jsonLine('error', text, { exitCode })}\n`);
    } else {
      this.io.stderr.write(`${text}\n`);
    }
  }

  private plainLine(level: Level, message: string, fields?: Record<string, unknown>): string {
    const all = this.runId ? { ...fields, runId: this.runId } : fields;
    const rest = formatFieldsPlain(all);
    const line = `${new Date(this.now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${rest ? ` ${rest}` : ''}`;
    return this.redact(line);
  }

  /**
   * A verdict of the run (FAILED, PARTIAL, the closing line): on a terminal it is word-wrapped to the width,
   * with the continuation indented, because cutting it would lose what to do; elsewhere it is a log line.
   */
  notice(level: Level, message: string): void {
    if (!this.tty) {
      this.log(level, message);
      return;
    }
    const head = this.ttyHead(level, undefined);
    const indent = visibleLength(head);
    const body = wrapText(this.redact(message), terminalWidth(this.io) - indent);
    const lines = body.map((line, i) => `${i === 0 ? head : ' '.repeat(indent)}${line}`);
    this.clearBar();
    this.io.stderr.write(`${lines.join('\n')}\n`);
    this.redrawBar();
  }

  private ttyHead(level: Level, runId: unknown): string {
    const run = typeof runId === 'string' ? runId : this.runId;
    const time = new Date(this.now()).toISOString().slice(11, 19);
    const tag = { debug: 90, info: 36, warn: 33, error: 31 }[level];
    return `${this.paint(90, time)} ${this.paint(tag, level.toUpperCase().padEnd(5))} ${
      run ? `${this.paint(90, run.slice(0, 8))} ` : ''
    }`;
  }

  private ttyLine(level: Level, message: string, fields?: Record<string, unknown>): string {
    const { runId, ...rest } = fields ?? {};
    const head = this.ttyHead(level, runId);
    const width = terminalWidth(this.io);
    const text = `${head}${this.redact(message.replace(/\s*\n\s*/g, ' '))}`;
    // Fields go in while they fit; the first that does not is replaced by an ellipsis.
    const pairs = Object.entries(rest).flatMap(([k, v]) => ttyPairs(k, v));
    let line = text;
    for (const pair of pairs) {
      const next = `${line} ${this.paint(90, this.redact(pair))}`;
      if (visibleLength(next) > width - 1) {
        if (visibleLength(`${line} …`) <= width - 1) line = `${line} ${this.paint(90, '…')}`;
        break;
      }
      line = next;
    }
    return fitLine(line, width);
  }

  private jsonLine(level: Level, message: string, fields?: Record<string, unknown>): string {
    const { runId, task, ...rest } = fields ?? {};
    const redact = (s: string) => this.redact(s);
    const entry: Record<string, unknown> = {
      time: new Date(this.now()).toISOString(),
      level,
      message: redact(message),
      runId: typeof runId === 'string' ? runId : (this.runId ?? null),
      task: typeof task === 'string' ? task : null,
      fields: redactDeep(rest, redact),
    };
    return this.redact(JSON.stringify(entry));
  }

  logger(): Logger {
    return {
      debug: (m, f) => this.log('debug', m, f),
      info: (m, f) => this.log('info', m, f),
      warn: (m, f) => this.log('warn', m, f),
      error: (m, f) => this.log('error', m, f),
    };
  }

  /** Progress of the prices and DCF tasks: a bar on a terminal, a line per 10% elsewhere. */
  progress(event: ProgressEventLike): void {
    const label = TASK_LABEL[event.task] ?? event.task;
    if (!this.taskStart.has(event.task)) this.taskStart.set(event.task, this.now());
    const elapsed = (this.now() - this.taskStart.get(event.task)!) / 1000;
    const rate = elapsed > 0 ? event.done / elapsed : 0;
    const eta = rate > 0 ? (event.total - event.done) / rate : null;
    const finished = event.total > 0 && event.done >= event.total;
    if (!this.tty) {
      const step = event.total > 0 ? Math.floor((event.done / event.total) * 10) : 0;
      if (step > (this.lastPlainStep.get(event.task) ?? -1) || finished) {
        if (this.lastPlainStep.get(event.task) === 10) return;
        this.lastPlainStep.set(event.task, finished ? 10 : step);
        this.log('info', `${label} progress ${event.done}/${event.total}`, {
          // The plain line stays as monitors parse it; the JSON line names the task in its own field.
          ...(this.format === 'json' ? { task: event.task } : {}),
          failed: event.failed,
          rate: `${rate.toFixed(1)}/s`,
        });
      }
      return;
    }
    const width = terminalWidth(this.io);
    const counts = `${event.done}/${event.total}  ${rate.toFixed(1)}/s  ETA ${eta === null ? '--' : formatEta(eta)}`;
    const failures = event.failed > 0 ? this.paint(31, `${event.failed} failed`) : '0 failed';
    // The bar takes what the numbers leave, so the whole line fits an 80-column terminal.
    const barWidth = Math.max(8, Math.min(24, width - 1 - (8 + counts.length + 2 + 12 + 2)));
    const filled = event.total > 0 ? Math.round((event.done / event.total) * barWidth) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}`;
    const line = fitLine(`${label.padEnd(7)} ${bar} ${counts}  ${failures}`, width);
    this.bar = { line, task: event.task };
    if (finished) {
      this.clearBar();
      this.io.stderr.write(`${line}\n`);
      this.bar = null;
      return;
    }
    if (this.now() - this.lastDraw >= 80) this.redrawBar();
  }

  /** A cancelled run: the bar stays where it stopped, marked cancelled (never jumps to the total). */
  cancelProgress(): void {
    if (!this.bar) return;
    const line = `${this.bar.line}  ${this.paint(33, 'cancelled')}`;
    this.clearBar();
    this.io.stderr.write(`${fitLine(line, terminalWidth(this.io))}\n`);
    this.bar = null;
  }

  /** Removes the bar (end of a run or before an error message). */
  endProgress(): void {
    this.clearBar();
    this.bar = null;
  }

  private clearBar(): void {
    if (this.tty && this.bar) this.io.stderr.write('\r\u001b[2K');
  }

  private redrawBar(): void {
    if (!this.tty || !this.bar) return;
    this.lastDraw = this.now();
    this.io.stderr.write(`\r\u001b[2K${this.bar.line}`);
  }
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}m${String(s).padStart(2, '0')}s`;
}

/** A fixed-width text table (no box characters, so it pastes cleanly into issues and logs). */
export function renderTable(headers: string[], rows: string[][], rightAligned: number[] = []): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

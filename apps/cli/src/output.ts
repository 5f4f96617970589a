import { redactText } from './redact.js';

/** The structural logger every library takes (contracts.md). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

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

const TASK_LABEL: Record<string, string> = {
  get_russell_2000_list: 'tickers',
  ingest_market_data: 'prices',
  ingest_all_dcf: 'dcf',
};

function formatFields(fields: Record<string, unknown> | undefined): string {
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

/**
 * Everything the CLI writes goes through here, redacted. On a terminal: coloured lines and a progress bar on
 * stderr; elsewhere (CI, pipes, --json): plain timestamped lines with no escape codes. Results go to stdout,
 * logs to stderr, so `--json` leaves exactly one document on stdout.
 */
export class Reporter {
  readonly tty: boolean;
  readonly color: boolean;
  runId: string | undefined;
  private readonly secrets: string[];
  private bar: { line: string; task: string } | null = null;
  private lastDraw = 0;
  private readonly taskStart = new Map<string, number>();
  private readonly lastPlainStep = new Map<string, number>();

  constructor(
    private readonly io: Io,
    private readonly options: { verbose?: boolean; secrets?: string[]; now?: () => number } = {},
  ) {
    this.tty = Boolean(io.stderr.isTTY) && io.env.TERM !== 'dumb';
    this.color = this.tty && !io.env.NO_COLOR;
    this.secrets = [...(options.secrets ?? [])];
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

  /** A log line on stderr, with the run id once a run has one. */
  log(level: Level, message: string, fields?: Record<string, unknown>): void {
    if (level === 'debug' && !this.options.verbose) return;
    const all = this.runId ? { ...fields, runId: this.runId } : fields;
    const rest = formatFields(all);
    let line: string;
    if (this.tty) {
      const time = new Date(this.now()).toISOString().slice(11, 19);
      const tag = { debug: 90, info: 36, warn: 33, error: 31 }[level];
      line = `${this.paint(90, time)} ${this.paint(tag, level.padEnd(5))} ${message}${rest ? ` ${this.paint(90, rest)}` : ''}`;
    } else {
      line = `${new Date(this.now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${rest ? ` ${rest}` : ''}`;
    }
    this.clearBar();
    this.io.stderr.write(`${this.redact(line)}\n`);
    this.redrawBar();
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
          failed: event.failed,
          rate: `${rate.toFixed(1)}/s`,
        });
      }
      return;
    }
    const width = 24;
    const filled = event.total > 0 ? Math.round((event.done / event.total) * width) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const etaText = eta === null ? '--' : formatEta(eta);
    const failures = event.failed > 0 ? this.paint(31, `${event.failed} failed`) : '0 failed';
    const line = `${label.padEnd(7)} ${bar} ${event.done}/${event.total}  ${rate.toFixed(1)}/s  ETA ${etaText}  ${failures}`;
    this.bar = { line, task: event.task };
    if (finished) {
      this.clearBar();
      this.io.stderr.write(`${line}\n`);
      this.bar = null;
      return;
    }
    if (this.now() - this.lastDraw >= 80) this.redrawBar();
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

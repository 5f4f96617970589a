/**
 * The bench's own output channel: everything but the final report goes to stderr, so `--json` leaves one
 * JSON document on stdout.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const levels = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof levels)[number];

export function stderrLogger(scope: string, minLevel: Level = 'info'): Logger {
  const min = levels.indexOf(minLevel);
  const write = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (levels.indexOf(level) < min) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`[${scope}] ${level}: ${message}${extra}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redactSecrets } from '@smartstock/common';

export const FAILED_LOG_FILE = 'failed_ingestion.log';

/** One line of failed_ingestion.log (JSON lines, appended; one per ticker that was not plain ok/no_data). */
export interface FailedIngestionEntry {
  time: string;
  runId: string;
  task: string;
  ticker: string;
  outcome: string;
  httpStatus: number | null;
  message: string;
}

/** Removes every known secret from a text before it reaches a file: the project's one redaction. */
export function scrub(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}

export interface FailedLogWriter {
  readonly path: string;
  /** Queues lines; they are appended in order. */
  write(entries: FailedIngestionEntry[]): Promise<void>;
  /** Lines written so far by this writer. */
  readonly written: number;
}

/**
 * Appends to `<dataDir>/failed_ingestion.log`. Writes are chained so lines from concurrent tickers never
 * interleave; secrets are scrubbed from every field.
 */
export function createFailedLogWriter(
  dataDir: string,
  options: { secrets?: readonly string[] } = {},
): FailedLogWriter {
  const path = join(dataDir, FAILED_LOG_FILE);
  const secrets = options.secrets ?? [];
  let chain: Promise<void> = Promise.resolve();
  let written = 0;
  let dirReady = false;
  return {
    path,
    get written() {
      return written;
    },
    write(entries) {
      if (entries.length === 0) return chain;
      const text = entries
        .map((e) =>
          scrub(
            JSON.stringify({
              time: e.time,
              runId: e.runId,
              task: e.task,
              ticker: e.ticker,
              outcome: e.outcome,
              httpStatus: e.httpStatus,
              message: e.message,
            }),
            secrets,
          ),
        )
        .join('\n');
      // A failed append must not poison the lines queued after it.
      const next = chain
        .catch(() => undefined)
        .then(async () => {
          if (!dirReady) {
            await mkdir(dataDir, { recursive: true });
            dirReady = true;
          }
          await appendFile(path, `${text}\n`, 'utf8');
          written += entries.length;
        });
      chain = next;
      return next;
    },
  };
}

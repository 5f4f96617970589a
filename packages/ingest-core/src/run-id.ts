import { randomUUID } from 'node:crypto';

/** A run's identifier: a random UUID, carried by every log line, sync_logs row and failed_ingestion.log line. */
export function createRunId(): string {
  return randomUUID();
}

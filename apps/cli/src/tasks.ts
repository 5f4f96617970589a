import { resolveTaskName, TASK_NAMES, type TaskName } from '@smartstock/ingest-core';
import { UsageError } from './errors.js';

export { resolveTaskName, TASK_NAMES, type TaskName };

/** Parses `--tasks tickers,prices` into the user's names, in run order, without duplicates. */
export function parseTaskList(value: string, origin = '--tasks'): TaskName[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (parts.length === 0) {
    throw new UsageError(
      `${origin} is empty: name one or more of tickers, prices, repair, dcf, quality (comma-separated)`,
    );
  }
  const chosen = new Set<TaskName>();
  for (const part of parts) {
    const task = resolveTaskName(part);
    if (!task) {
      throw new UsageError(
        `${origin}: unknown task "${part}"; use tickers, prices, repair, dcf, quality or ${TASK_NAMES.join(', ')}`,
      );
    }
    chosen.add(task);
  }
  return TASK_NAMES.filter((t) => chosen.has(t));
}

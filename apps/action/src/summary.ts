import * as core from '@actions/core';
import { describeRepair, repairCountsOf, type SyncSummary } from '@smartstock/ingest-core';

const ICON: Record<string, string> = { success: '✅', partial: '⚠️', failed: '❌' };

/** What each data check (check_data_quality) found, in the job summary's words. */
const QUALITY_WORDS: Record<string, string> = {
  ohlc: 'Inconsistent bars',
  big_move: 'Close-to-close moves over 50%',
  stale: 'Stale tickers (no new bar for 3 sessions or more)',
  old_dcf: 'DCF values older than 30 days',
  no_dcf: 'Tickers with prices and no DCF',
};

function seconds(value: number): string {
  return value < 60 ? `${value.toFixed(1)} s` : `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

/**
 * The job summary: the verdict, one row per task (status, rows, duration), then the failed tickers with their
 * reasons and the data checks' findings (counts and first examples). With no summary (the run could not start) it says why instead.
 */
export async function writeJobSummary(
  summary: SyncSummary | null,
  options: { strict: boolean; redact: (s: string) => string; failure?: string },
): Promise<void> {
  // Outside a runner (no GITHUB_STEP_SUMMARY) there is nowhere to write; the log has everything.
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  try {
    await buildSummary(summary, options);
  } catch (error) {
    // A summary that cannot be written must not turn a good sync red, nor hide the real failure.
    core.warning(
      `could not write the job summary: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function buildSummary(
  summary: SyncSummary | null,
  options: { strict: boolean; redact: (s: string) => string; failure?: string },
): Promise<void> {
  const s = core.summary.emptyBuffer();
  s.addHeading('smartstock daily sync', 2);
  if (!summary) {
    s.addRaw(
      `${ICON.failed} **failed**: ${escapeHtml(options.redact(options.failure ?? 'unknown error'))}`,
      true,
    );
    await s.write();
    return;
  }
  s.addRaw(
    `${ICON[summary.status] ?? ''} **${summary.status}**: ${summary.rowsUpdated} rows updated in ${seconds(summary.durationSeconds)} · run \`${summary.runId}\``,
    true,
  );
  s.addTable([
    [
      { data: 'Task', header: true },
      { data: 'Status', header: true },
      { data: 'Rows updated', header: true },
      { data: 'Inserted', header: true },
      { data: 'Changed', header: true },
      { data: 'Tickers', header: true },
      { data: 'Failed / skipped', header: true },
      { data: 'Duration', header: true },
    ],
    ...summary.tasks.map((t) => [
      t.taskName,
      `${ICON[t.status] ?? ''} ${t.status}`,
      String(t.rowsUpdated),
      String(t.rowsInserted),
      String(t.rowsChanged),
      String(t.tickers),
      String((t.counts.failed ?? 0) + (t.counts.skipped ?? 0)),
      seconds(t.durationSeconds),
    ]),
  ]);
  for (const task of summary.tasks) {
    if (task.status === 'failed' && task.errorMessage) {
      s.addRaw(`**${task.taskName} failed:** ${escapeHtml(options.redact(task.errorMessage))}`, true);
    }
    if (task.failures.length === 0) continue;
    s.addHeading(`${task.taskName}: failed tickers`, 3);
    s.addTable([
      [
        { data: 'Ticker', header: true },
        { data: 'Outcome', header: true },
        { data: 'HTTP', header: true },
        { data: 'Reason', header: true },
      ],
      ...task.failures.map((f) => [
        f.ticker,
        f.outcome,
        f.httpStatus === null ? '' : String(f.httpStatus),
        escapeHtml(options.redact(f.message)),
      ]),
    ]);
    const total = (task.counts.failed ?? 0) + (task.counts.skipped ?? 0) + (task.counts.invalid_rows ?? 0);
    if (total > task.failures.length) {
      s.addRaw(`… and ${total - task.failures.length} more in \`failed_ingestion.log\`.`, true);
    }
  }
  for (const task of summary.tasks) {
    const repair = task.taskName === 'repair_price_gaps' ? repairCountsOf(task.metadata) : null;
    if (repair) s.addRaw(escapeHtml(describeRepair(repair)), true);
  }
  for (const task of summary.tasks) {
    const quality = task.quality;
    if (!quality || quality.total === 0) continue;
    s.addHeading(`${task.taskName}: data-check findings (reported, never failing the run)`, 3);
    s.addTable([
      [
        { data: 'Check', header: true },
        { data: 'Rows', header: true },
        { data: 'First examples', header: true },
      ],
      ...quality.findings
        .filter((f) => f.count > 0)
        .map((f) => [
          `${QUALITY_WORDS[f.check] ?? f.check} (<code>${f.check}</code>)`,
          String(f.count),
          escapeHtml(options.redact(f.examples.slice(0, 5).join('; '))),
        ]),
    ]);
  }
  for (const notice of summary.notices ?? []) s.addRaw(`⚠️ ${escapeHtml(options.redact(notice))}`, true);
  if (options.strict && summary.tasks.some((t) => t.status === 'partial')) {
    s.addRaw('`strict: true`: a partial task fails the step.', true);
  }
  await s.write();
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

/** The scenario result shape (issue 6 §1) and the human-readable table. */

export interface ScenarioResult {
  name: string;
  tickers: number | null;
  requests: number | null;
  wallSeconds: number | null;
  configuredRpm: number | null;
  achievedRpm: number | null;
  utilization: number | null;
  maxRequestsInAnyWindow: number | null;
  http429: number | null;
  retries: number | null;
  rowsWritten: number | null;
  insertRowsPerSecond: number | null;
  updateRowsPerSecond: number | null;
  insertCeilingRatio: number | null;
  updateCeilingRatio: number | null;
  peakRssMb: number | null;
  /** The goal in words, as issue 6 states it. */
  goal: string;
  /** Whether the goal was met; null when the scenario did not produce a figure. */
  met: boolean | null;
  /** Why the scenario produced no figure (no PostgreSQL, a crash); null when it ran. */
  skipped: string | null;
  /** Context that explains the figures (backend, ceilings, per-check outcomes). */
  details: Record<string, unknown>;
}

export const METRIC_FIELDS = [
  'tickers',
  'requests',
  'wallSeconds',
  'configuredRpm',
  'achievedRpm',
  'utilization',
  'maxRequestsInAnyWindow',
  'http429',
  'retries',
  'rowsWritten',
  'insertRowsPerSecond',
  'updateRowsPerSecond',
  'insertCeilingRatio',
  'updateCeilingRatio',
  'peakRssMb',
] as const satisfies readonly (keyof ScenarioResult)[];

export function emptyResult(name: string, goal: string): ScenarioResult {
  return {
    name,
    tickers: null,
    requests: null,
    wallSeconds: null,
    configuredRpm: null,
    achievedRpm: null,
    utilization: null,
    maxRequestsInAnyWindow: null,
    http429: null,
    retries: null,
    rowsWritten: null,
    insertRowsPerSecond: null,
    updateRowsPerSecond: null,
    insertCeilingRatio: null,
    updateCeilingRatio: null,
    peakRssMb: null,
    goal,
    met: null,
    skipped: null,
    details: {},
  };
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  }
  return String(value);
}

/**
 * One column per scenario, one row per metric (eighteen columns side by side would not fit a terminal);
 * metrics that apply to no scenario of the run are left out. Goals and verdicts follow, one line each.
 */
export function formatTable(results: ScenarioResult[]): string {
  const metrics = METRIC_FIELDS.filter((f) => results.some((r) => r[f] !== null));
  const header = ['', ...results.map((r) => r.name)];
  const rows = [
    header,
    ...metrics.map((m) => [m, ...results.map((r) => cell(r[m]))]),
    ['met', ...results.map((r) => (r.skipped ? 'skipped' : r.met === null ? '-' : r.met ? 'yes' : 'NO'))],
  ];
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  out.push('');
  for (const r of results) {
    const verdict = r.skipped ? `SKIPPED: ${r.skipped}` : r.met ? 'met' : r.met === false ? 'NOT MET' : 'n/a';
    out.push(`${r.name}: ${verdict} (goal: ${r.goal})`);
  }
  return out.join('\n');
}

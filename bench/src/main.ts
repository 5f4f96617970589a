/**
 * pnpm bench [--json] [--scenario NAME]... [--list]
 *
 * Runs the scenarios one after another (each with its own sandbox process and database), prints a table,
 * or with --json exactly one JSON document { "scenarios": [...] } on stdout; progress goes to stderr.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { redactUrl } from './databases.js';
import { progress } from './log.js';
import { emptyResult, formatTable, type ScenarioResult } from './report.js';
import { auditScenario } from './scenarios/audit.js';
import {
  misconfiguredBudget,
  productionEnvelope,
  sharedBudget,
  sharedBudgetWithIntruder,
} from './scenarios/budget.js';
import { backfillMemory, bulk, rateLimited } from './scenarios/pipeline.js';
import { repairScenario } from './scenarios/repair.js';
import { dbUpsert } from './scenarios/upsert.js';

interface Scenario {
  name: string;
  /** Rough duration on the 2-core reference machine, for the progress line. */
  expect: string;
  run(): Promise<ScenarioResult>;
}

export const SCENARIOS: Scenario[] = [
  { name: 'rate-limited', expect: '~3.5 min', run: rateLimited },
  { name: 'latency-bound', expect: '~2.7 min', run: () => productionEnvelope(200) },
  { name: 'latency-bound-1s', expect: '~2.7 min', run: () => productionEnvelope(1000) },
  { name: 'shared-budget', expect: '~3.5 min', run: sharedBudget },
  { name: 'shared-budget-with-intruder', expect: '~3 min', run: sharedBudgetWithIntruder },
  { name: 'misconfigured-budget', expect: '~3.5 min', run: misconfiguredBudget },
  { name: 'bulk', expect: '~30 s', run: bulk },
  { name: 'db-upsert-postgres', expect: '~2 min', run: () => dbUpsert('postgres') },
  { name: 'db-upsert-embedded', expect: '~4 min', run: () => dbUpsert('embedded') },
  { name: 'backfill-memory', expect: '~2 min', run: () => backfillMemory('postgres') },
  { name: 'backfill-memory-embedded', expect: '~3 min', run: () => backfillMemory('embedded') },
  { name: 'audit', expect: '~1 min', run: () => auditScenario('postgres') },
  { name: 'audit-embedded', expect: '~2 min', run: () => auditScenario('embedded') },
  { name: 'repair', expect: '~1 min', run: repairScenario },
];

const USAGE = `usage: pnpm bench [--json] [--scenario NAME]... [--list]
scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`;

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.list) {
    process.stdout.write(`${SCENARIOS.map((s) => `${s.name}\t${s.expect}`).join('\n')}\n`);
    return 0;
  }
  const wanted = args.scenario ?? [];
  const unknown = wanted.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario: ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const chosen = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;

  const results: ScenarioResult[] = [];
  const t0 = performance.now();
  for (const s of chosen) {
    progress(`> ${s.name} (expect ${s.expect})`);
    const started = performance.now();
    let r: ScenarioResult;
    try {
      r = await s.run();
    } catch (error) {
      // A scenario that crashed gives no figure: it says why instead, and the others still run.
      const reason = redactUrl(error instanceof Error ? error.message : String(error));
      progress(`  ${s.name} could not run: ${reason}`);
      r = { ...emptyResult(s.name, 'see the scenario'), skipped: `error: ${reason}` };
    }
    results.push(r);
    progress(
      `< ${s.name}: ${r.skipped ? `skipped (${r.skipped})` : r.met ? 'goal met' : 'goal NOT met'}` +
        ` in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  progress(`bench finished in ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min`);

  if (args.json) process.stdout.write(`${JSON.stringify({ scenarios: results }, null, 2)}\n`);
  else process.stdout.write(`\n${formatTable(results)}\n`);
  return 0;
}

function parse() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  return values;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${redactUrl(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    process.exitCode = 1;
  },
);

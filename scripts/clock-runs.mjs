// The calendar-sensitive test files, run again with the whole process tree's clock shifted (libfaketime's
// "start at" form, so the clock keeps running: a frozen clock hangs Node's timers) and once in a time zone far
// from New York. Each test pins its own "now"; these runs prove that nothing else leaks the real date in.
// The PostgreSQL server's clock cannot be shifted, so these runs use the embedded database only.
import { join } from 'node:path';

/** Dates chosen to be hard for a calendar: an early close after a holiday, a Monday after one, a weekend New Year. */
export const CLOCK_RUNS = [
  // Friday 2026-11-27, 10:00 New York: the day after Thanksgiving, a 13:00 early close not yet reached.
  { label: 'day after Thanksgiving', faketime: '2026-11-27 15:00:00' },
  // Monday 2027-01-04, 00:00 New York (the 05:00 UTC schedule): after New Year's Day (Friday) and a weekend.
  { label: 'Monday after a holiday', faketime: '2027-01-04 05:00:00' },
  // Saturday 2028-01-01, 00:00 New York: New Year's Day on a weekend (no holiday observed on Friday 2027-12-31).
  { label: "New Year's Day on a weekend", faketime: '2028-01-01 05:00:00' },
  { label: 'TZ=Asia/Tokyo', tz: 'Asia/Tokyo' },
];

/**
 * Which files each package runs under a shifted clock: windows, calendar, backfill resume, CLI date handling, and
 * the shared FMP budget (its windows on the Redis clock, with a private redis-server that keeps the machine's).
 */
export const CLOCK_FILES = [
  {
    dir: 'packages/ingest-core',
    files: [
      'src/calendar.test.ts',
      'src/tasks/chunks.test.ts',
      'src/sync.test.ts',
      'test/resume.embedded.test.ts',
    ],
  },
  { dir: 'packages/sync-logger', files: ['test/utc.test.ts'] },
  { dir: 'packages/fmp-client', files: ['test/shared-budget.test.ts'] },
  { dir: 'apps/cli', files: ['test/config.test.ts', 'test/args.test.ts'] },
];

/**
 * The command of one clock setting: one vitest run over every package's files (vitest.clocks.config.ts makes
 * each package a project with its own config), writing its JSON report at the root.
 */
export function clockRunCommand(setting, root, index = CLOCK_RUNS.indexOf(setting)) {
  const env = { ...process.env, SMARTSTOCK_TEST_REPORT: join(root, `test-results.clock-${index}.json`) };
  delete env.TEST_DATABASE_URL;
  // faketime reads its date in the local time zone: UTC, so the comments above hold on any machine.
  if (setting.faketime) env.TZ = 'UTC';
  if (setting.tz) env.TZ = setting.tz;
  const vitest = join(root, 'node_modules', '.bin', 'vitest');
  const files = CLOCK_FILES.flatMap(({ dir, files }) => files.map((file) => `${dir}/${file}`));
  const args = ['run', '--config', 'vitest.clocks.config.ts', ...files];
  return {
    describe: `${files.length} files of ${CLOCK_FILES.length} packages`,
    cwd: root,
    env,
    command: setting.faketime ? 'faketime' : vitest,
    args: setting.faketime ? [setting.faketime, vitest, ...args] : args,
  };
}

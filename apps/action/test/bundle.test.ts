import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@smartstock/db';
import { type Sandbox, startSandbox } from '@smartstock/fmp-sandbox';
import { describeRepair, repairCountsOf, syncSummarySchema } from '@smartstock/ingest-core';
import { TEST_NODE_FLAGS } from '@smartstock/testkit/node-flags';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('..', import.meta.url));
const bundle = path.join(here, 'dist', 'index.js');
const adminUrl = process.env.TEST_DATABASE_URL;

describe('dist/index.js shipping (committed and checked)', () => {
  it('the dist/index.js in git equals a fresh build of the sources', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'smartstock-action-build-')), 'index.js');
    try {
      execFileSync(process.execPath, ['scripts/build.mjs', out], { cwd: here, stdio: 'pipe' });
      const fresh = readFileSync(out, 'utf8');
      // The index (staged or committed) version: what a `uses: ./apps/action` checkout would run.
      const tracked = execFileSync('git', ['show', ':./dist/index.js'], {
        cwd: here,
        maxBuffer: 256 << 20,
      }).toString('utf8');
      expect(
        fresh === tracked,
        'apps/action/dist/index.js is stale: run `pnpm --filter @smartstock/action build` and commit dist/index.js',
      ).toBe(true);
    } finally {
      rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });

  it('bundles no PGlite and no sandbox', () => {
    const text = readFileSync(bundle, 'utf8');
    expect(text).not.toMatch(/pglite\.wasm|SyntheticMarket|fmp-sandbox\/src/);
    expect(text.startsWith("import { createRequire as __smartstockCreateRequire } from 'node:module';")).toBe(
      true,
    );
  });
});

interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses the `name<<delimiter\nvalue\ndelimiter` records @actions/core appends to $GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    outputs[m[1]!] = value.join('\n');
  }
  return outputs;
}

if (!adminUrl)
  console.info('[action tests] TEST_DATABASE_URL not set: the bundled Action runs need PostgreSQL, not run');

// Defined only with a server (CI always has one), so a run without it lists no skipped tests.
if (adminUrl)
  describe('the bundled Action, alone in an empty folder, against the sandbox and PostgreSQL', () => {
    let sandbox: Sandbox;
    let workDir: string;
    /** Every run's folder, removed when the file ends (a run's files are read after it exits). */
    const workDirs: string[] = [];
    let dbName: string;
    let databaseUrl: string;

    beforeAll(async () => {
      sandbox = await startSandbox({ tickers: 30, seed: 5 });
      // A unique name only: no date or duration is derived from it.
      dbName = `smartstock_action_${process.pid}_${Date.now().toString(36)}`;
      const admin = await createDatabase({ url: adminUrl! });
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.close();
      const url = new URL(adminUrl!);
      url.pathname = `/${dbName}`;
      // A password the masking must hide (the trust-auth server ignores it).
      url.username = url.username || 'postgres';
      url.password = 'pw-9d8c7b6a5f';
      databaseUrl = url.toString();
    });

    afterAll(async () => {
      for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
      await sandbox?.stop();
      const admin = await createDatabase({ url: adminUrl! });
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.close();
    });

    function runAction(
      inputs: Record<string, string>,
      interrupt?: { when: RegExp; signal: NodeJS.Signals },
    ): Promise<ActionRun> {
      workDir = mkdtempSync(path.join(tmpdir(), 'smartstock-action-run-'));
      workDirs.push(workDir);
      const actionDir = path.join(workDir, 'action');
      const workspace = path.join(workDir, 'workspace');
      execFileSync('mkdir', ['-p', actionDir, workspace]);
      copyFileSync(bundle, path.join(actionDir, 'index.js'));
      expect(readdirSync(actionDir)).toEqual(['index.js']);
      const outputFile = path.join(workDir, 'output.txt');
      const summaryFile = path.join(workDir, 'summary.md');
      writeFileSync(outputFile, '');
      writeFileSync(summaryFile, '');
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_WORKSPACE: workspace,
      };
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...TEST_NODE_FLAGS, path.join(actionDir, 'index.js')], {
          cwd: workspace,
          env,
        });
        let stdout = '';
        let stderr = '';
        let sent = false;
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          stdout += c;
          if (interrupt && !sent && interrupt.when.test(stdout)) {
            sent = true;
            child.kill(interrupt.signal);
          }
        });
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.on('error', reject);
        child.on('close', (code) =>
          resolve({
            code,
            stdout,
            stderr,
            outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
            summary: readFileSync(summaryFile, 'utf8'),
          }),
        );
      });
    }

    const baseInputs = () => ({
      'fmp-api-key': sandbox.apiKey,
      'database-url': databaseUrl,
      'tickers-source': sandbox.holdingsUrl,
      'min-tickers': '10',
      'requests-per-minute': '0',
      'fmp-base-url': sandbox.url,
      // The Action has no from/to: it syncs the last N days, like the schedule. The sandbox and the Action share
      // the process tree's clock (real or shifted), and any 7 calendar days hold a closed NYSE session, so the
      // assertions below hold on any day.
      days: '7',
    });

    /** On a runner `::add-mask::` lines are swallowed; here they are printed, so they are left out of the check. */
    const visible = (r: ActionRun) =>
      [r.stdout, r.stderr, JSON.stringify(r.outputs), r.summary]
        .join('\n')
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');

    it('migrates, syncs, sets the outputs and writes the job summary', async () => {
      const result = await runAction(baseInputs());
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('::add-mask::');
      expect(result.stdout).toContain('::group::Connect and migrate the database');
      expect(result.outputs.status).toBe('success');
      const summary = syncSummarySchema.parse(JSON.parse(result.outputs['summary-json']!));
      expect(summary.tasks.map((t) => [t.taskName, t.status])).toEqual([
        ['get_russell_2000_list', 'success'],
        ['ingest_market_data', 'success'],
        // The repair runs after the prices by default: the last 7 days are whole, so it asks for nothing.
        ['repair_price_gaps', 'success'],
        ['ingest_all_dcf', 'success'],
        ['check_data_quality', 'success'],
      ]);
      expect(summary.tasks[2]!.metadata).toMatchObject({ requests: 0, leftForNextNight: { tickers: 0 } });
      expect(result.outputs['rows-updated']).toBe(String(summary.rowsUpdated));
      expect(summary.rowsUpdated).toBeGreaterThan(0);
      expect(result.outputs['log-path']).toBe(summary.logPath);
      expect(result.outputs['log-path']).toMatch(/workspace\/data\/failed_ingestion\.log$/);
      expect(result.summary).toContain('<h2>smartstock daily sync</h2>');
      for (const task of [
        'get_russell_2000_list',
        'ingest_market_data',
        'repair_price_gaps',
        'ingest_all_dcf',
        'check_data_quality',
      ]) {
        expect(result.summary).toMatch(new RegExp(`<td>${task}</td><td>✅ success</td><td>\\d+</td>`));
      }
      // The repair's sentence, from its metadata, as the CLI's run summary says it.
      const repair = summary.tasks.find((t) => t.taskName === 'repair_price_gaps');
      expect(repair, 'the nightly run repairs').toBeDefined();
      expect(result.summary).toContain(describeRepair(repairCountsOf(repair!.metadata)!));
      // Each data check that found rows has a line of the job summary, with its count.
      const quality = summary.tasks[4]!.quality!;
      const found = quality.findings.filter((f) => f.count > 0);
      if (found.length > 0) expect(result.summary).toContain('check_data_quality: data-check findings');
      for (const f of found) {
        expect(result.summary).toMatch(
          new RegExp(`<td>[^<]*\\(<code>${f.check}</code>\\)</td><td>${f.count}</td>`),
        );
      }
      expect(visible(result)).not.toContain('pw-9d8c7b6a5f');
    });

    it('with a wrong key: exit 1, the summary says why, and the key appears in no output', async () => {
      const wrongKey = 'bad-key-0a1b2c3d4e5f';
      const result = await runAction({ ...baseInputs(), 'fmp-api-key': wrongKey, tasks: 'prices,dcf' });
      expect(result.code).toBe(1);
      expect(result.outputs.status).toBe('failed');
      expect(result.stdout).toMatch(/::error::smartstock sync failed: ingest_market_data failed: /);
      expect(result.summary).toMatch(/\*\*ingest_market_data failed:\*\* .*(401|key)/i);
      expect(result.summary).toMatch(/<td>ingest_market_data<\/td><td>❌ failed<\/td>/);
      expect(visible(result)).not.toContain(wrongKey);
      expect(visible(result)).not.toContain('pw-9d8c7b6a5f');
    });

    it("a runner's cancel (SIGINT) stops the sync cleanly: exit 130, the prices row failed with the reason, DCF not run", async () => {
      sandbox.update({ latencyMs: 60 });
      try {
        const result = await runAction(
          { ...baseInputs(), concurrency: '1' },
          { when: /ingest_market_data progress \d+\/\d+/, signal: 'SIGINT' },
        );
        expect(result.code, result.stdout + result.stderr).toBe(130);
        expect(result.stdout).toContain('SIGINT: cancelling the sync');
        const summary = syncSummarySchema.parse(JSON.parse(result.outputs['summary-json']!));
        expect(summary.cancelled).toEqual({
          reason: 'cancelled by SIGINT',
          notRun: ['repair_price_gaps', 'ingest_all_dcf', 'check_data_quality'],
        });
        expect(summary.tasks.at(-1)).toMatchObject({
          taskName: 'ingest_market_data',
          status: 'failed',
          errorMessage: 'cancelled by SIGINT',
        });
        expect(summary.tasks.at(-1)!.counts.failed ?? 0).toBe(0);
        const db = await createDatabase({ url: databaseUrl });
        try {
          const [open] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM sync_logs WHERE status = 'running' OR completed_at IS NULL`,
          );
          expect(open!.n).toBe(0);
        } finally {
          await db.close();
        }
      } finally {
        sandbox.update({ latencyMs: 0 });
      }
    });

    it('a missing required input fails the step with the reason and no sync', async () => {
      const { 'fmp-api-key': _omit, ...inputs } = baseInputs();
      const result = await runAction(inputs);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('::error::input fmp-api-key is required');
      expect(result.outputs.status).toBe('failed');
      expect(result.summary).toContain('input fmp-api-key is required');
    });
  });

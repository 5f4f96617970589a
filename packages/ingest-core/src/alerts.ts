import { type Logger, noopLogger, redactSecrets } from '@smartstock/common';
import { z } from 'zod';
import type { SyncSummary, TaskSummary } from './summary.js';

/**
 * What a night says to the outside: webhook alerts (Slack, Discord, or the JSON summary to anything else) and
 * dead-man's-switch pings (healthchecks.io / Better Stack, or Cronitor's telemetry style). The CLI and the
 * Action read these settings at their boundary through this one schema and call `createRunMonitor`, so both
 * alert the same way. Nothing here ever changes a run's outcome or exit code.
 */
export const runMonitorSettingsSchema = z.object({
  /** Webhooks posted once per night when the night's status is at least `notifyOn`. */
  notifyUrls: z.array(z.string().url()).default([]),
  /** `failed` (default): only failed nights; `partial`: partial ones too; `always`: every night. */
  notifyOn: z.enum(['failed', 'partial', 'always']).default('failed'),
  /** A dead-man's-switch check URL: `/start` at the start, the URL on success or partial, `/fail` on failure. */
  pingUrl: z.string().url().optional(),
  /** `healthchecks` (also Better Stack): `/start`, ``, `/fail`; `cronitor`: `/run`, `/complete`, `/fail`. */
  pingStyle: z.enum(['healthchecks', 'cronitor']).default('healthchecks'),
});
/**
 * Where and when to report a night's run (webhooks, `notifyOn`, the dead-man's-switch ping); the input form of
 * `runMonitorSettingsSchema`, defaults filled by `createRunMonitor`.
 */
export type RunMonitorSettings = z.input<typeof runMonitorSettingsSchema>;

/** One webhook message or ping sent by a RunMonitor, and whether it got through (for the run's log). */
export interface Delivery {
  /** The webhook or ping, shown by origin only: a webhook's path is its secret. */
  target: string;
  kind: 'notify' | 'ping';
  ok: boolean;
  attempts: number;
  error?: string | undefined;
}

/** How a RunMonitor sends: redaction, timeouts and retries. All optional. */
export interface RunMonitorOptions {
  logger?: Logger | undefined;
  /** The FMP key, database passwords…: never sent in any message. */
  secrets?: readonly string[] | undefined;
  /** A link to the run (a GitHub Actions run page), shown in Slack and Discord messages. */
  runUrl?: string | undefined;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch | undefined;
  /** Per attempt (default 10 s). */
  timeoutMs?: number | undefined;
  /** Attempts for a 5xx or a network error (default 3), with 1 s, 2 s … between them. */
  attempts?: number | undefined;
  /** Backoff base (default 1000 ms). */
  backoffMs?: number | undefined;
}

/**
 * Reports a night's run to webhooks (Slack, Discord, generic JSON) and a dead-man's-switch ping. Its methods
 * never throw: a failed delivery is returned, not raised.
 */
export interface RunMonitor {
  /** The `start` ping (no-op without a ping URL). */
  started(): Promise<Delivery[]>;
  /**
   * The end of the night: the ping (success/partial or fail) and, when the status calls for it, one message
   * per webhook. A cancelled run is sent within 2 s, without retries. Never throws.
   */
  finished(summary: SyncSummary): Promise<Delivery[]>;
  /**
   * The night could not run at all (the database unreachable, the lock held, a migration refused): the fail
   * ping, and one message per webhook saying why (Slack and Discord as text; others `{ status, error }`).
   */
  couldNotRun(reason: string): Promise<Delivery[]>;
}

const SEVERITY = { success: 0, partial: 1, failed: 2 } as const;
const THRESHOLD = { always: 0, partial: 1, failed: 2 } as const;
const FIRST_FAILURES = 5;

/**
 * Builds the run monitor the CLI and the Action call around `runDailySync`. Throws a ZodError when `settings`
 * are invalid (a bad URL, an unknown `notifyOn`); sends nothing until a method is called.
 */
export function createRunMonitor(settings: RunMonitorSettings, options: RunMonitorOptions = {}): RunMonitor {
  const config = runMonitorSettingsSchema.parse(settings);
  const logger = options.logger ?? noopLogger;
  const secrets = [...(options.secrets ?? [])];
  const post = (target: string, kind: Delivery['kind'], body: string, type: string, quick: boolean) =>
    deliver(target, kind, redactSecrets(body, secrets), type, {
      fetch: options.fetch ?? fetch,
      timeoutMs: quick ? Math.min(2_000, options.timeoutMs ?? 10_000) : (options.timeoutMs ?? 10_000),
      attempts: quick ? 1 : (options.attempts ?? 3),
      backoffMs: options.backoffMs ?? 1_000,
    }).then((delivery) => {
      if (!delivery.ok) {
        logger.warn(`${kind === 'ping' ? 'ping' : 'alert'} not delivered`, {
          target: delivery.target,
          attempts: delivery.attempts,
          error: redactSecrets(delivery.error ?? '', secrets),
        });
      }
      return delivery;
    });
  const ping = (suffix: string, body: string, quick: boolean) =>
    config.pingUrl ? post(pingTarget(config.pingUrl, suffix), 'ping', body, 'text/plain', quick) : null;
  const style = PING_SUFFIX[config.pingStyle];

  return {
    async started() {
      const sent = ping(style.start, 'smartstock sync started', false);
      return sent ? [await sent] : [];
    },
    async finished(summary) {
      const quick = summary.cancelled !== undefined;
      const line = oneLineSummary(summary);
      const sends: Promise<Delivery>[] = [];
      const pinged = ping(summary.status === 'failed' ? style.fail : style.success, line, quick);
      if (pinged) sends.push(pinged);
      if (SEVERITY[summary.status] >= THRESHOLD[config.notifyOn]) {
        for (const url of config.notifyUrls) {
          const message = messageFor(url, summary, line, options.runUrl);
          sends.push(post(url, 'notify', JSON.stringify(message), 'application/json', quick));
        }
      }
      return Promise.all(sends);
    },
    async couldNotRun(reason) {
      const line = `smartstock sync failed: ${reason}`;
      const sends: Promise<Delivery>[] = [];
      const pinged = ping(style.fail, line, false);
      if (pinged) sends.push(pinged);
      for (const url of config.notifyUrls) {
        const kind = webhookKind(url);
        const message =
          kind === 'slack'
            ? { text: line }
            : kind === 'discord'
              ? { content: line.slice(0, 2_000) }
              : { status: 'failed', error: reason };
        sends.push(post(url, 'notify', JSON.stringify(message), 'application/json', false));
      }
      return Promise.all(sends);
    },
  };
}

const PING_SUFFIX = {
  healthchecks: { start: '/start', success: '', fail: '/fail' },
  cronitor: { start: '/run', success: '/complete', fail: '/fail' },
} as const;

function pingTarget(url: string, suffix: string): string {
  if (!suffix) return url;
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/$/, '')}${suffix}`;
  return u.toString();
}

/** One line for a ping body or a message's first line: the status, each task's outcome, the rows and time. */
export function oneLineSummary(summary: SyncSummary): string {
  const tasks = summary.tasks
    .map(
      (t) =>
        `${t.taskName} ${t.status}${t.status === 'failed' && t.errorMessage ? ` (${t.errorMessage})` : ''}`,
    )
    .join(', ');
  const cancelled = summary.cancelled
    ? `; ${summary.cancelled.reason}${summary.cancelled.notRun.length ? `, not run: ${summary.cancelled.notRun.join(', ')}` : ''}`
    : '';
  return (
    `smartstock sync ${summary.status}: ${tasks || 'no task ran'}${cancelled}; ` +
    `${summary.rowsUpdated} rows updated in ${summary.durationSeconds.toFixed(1)} s (run ${summary.runId})`
  );
}

type WebhookKind = 'slack' | 'discord' | 'json';

export function webhookKind(url: string): WebhookKind {
  const host = new URL(url).hostname;
  if (host === 'hooks.slack.com') return 'slack';
  if (/^(?:.+\.)?discord(?:app)?\.com$/.test(host) && new URL(url).pathname.startsWith('/api/webhooks/')) {
    return 'discord';
  }
  return 'json';
}

function firstFailures(summary: SyncSummary): string[] {
  return summary.tasks
    .flatMap((t) => t.failures.map((f) => ({ t, f })))
    .slice(0, FIRST_FAILURES)
    .map(({ f }) =>
      `${f.ticker}: ${f.outcome}${f.httpStatus ? ` (HTTP ${f.httpStatus})` : ''} ${f.message}`.trim(),
    );
}

function taskLine(t: TaskSummary): string {
  const icon = t.status === 'success' ? '✅' : t.status === 'partial' ? '⚠️' : '❌';
  const error = t.status !== 'success' && t.errorMessage ? ` — ${t.errorMessage}` : '';
  return `${icon} ${t.taskName}: ${t.status}, ${t.rowsUpdated} rows, ${t.durationSeconds.toFixed(1)} s${error}`;
}

/** The message a webhook gets: Slack blocks, a Discord embed, or the versioned JSON summary itself. */
export function messageFor(url: string, summary: SyncSummary, line: string, runUrl?: string): unknown {
  const kind = webhookKind(url);
  if (kind === 'json') return summary;
  const title = `smartstock sync: ${summary.status}${summary.cancelled ? ` (${summary.cancelled.reason})` : ''}`;
  const tasks = summary.tasks.map(taskLine);
  const failures = firstFailures(summary);
  const duration = `${summary.durationSeconds.toFixed(1)} s, ${summary.rowsUpdated} rows updated, run ${summary.runId}`;
  if (kind === 'slack') {
    return {
      text: line,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: title } },
        { type: 'section', text: { type: 'mrkdwn', text: tasks.join('\n') || 'no task ran' } },
        ...(failures.length
          ? [
              {
                type: 'section',
                text: { type: 'mrkdwn', text: `*First failed tickers*\n${failures.join('\n')}` },
              },
            ]
          : []),
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: runUrl ? `${duration} · <${runUrl}|GitHub run>` : duration }],
        },
      ],
    };
  }
  return {
    content: line.slice(0, 2_000),
    embeds: [
      {
        title,
        ...(runUrl ? { url: runUrl } : {}),
        color: summary.status === 'success' ? 0x2eb67d : summary.status === 'partial' ? 0xecb22e : 0xe01e5a,
        description: [
          tasks.join('\n'),
          failures.length ? `**First failed tickers**\n${failures.join('\n')}` : '',
        ]
          .filter(Boolean)
          .join('\n\n')
          .slice(0, 4_000),
        footer: { text: duration },
      },
    ],
  };
}

interface DeliverOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  attempts: number;
  backoffMs: number;
}

/** POSTs with retries on 5xx and network errors (never on 4xx: a wrong URL stays wrong). Never throws. */
async function deliver(
  url: string,
  kind: Delivery['kind'],
  body: string,
  contentType: string,
  options: DeliverOptions,
): Promise<Delivery> {
  const target = new URL(url).origin;
  let error = '';
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      const res = await options.fetch(url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { target, kind, ok: true, attempts: attempt };
      error = `HTTP ${res.status}`;
      if (res.status < 500) return { target, kind, ok: false, attempts: attempt, error };
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (attempt < options.attempts) {
      await new Promise((resolve) => setTimeout(resolve, options.backoffMs * 2 ** (attempt - 1)));
    }
  }
  return { target, kind, ok: false, attempts: options.attempts, error };
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SandboxCore, SandboxReply } from '../src/index.js';

export function fixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`./fixtures/fmp/${name}`, import.meta.url));
  const text = readFileSync(path, 'utf8');
  return (name.endsWith('.json') ? JSON.parse(text) : text) as T;
}

export const KEY = 'sandbox-key';

export function get(
  core: SandboxCore,
  path: string,
  query: Record<string, string> = {},
  key: string | null = KEY,
): SandboxReply {
  return core.handle({
    method: 'GET',
    path,
    query: new URLSearchParams(query),
    headers: key === null ? {} : { apikey: key },
  });
}

export function body(reply: SandboxReply): { status: number; headers: Record<string, string>; text: string } {
  if (reply.action !== 'respond') throw new Error(`expected an answer, got ${reply.action}`);
  return { status: reply.status, headers: reply.headers, text: reply.body };
}

export function json<T = unknown>(reply: SandboxReply): T {
  return JSON.parse(body(reply).text) as T;
}

/** 2026-05-05 (a Tuesday) after the close. */
export const AFTER_CLOSE = '2026-05-05T21:00:00Z';

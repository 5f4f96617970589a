import { redactAndBound } from '@smartstock/common';

const MAX_CAUSE_DEPTH = 5;
const MAX_AGGREGATED = 3;

function describeOne(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as { name?: unknown; message?: unknown; code?: unknown };
    const name = typeof e.name === 'string' && e.name.length > 0 ? e.name : 'Error';
    const code = typeof e.code === 'string' || typeof e.code === 'number' ? ` [${e.code}]` : '';
    const message = typeof e.message === 'string' ? e.message : String(e.message);
    return `${name}${code}: ${message}`;
  }
  if (typeof error === 'string') return error;
  if (error === undefined) return 'undefined (no error value)';
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * One line per error for the error_message column: name, code and message of the error and of each
 * `cause` below it (and the first few errors of an AggregateError). Never the stack: stacks hold paths
 * and, via arguments captured in messages further down, sometimes secrets; the message is what a reader
 * of sync_logs needs.
 */
export function summarizeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current === 'object' && current !== null) {
      if (seen.has(current)) break;
      seen.add(current);
    }
    let line = describeOne(current);
    if (current instanceof AggregateError && Array.isArray(current.errors) && current.errors.length > 0) {
      const inner = current.errors.slice(0, MAX_AGGREGATED).map(describeOne).join('; ');
      const more =
        current.errors.length > MAX_AGGREGATED ? `; +${current.errors.length - MAX_AGGREGATED} more` : '';
      line += ` (${inner}${more})`;
    }
    parts.push(line);
    const next =
      typeof current === 'object' && current !== null ? (current as { cause?: unknown }).cause : undefined;
    if (next === undefined || next === null) break;
    if (depth === MAX_CAUSE_DEPTH) parts.push('…');
    current = next;
  }
  return parts.join(' <- caused by: ');
}

const MAX_DEPTH = 20;

/**
 * Makes caller metadata safe for the jsonb column: every string (keys included) redacted and bounded,
 * Dates as ISO strings, errors summarised, bigints as numbers when exact (else strings), Maps and Sets
 * as objects and arrays, non-finite numbers as null, functions/symbols/undefined dropped, cycles cut.
 */
export function sanitizeMetadata(
  value: Record<string, unknown>,
  secrets: readonly string[],
  maxLength: number,
): Record<string, unknown> {
  const ancestors: unknown[] = [];
  const clean = (v: unknown, depth: number): unknown => {
    if (v === null) return null;
    switch (typeof v) {
      case 'string':
        return redactAndBound(v, secrets, maxLength);
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'boolean':
        return v;
      case 'bigint':
        return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
    }
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
    if (v instanceof Error) return redactAndBound(summarizeError(v), secrets, maxLength);
    if (ancestors.includes(v)) return '[circular]';
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function' && depth < MAX_DEPTH) return clean(toJSON.call(v), depth + 1);
    if (depth >= MAX_DEPTH) return '[too deep]';
    ancestors.push(v);
    try {
      if (Array.isArray(v) || v instanceof Set) {
        return [...(v as Iterable<unknown>)].map((item) => clean(item, depth + 1) ?? null);
      }
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
      const out: Record<string, unknown> = {};
      for (const [key, item] of entries) {
        const cleaned = clean(item, depth + 1);
        if (cleaned !== undefined) out[redactAndBound(String(key), secrets, maxLength)] = cleaned;
      }
      return out;
    } finally {
      ancestors.pop();
    }
  };
  return clean(value, 0) as Record<string, unknown>;
}

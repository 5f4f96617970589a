import { inspect } from 'node:util';
import { expect } from 'vitest';

/** Every way an error may end up in a log: inspect (hidden props, getters), JSON, stack, cause chain. */
export function renderings(error: unknown): string[] {
  const out = [
    inspect(error, { showHidden: true, depth: Number.POSITIVE_INFINITY, getters: true }),
    JSON.stringify(error),
    String(error),
  ];
  let current: unknown = error;
  for (let i = 0; i < 8 && current; i++) {
    if (current instanceof Error) {
      out.push(
        current.message,
        current.stack ?? '',
        JSON.stringify(
          Object.getOwnPropertyNames(current).map((k) => [
            k,
            String((current as unknown as Record<string, unknown>)[k]),
          ]),
        ),
      );
    }
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

export function expectNoSecret(texts: readonly string[], secret: string): void {
  for (const text of texts) expect(text).not.toContain(secret);
}

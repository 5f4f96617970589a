/**
 * Error brands that survive two copies of a package in one service. `instanceof` compares prototypes, and a
 * service whose own @smartstock/db sits beside the copy ingest-core depends on has two DatabaseError classes;
 * a registry symbol (`Symbol.for`) is the same in both, so a brand stored under it identifies the error
 * whichever copy threw it. The brand's value is the error's code.
 */
export interface Brand<Code extends string> {
  /** Marks `error` (non-enumerable, so JSON and logs do not show it). */
  mark(error: object, code: Code): void;
  /** The code of a branded error from any copy, or null. */
  codeOf(value: unknown): Code | null;
}

/** A brand under `Symbol.for(key)`; the key names the package and the class, e.g. `@smartstock/db/DatabaseError`. */
export function defineBrand<Code extends string>(key: string): Brand<Code> {
  const symbol = Symbol.for(key);
  return {
    mark(error, code) {
      Object.defineProperty(error, symbol, { value: code, enumerable: false, configurable: false });
    },
    codeOf(value) {
      if (typeof value !== 'object' || value === null) return null;
      const code = (value as Record<symbol, unknown>)[symbol];
      return typeof code === 'string' ? (code as Code) : null;
    },
  };
}

import { SandboxError } from './errors.js';

/** The faults the sandbox can inject, as named in a fault spec. */
export const FAULT_KINDS = ['5xx', '429', 'timeout', 'reset', 'malformed', 'error200', 'badrows'] as const;
/** One of FAULT_KINDS. */
export type FaultKind = (typeof FAULT_KINDS)[number];
/** Probability per request of each fault, each in [0, 1]; their sum must not exceed 1. */
export type FaultRates = Partial<Record<FaultKind, number>>;

const isKind = (k: string): k is FaultKind => (FAULT_KINDS as readonly string[]).includes(k);

function checkRate(kind: string, rate: unknown, where: string): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new SandboxError(
      'INVALID_FAULTS',
      `${where}: the rate of fault "${kind}" must be a number from 0 to 1, got ${String(rate)}`,
    );
  }
  return rate;
}

/**
 * Parses `"5xx=0.05,429=0.02,timeout=0.005,reset=0.01,malformed=0.01,error200=0.005,badrows=0.01"` (or an
 * object of the same rates). Unknown kinds, repeated kinds, rates outside [0, 1] and a total above 1 are errors.
 */
export function parseFaults(spec: string | FaultRates | null | undefined): Record<FaultKind, number> {
  const rates = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  if (spec === null || spec === undefined) return rates;
  const known = FAULT_KINDS.join(', ');
  if (typeof spec === 'string') {
    const text = spec.trim();
    if (text === '' || text === 'none') return rates;
    const seen = new Set<string>();
    for (const part of text.split(',')) {
      const entry = part.trim();
      const eq = entry.indexOf('=');
      if (eq <= 0)
        throw new SandboxError(
          'INVALID_FAULTS',
          `faults: expected kind=rate, got ${JSON.stringify(entry)} (kinds: ${known})`,
        );
      const kind = entry.slice(0, eq).trim();
      const raw = entry.slice(eq + 1).trim();
      if (!isKind(kind))
        throw new SandboxError(
          'INVALID_FAULTS',
          `faults: unknown fault kind ${JSON.stringify(kind)} (kinds: ${known})`,
        );
      if (seen.has(kind))
        throw new SandboxError('INVALID_FAULTS', `faults: fault kind "${kind}" is given twice`);
      seen.add(kind);
      const rate = raw === '' ? Number.NaN : Number(raw);
      rates[kind] = checkRate(kind, Number.isNaN(rate) ? raw : rate, 'faults');
    }
  } else if (typeof spec === 'object') {
    for (const [kind, rate] of Object.entries(spec)) {
      if (!isKind(kind))
        throw new SandboxError(
          'INVALID_FAULTS',
          `faults: unknown fault kind ${JSON.stringify(kind)} (kinds: ${known})`,
        );
      rates[kind] = checkRate(kind, rate, 'faults');
    }
  } else {
    throw new SandboxError(
      'INVALID_FAULTS',
      'faults must be a string like "5xx=0.05,reset=0.01" or an object of rates',
    );
  }
  const total = FAULT_KINDS.reduce((sum, k) => sum + rates[k], 0);
  if (total > 1 + 1e-12)
    throw new SandboxError('INVALID_FAULTS', `faults: the rates add up to ${total}, more than 1`);
  return rates;
}

/** The canonical string form, listing only non-zero rates ("none" when there are none). */
export function formatFaults(rates: Record<FaultKind, number>): string {
  const parts = FAULT_KINDS.filter((k) => rates[k] > 0).map((k) => `${k}=${rates[k]}`);
  return parts.length > 0 ? parts.join(',') : 'none';
}

/** Picks the fault (or none) for a uniform draw `u` in [0, 1), walking the kinds in a fixed order. */
export function pickFault(rates: Record<FaultKind, number>, u: number): FaultKind | null {
  let acc = 0;
  for (const kind of FAULT_KINDS) {
    acc += rates[kind];
    if (u < acc) return kind;
  }
  return null;
}

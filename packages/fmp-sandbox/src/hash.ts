// Deterministic, platform-independent hashing: every value of the synthetic market and every fault decision
// derives from these functions, so two processes with the same seed give byte-identical answers.

function fmix(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised so that close strings land far apart. */
export function hashString(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix(h);
}

/** Folds one integer into a running hash. Integers beyond 32 bits are folded in two halves. */
export function mix(h: number, n: number): number {
  const lo = n | 0;
  const hi = Math.floor(n / 4294967296) | 0;
  let x = fmix((h ^ Math.imul(lo, 0xcc9e2d51)) >>> 0);
  x = fmix((x + Math.imul(hi ^ 0x1b873593, 0x9e3779b1)) >>> 0);
  return x;
}

export function mixAll(h: number, ...parts: Array<number | string>): number {
  let x = h >>> 0;
  for (const part of parts) x = typeof part === 'number' ? mix(x, part) : mix(x, hashString(part));
  return x;
}

/** Uniform in [0, 1). */
export function unit(h: number): number {
  return (h >>> 0) / 4294967296;
}

/** Standard normal from two hashes (Box-Muller); never infinite because u1 > 0. */
export function gaussian(h1: number, h2: number): number {
  const u1 = ((h1 >>> 0) + 1) / 4294967297;
  const u2 = unit(h2);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

import { CLASS_LOOKALIKE_TICKERS, SHARE_CLASS_TICKERS, SyntheticMarket } from '@smartstock/fmp-sandbox';
import { describe, expect, it } from 'vitest';
import { normalizeTicker, parseUniverse, validateUniverse } from '../src/universe/clean.js';

describe('the class override table against the sandbox', () => {
  it('maps every share-class ticker the sandbox uses to its FMP symbol', () => {
    expect(SHARE_CLASS_TICKERS.length).toBeGreaterThan(0);
    for (const { holdingsTicker, fmpSymbol } of SHARE_CLASS_TICKERS)
      expect(normalizeTicker(holdingsTicker)).toBe(fmpSymbol);
  });

  it('leaves every look-alike ticker the sandbox uses as it is', () => {
    for (const t of CLASS_LOOKALIKE_TICKERS) expect(normalizeTicker(t)).toBe(t);
  });

  it("cleans the sandbox's holdings file to exactly its universe", () => {
    const market = new SyntheticMarket({ seed: 11, tickers: 2000 });
    const parsed = parseUniverse(market.holdingsCsv());
    expect(() => validateUniverse(parsed)).not.toThrow();
    expect(parsed.entries.map((e) => e.ticker)).toEqual(
      market
        .tickers()
        .map((t) => t.fmpSymbol)
        .sort(),
    );
    expect(parsed.counts.read).toBeGreaterThan(parsed.counts.kept);
  });
});

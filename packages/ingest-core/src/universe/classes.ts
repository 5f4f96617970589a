/**
 * Share-class tickers that iShares writes without a separator but FMP writes with a dash.
 *
 * The separator cannot be inferred: `ZETA`, `ACVA`, `IBTA`, `BETA`, `ZVIA`, `CBNA` are real NYSE tickers
 * whose names say "CLASS A", and Nasdaq writes its own class tickers without one (`BELFA`, `RUSHB`, …). So
 * only the tickers listed here are rewritten; every other ticker is kept as iShares spells it. Each entry is
 * an NYSE/NYSE American class listing whose exchange symbol carries a separator (`MOG.A`, `GEF.B`).
 */
export const CLASS_TICKER_OVERRIDES: Readonly<Record<string, string>> = Object.freeze({
  BFA: 'BF-A', // Brown-Forman A
  BFB: 'BF-B', // Brown-Forman B
  BRKA: 'BRK-A', // Berkshire Hathaway A
  BRKB: 'BRK-B', // Berkshire Hathaway B
  CRDA: 'CRD-A', // Crawford & Company A
  CRDB: 'CRD-B', // Crawford & Company B
  CWENA: 'CWEN-A', // Clearway Energy A
  GEFB: 'GEF-B', // Greif B
  GTNA: 'GTN-A', // Gray Media A
  HEIA: 'HEI-A', // HEICO A
  HVTA: 'HVT-A', // Haverty Furniture A
  LGFA: 'LGF-A', // Lions Gate A
  LGFB: 'LGF-B', // Lions Gate B
  MOGA: 'MOG-A', // Moog A
  MOGB: 'MOG-B', // Moog B
  UHALB: 'UHAL-B', // U-Haul Holding non-voting
});

/**
 * Real tickers that merely look like class tickers (the table above must never rewrite them). Listed so a
 * test can prove they survive cleaning untouched.
 */
export const CLASS_LOOKALIKES: readonly string[] = Object.freeze([
  'ZETA',
  'ACVA',
  'IBTA',
  'BETA',
  'ZVIA',
  'CBNA',
  'BELFA',
  'BELFB',
  'RUSHA',
  'RUSHB',
  'CENTA',
  'IMKTA',
  'RBCAA',
  'SENEA',
  'KELYA',
  'DGICA',
  'VLGEA',
]);

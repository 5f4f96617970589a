/**
 * The iShares equity funds whose holdings file can be the universe. They share IWM's CSV layout (the same
 * preamble, columns and footer; `docs/ishares-holdings-format.md`), so one parser reads them all; what differs
 * is where the file is and how many holdings a complete file has.
 *
 * `minTickers` is the floor below which a download is taken for a truncated one and refused, about three
 * quarters of the fund's usual count of listed US equities: low enough for a reconstitution, high enough that a
 * cut-off download can never replace the universe.
 */
export const ISHARES_FUNDS = {
  IWM: { name: 'iShares Russell 2000 ETF', product: '239710/ishares-russell-2000-etf', minTickers: 1500 },
  IWB: { name: 'iShares Russell 1000 ETF', product: '239707/ishares-russell-1000-etf', minTickers: 800 },
  IWV: { name: 'iShares Russell 3000 ETF', product: '239714/ishares-russell-3000-etf', minTickers: 2500 },
  IJR: {
    name: 'iShares Core S&P Small-Cap ETF',
    product: '239774/ishares-core-sp-smallcap-etf',
    minTickers: 500,
  },
  IJH: {
    name: 'iShares Core S&P Mid-Cap ETF',
    product: '239763/ishares-core-sp-midcap-etf',
    minTickers: 350,
  },
} as const;

/** The fund tickers `fund` accepts. */
export type Fund = keyof typeof ISHARES_FUNDS;
/** The funds by ticker, IWM first (the default). */
export const FUNDS = Object.keys(ISHARES_FUNDS) as Fund[];

/** iShares' live holdings download of a fund (the page's CSV export). */
export function fundHoldingsUrl(fund: Fund): string {
  return (
    `https://www.ishares.com/us/products/${ISHARES_FUNDS[fund].product}/1467271812596.ajax` +
    `?fileType=csv&fileName=${fund}_holdings&dataType=fund`
  );
}

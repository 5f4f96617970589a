/** The sandbox's budget when --rpm is not given: FMP Ultimate's real limit, the plan the sandbox plays. */
export const SANDBOX_DEFAULT_RPM = 3000;

export interface BuiltInSandbox {
  url: string;
  holdingsUrl: string;
  /** Another iShares fund's holdings in the sandbox (`--fund`). */
  fundHoldingsUrl(fund: 'IWM' | 'IWB' | 'IWV' | 'IJR' | 'IJH'): string;
  apiKey: string;
  /** The sandbox's own limit, which the client's budget is set to (0 = none). */
  requestsPerMinute: number;
  stop(): Promise<void>;
}

/**
 * `--sandbox`: the offline FMP on a random loopback port. Loaded lazily so commands that never use it do not
 * pay for the synthetic market.
 */
export async function startBuiltInSandbox(options: { rpm?: number }): Promise<BuiltInSandbox> {
  const { startSandbox } = await import('@smartstock/fmp-sandbox');
  const requestsPerMinute = options.rpm ?? SANDBOX_DEFAULT_RPM;
  const sandbox = await startSandbox({ port: 0, host: '127.0.0.1', rpm: requestsPerMinute });
  return {
    url: sandbox.url,
    holdingsUrl: sandbox.holdingsUrl,
    fundHoldingsUrl: (fund) => sandbox.fundHoldingsUrl(fund),
    apiKey: sandbox.apiKey,
    requestsPerMinute,
    stop: () => sandbox.stop(),
  };
}

import { describe, expect, it } from 'vitest';
import { SandboxCore } from '../src/index.js';
import { AFTER_CLOSE, body, fixture, get, json } from './helpers.js';

interface SymbolChangeRow {
  date: string;
  companyName: string | null;
  oldSymbol: string;
  newSymbol: string;
}

describe('/stable/symbol-change', () => {
  it('lists no renames unless the market is given some', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    const reply = get(core, '/stable/symbol-change');
    expect(body(reply).status).toBe(200);
    expect(json(reply)).toEqual([]);
    expect(core.counters().byEndpoint['symbol-change']).toEqual({ total: 1, byStatus: { '200': 1 } });
  });

  it('serves renames with the keys of the FMP docs sample, newest first, once their date is reached', () => {
    const sample = fixture<SymbolChangeRow[]>('stable_symbol-change__fmp_docs_sample.json');
    const core = new SandboxCore({
      tickers: 10,
      now: AFTER_CLOSE,
      renames: [
        { ...sample[0]! },
        { date: '2026-05-04', oldSymbol: 'old1', newSymbol: 'NEW1', companyName: 'Renamed Inc.' },
        { date: '2026-05-06', oldSymbol: 'LATER', newSymbol: 'FUTR' },
      ],
    });
    const rows = json<SymbolChangeRow[]>(get(core, '/stable/symbol-change'));
    expect(rows).toEqual([
      { date: '2026-05-04', companyName: 'Renamed Inc.', oldSymbol: 'OLD1', newSymbol: 'NEW1' },
      sample[0],
    ]);
    for (const row of rows) expect(Object.keys(row)).toEqual(Object.keys(sample[0]!));
    expect(json(get(core, '/stable/symbol-change', { limit: '1', invalid: 'false' }))).toEqual([rows[0]]);
  });

  it('names the company after the universe listing the new symbol when the rename does not say', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    const listing = core.market.tickers().find((t) => t.knownToFmp)!;
    core.update({ renames: [{ date: '2026-01-05', oldSymbol: 'ZZOLD', newSymbol: listing.fmpSymbol }] });
    expect(json(get(core, '/stable/symbol-change'))).toEqual([
      {
        date: '2026-01-05',
        companyName: listing.companyName,
        oldSymbol: 'ZZOLD',
        newSymbol: listing.fmpSymbol,
      },
    ]);
  });

  it('answers 402 Restricted Endpoint when the endpoint is outside the plan', () => {
    const real = fixture<{ status: number; body_json_variant: unknown }>(
      'errors/402_restricted_endpoint.json',
    );
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE, outsidePlan: ['symbol-change'] });
    const reply = get(core, '/stable/symbol-change');
    expect(body(reply).status).toBe(real.status);
    expect(json(reply)).toEqual(real.body_json_variant);
    core.update({ outsidePlan: [] });
    expect(body(get(core, '/stable/symbol-change')).status).toBe(200);
    expect(core.state().outsidePlan).toEqual([]);
  });

  it('refuses renames without two different symbols and unknown endpoint names', () => {
    expect(
      () => new SandboxCore({ renames: [{ date: '2026-01-05', oldSymbol: 'AAA', newSymbol: 'aaa' }] }),
    ).toThrow(/oldSymbol and newSymbol are both AAA/);
    expect(
      () => new SandboxCore({ renames: [{ date: '2026-13-05', oldSymbol: 'A', newSymbol: 'B' }] }),
    ).toThrow(/renames\[0\]\.date/);
    expect(() => new SandboxCore({ outsidePlan: ['symbol-changes'] })).toThrow(/outsidePlan must be/);
  });

  it('answers a limit that is not a positive integer with 400', () => {
    const core = new SandboxCore({ tickers: 10, now: AFTER_CLOSE });
    expect(body(get(core, '/stable/symbol-change', { limit: '0' })).status).toBe(400);
  });
});

import { backendOf, type Database } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkTicker, type RowContext } from './validate.js';
import type { SymbolChangeRow } from './writers.js';

/** A stored rename, as `readSymbolChanges` returns it. */
export interface StoredSymbolChange extends SymbolChangeRow {
  /** When a run first stored it (UTC). */
  firstSeenAt: Date;
}

/**
 * Stored renames, oldest change first (then by old symbol): all of them, or those whose old or new symbol is one
 * of `symbols`.
 */
export async function readSymbolChanges(
  db: Database,
  options: { symbols?: readonly string[] | undefined } = {},
): Promise<StoredSymbolChange[]> {
  const symbols = options.symbols;
  if (symbols !== undefined) {
    if (!Array.isArray(symbols))
      throw new DatabaseError('INVALID_ROW', 'readSymbolChanges: symbols must be an array');
    for (const [index, s] of symbols.entries())
      checkTicker({ what: 'readSymbolChanges', index } as RowContext, s);
    if (symbols.length === 0) return [];
  }
  const rows = await backendOf(db).query<{
    old_symbol: string;
    new_symbol: string;
    change_date: string;
    company_name: string | null;
    first_seen_at: Date;
  }>(
    `SELECT old_symbol::text AS old_symbol, new_symbol::text AS new_symbol, change_date, company_name,
            first_seen_at
     FROM symbol_changes
     WHERE $1::text[] IS NULL OR old_symbol = ANY ($1::text[]) OR new_symbol = ANY ($1::text[])
     ORDER BY change_date, old_symbol COLLATE "C", new_symbol COLLATE "C"`,
    [symbols === undefined ? null : [...symbols]],
  );
  return rows.map((r) => ({
    oldSymbol: r.old_symbol,
    newSymbol: r.new_symbol,
    date: r.change_date,
    companyName: r.company_name,
    firstSeenAt: r.first_seen_at,
  }));
}

import { backendOf, type Database, type Executor } from './backend.js';
import { DatabaseError } from './errors.js';
import { checkDate, checkTicker, isValidDate, type RowContext } from './validate.js';

/** Empty tries after which a session is confirmed empty: the audit counts it as explained. */
export const CONFIRM_EMPTY_TRIES = 2;
/** An active ticker with no bar for this many of the latest sessions (or more) is stale. */
export const STALE_AFTER_SESSIONS = 3;

/** Consecutive sessions with no bar and not confirmed empty. */
export interface GapRange {
  /** First missing session. */
  from: string;
  /** Last missing session. */
  to: string;
  /** Sessions in the range (market sessions, not calendar days). */
  sessions: number;
}

/** A symbol the ticker traded under before a rename (`symbol_changes`), and the change date. */
export interface RenamedFrom {
  /** The earlier symbol, e.g. NEP. */
  symbol: string;
  /** The first session under the later symbol (FMP's change date): the earlier symbol's bars before it count. */
  until: string;
}

/** One ticker's history against the calendar. */
export interface TickerAudit {
  ticker: string;
  /**
   * Present when the ticker continues renamed symbols (most recent rename first): their bars before each
   * change count as this ticker's, and they are not audited on their own.
   */
  renamedFrom?: RenamedFrom[];
  /** Sessions expected: from its first stored session (or the history start) to the last session. */
  expected: number;
  /** Expected sessions that have a bar. */
  stored: number;
  /** Expected sessions with no bar, confirmed empty (tries >= 2): explained. */
  confirmedEmpty: number;
  /** Expected sessions neither stored nor confirmed empty: the unexplained gaps. */
  missing: number;
  /** The missing sessions, merged into ranges of consecutive sessions, oldest first. */
  gaps: GapRange[];
  /** First and last stored bar in the audited span (the first starts the span without a history start). */
  firstBar: string | null;
  lastBar: string | null;
  /** Sessions after the last bar up to the last session; null when the span holds no bar. */
  sessionsSinceLastBar: number | null;
  /** No bar for the last `staleAfter` sessions or more (or no bar at all). */
  stale: boolean;
}

/**
 * What `auditPriceGaps` found: per ticker the expected sessions with neither a bar nor a confirmed-empty record,
 * and totals for a report.
 */
export interface PriceGapAudit {
  /** First and last session audited. */
  from: string;
  to: string;
  /** Sessions in the audited span. */
  sessions: number;
  /** Every audited ticker, sorted. */
  tickers: TickerAudit[];
  /** Requested tickers that are not in the tickers table (not audited). */
  unknown: string[];
  totals: {
    tickers: number;
    expected: number;
    stored: number;
    confirmedEmpty: number;
    missing: number;
    tickersWithGaps: number;
    stale: number;
  };
}

/**
 * What `auditPriceGaps` audits: the caller's session calendar, which tickers, from when, and when a ticker is
 * stale.
 */
export interface PriceGapAuditOptions {
  /**
   * The exchange's sessions, ascending, ending with the last closed session, from at least the earliest
   * stored date (or `historyStart`). The calendar is the caller's: this package knows no exchange. A bar on
   * another day counts as no session's.
   */
  sessions: readonly string[];
  /** Audit these tickers (active or not); default: every active ticker. */
  tickers?: readonly string[] | undefined;
  /** Expect every session from this date for every ticker; default: from each ticker's first stored bar. */
  historyStart?: string | undefined;
  /** Default STALE_AFTER_SESSIONS. */
  staleAfter?: number | undefined;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dayString = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * The audited sessions and, for every calendar day from the first to the last, how many of them fall on or
 * before it (`ord`): the sessions between two dates are a subtraction, in SQL and here alike.
 */
class Calendar {
  readonly sessions: string[];
  readonly first: string;
  readonly last: string;
  /** ord[k]: sessions on or before the day `first + k`. */
  readonly ord: number[] = [];
  /** Days between first and last that are not sessions (weekends, holidays). */
  readonly offDays: string[];
  readonly #off = new Set<string>();

  constructor(sessions: readonly string[], historyStart: string | null) {
    this.sessions = historyStart === null ? [...sessions] : sessions.filter((d) => d >= historyStart);
    this.first = this.sessions[0] ?? '';
    this.last = this.sessions.at(-1) ?? '';
    const isSession = new Set(this.sessions);
    for (let day = dayNumber(this.first), n = 0; day <= dayNumber(this.last); day++) {
      const date = dayString(day);
      if (isSession.has(date)) n++;
      else this.#off.add(date);
      this.ord.push(n);
    }
    this.offDays = [...this.#off];
  }

  isSession(date: string): boolean {
    return date >= this.first && date <= this.last && !this.#off.has(date);
  }

  get size(): number {
    return this.sessions.length;
  }

  /** Sessions on or before `date` (0 before the first, all after the last). */
  ordOf(date: string): number {
    const k = dayNumber(date) - dayNumber(this.first);
    return k < 0 ? 0 : k >= this.ord.length ? this.size : this.ord[k]!;
  }

  /** Sessions strictly before `date`. */
  ordBefore(date: string): number {
    return this.ordOf(dayString(dayNumber(date) - 1));
  }

  /** The sessions numbered a..b (1-based, as ordOf counts them) as a range. */
  range(a: number, b: number): GapRange {
    return { from: this.sessions[a - 1]!, to: this.sessions[b - 1]!, sessions: b - a + 1 };
  }
}

interface CountRow {
  ticker: string;
  known: boolean;
  /** Bars in the span, on any day; `off` of them on days that are no session. */
  bars: number;
  off: number;
  first_date: string | null;
  last_date: string | null;
}

/**
 * Step 1, set-based over every audited ticker: its bars in the span (count, first, last; an aggregate over
 * the rows, no join) and those on days that are no session (an index probe per such day). `$1`/`$2`: the
 * span; `$3`: its off days; `$4`: the requested tickers, or NULL for the active universe.
 */
const COUNTS_SQL = `WITH audited AS (
    SELECT ticker::text AS ticker, true AS known FROM tickers WHERE $4::text[] IS NULL AND active
    UNION ALL
    SELECT r.ticker, EXISTS (SELECT 1 FROM tickers t WHERE t.ticker = r.ticker)
    FROM unnest($4::text[]) AS r(ticker)
  ),
  bars AS (
    SELECT p.ticker::text AS ticker, count(*)::int AS n, min(p.date) AS first_date, max(p.date) AS last_date
    FROM stock_prices p
    WHERE p.ticker IN (SELECT ticker FROM audited) AND p.date BETWEEN $1::date AND $2::date
    GROUP BY p.ticker
  ),
  off AS (
    SELECT p.ticker::text AS ticker, count(*)::int AS n FROM stock_prices p
    WHERE p.date = ANY ($3::date[]) AND p.ticker IN (SELECT ticker FROM audited)
    GROUP BY p.ticker
  )
  SELECT a.ticker, a.known, COALESCE(b.n, 0) AS bars, COALESCE(o.n, 0) AS off, b.first_date, b.last_date
  FROM audited a LEFT JOIN bars b ON b.ticker = a.ticker LEFT JOIN off o ON o.ticker = a.ticker
  ORDER BY a.ticker COLLATE "C"`;

/** Confirmed-empty sessions in the span that have no bar, for the audited tickers (a small table). */
const EMPTIES_SQL = `SELECT e.ticker::text AS ticker, e.date FROM confirmed_empty_sessions e
  WHERE e.tries >= ${CONFIRM_EMPTY_TRIES} AND e.date BETWEEN $1::date AND $2::date
    AND e.ticker IN (SELECT ticker FROM tickers WHERE $3::text[] IS NULL AND active
                     UNION ALL SELECT unnest($3::text[]))
    AND NOT EXISTS (SELECT 1 FROM stock_prices p WHERE p.ticker = e.ticker AND p.date = e.date)`;

/**
 * Step 2, only for tickers whose counts differ: each pair of neighbouring bars with a session between them,
 * found in the key's order (ticker, date) with no sort and no join. `$3`: ord (sessions on or before each day
 * from `$1`), so the sessions strictly between two bars are ord[day before] - ord[earlier bar].
 */
const STEPS_SQL = `WITH steps AS (
    SELECT p.ticker::text AS ticker, p.date, lag(p.date) OVER (PARTITION BY p.ticker ORDER BY p.date) AS prev
    FROM stock_prices p WHERE p.ticker = ANY ($4::text[]) AND p.date BETWEEN $1::date AND $2::date
  )
  SELECT ticker, ($3::int[])[prev - $1::date + 1] + 1 AS a, ($3::int[])[date - $1::date] AS b FROM steps
  WHERE prev IS NOT NULL AND ($3::int[])[date - $1::date] > ($3::int[])[prev - $1::date + 1]
  ORDER BY ticker COLLATE "C", date`;

/**
 * Every earlier symbol of each audited ticker, following renames back (A -> B -> C gives C both B and A), with the
 * date up to which its bars count (the earliest change on the way). One recursive statement for all tickers.
 * `$1`: the requested tickers, or NULL for the active universe.
 */
const LINKS_SQL = `WITH RECURSIVE audited AS (
    SELECT ticker::text AS ticker FROM tickers WHERE $1::text[] IS NULL AND active
    UNION SELECT unnest($1::text[])
  ),
  chain (ticker, source, until, changed, depth) AS (
    SELECT a.ticker, c.old_symbol::text, c.change_date, c.change_date, 1
    FROM audited a JOIN symbol_changes c ON c.new_symbol = a.ticker
    WHERE c.old_symbol <> a.ticker
    UNION ALL
    SELECT ch.ticker, c.old_symbol::text, LEAST(ch.until, c.change_date), c.change_date, ch.depth + 1
    FROM chain ch JOIN symbol_changes c ON c.new_symbol = ch.source AND c.change_date <= ch.until
    WHERE ch.depth < 8 AND c.old_symbol <> ch.ticker
  )
  SELECT ticker, source, max(until) AS until, max(changed) AS changed FROM chain
  GROUP BY ticker, source
  ORDER BY ticker COLLATE "C", max(changed) DESC, source COLLATE "C"`;

/** An audited ticker's earlier symbol and the date before which that symbol's bars count for it. */
interface Link {
  ticker: string;
  source: string;
  until: string;
  changed: string;
}

/**
 * The merged history of renamed tickers: the bars of the ticker itself and of its earlier symbols before their
 * change date, one per date (the same session under both symbols counts once). `$k`..`$k+2`: the links as
 * arrays (ticker, source symbol, until; a NULL until for the ticker itself); `$1`/`$2`: the span.
 */
const mergedSql = (k: number) => `SELECT DISTINCT l.ticker, p.date
    FROM unnest($${k}::text[], $${k + 1}::text[], $${k + 2}::date[]) AS l(ticker, source, until)
    JOIN stock_prices p ON p.ticker = l.source
    WHERE p.date BETWEEN $1::date AND $2::date AND (l.until IS NULL OR p.date < l.until)`;

/** Step 1 for renamed tickers: COUNTS_SQL's columns over the merged history. `$3`: off days. */
const RENAMED_COUNTS_SQL = `WITH merged AS (${mergedSql(4)})
  SELECT m.ticker, true AS known, count(*)::int AS bars,
         (count(*) FILTER (WHERE m.date = ANY ($3::date[])))::int AS off,
         min(m.date) AS first_date, max(m.date) AS last_date
  FROM merged m GROUP BY m.ticker`;

/** Step 2 for renamed tickers: STEPS_SQL over the merged history. `$3`: ord; `$4`: the tickers to walk. */
const RENAMED_STEPS_SQL = `WITH merged AS (${mergedSql(5)}),
  steps AS (
    SELECT m.ticker, m.date, lag(m.date) OVER (PARTITION BY m.ticker ORDER BY m.date) AS prev
    FROM merged m WHERE m.ticker = ANY ($4::text[])
  )
  SELECT ticker, ($3::int[])[prev - $1::date + 1] + 1 AS a, ($3::int[])[date - $1::date] AS b FROM steps
  WHERE prev IS NOT NULL AND ($3::int[])[date - $1::date] > ($3::int[])[prev - $1::date + 1]
  ORDER BY ticker COLLATE "C", date`;

/**
 * Confirmed-empty sessions of renamed tickers: the ticker's own and its earlier symbols' before the change
 * date, without the sessions the merged history has a bar for.
 */
const RENAMED_EMPTIES_SQL = `WITH merged AS (${mergedSql(3)})
  SELECT DISTINCT l.ticker, e.date
  FROM unnest($3::text[], $4::text[], $5::date[]) AS l(ticker, source, until)
  JOIN confirmed_empty_sessions e ON e.ticker = l.source AND (l.until IS NULL OR e.date < l.until)
  WHERE e.tries >= ${CONFIRM_EMPTY_TRIES} AND e.date BETWEEN $1::date AND $2::date
    AND NOT EXISTS (SELECT 1 FROM merged m WHERE m.ticker = l.ticker AND m.date = e.date)`;

/** The audited tickers' earlier symbols; none when the database predates `symbol_changes`. */
async function renameLinks(ex: Pick<Executor, 'query'>, tickers: readonly string[] | null): Promise<Link[]> {
  const [present] = await ex.query<{ ok: boolean }>(`SELECT to_regclass('symbol_changes') IS NOT NULL AS ok`);
  if (present?.ok !== true) return [];
  return ex.query<Link>(LINKS_SQL, [tickers]);
}

/** The links as MERGED_SQL's arrays: each renamed ticker once with itself (no until), then its sources. */
function linkArrays(links: readonly Link[]): [string[], string[], (string | null)[]] {
  const renamed = [...new Set(links.map((l) => l.ticker))];
  return [
    [...renamed, ...links.map((l) => l.ticker)],
    [...renamed, ...links.map((l) => l.source)],
    [...renamed.map(() => null), ...links.map((l) => l.until)],
  ];
}

interface Checked {
  sessions: string[];
  tickers: string[] | null;
  historyStart: string | null;
  staleAfter: number;
}

function checkSessions(sessions: readonly string[]): string[] {
  if (!Array.isArray(sessions)) {
    throw new DatabaseError('INVALID_ROW', 'auditPriceGaps: sessions must be an array of YYYY-MM-DD dates');
  }
  sessions.forEach((date, i) => {
    if (!isValidDate(date) || (i > 0 && date <= sessions[i - 1]!)) {
      throw new DatabaseError(
        'INVALID_ROW',
        `auditPriceGaps: sessions[${i}] is ${JSON.stringify(date)}; sessions must be YYYY-MM-DD dates in ` +
          'ascending order without repeats (build them from the exchange calendar)',
      );
    }
  });
  return [...sessions];
}

function checkOptions(options: PriceGapAuditOptions): Checked {
  const context: RowContext = { what: 'auditPriceGaps', index: 0 };
  const staleAfter = options.staleAfter ?? STALE_AFTER_SESSIONS;
  if (!Number.isSafeInteger(staleAfter) || staleAfter < 1) {
    throw new DatabaseError(
      'INVALID_ROW',
      `auditPriceGaps: staleAfter must be a whole number of sessions >= 1 (got ${staleAfter})`,
    );
  }
  return {
    sessions: checkSessions(options.sessions),
    tickers: options.tickers
      ? [...new Set(options.tickers.map((t, index) => checkTicker({ ...context, index }, t)))]
      : null,
    historyStart:
      options.historyStart === undefined ? null : checkDate(context, 'historyStart', options.historyStart),
    staleAfter,
  };
}

/** Session numbers (ordOf) of each ticker's confirmed-empty sessions in the span. */
async function emptiesByTicker(
  tx: Executor,
  cal: Calendar,
  tickers: string[] | null,
  links: readonly Link[],
) {
  const out = new Map<string, number[]>();
  const [present] = await tx.query<{ ok: boolean }>(
    `SELECT to_regclass('confirmed_empty_sessions') IS NOT NULL AS ok`,
  );
  if (present?.ok !== true) return out;
  const renamed = new Set(links.map((l) => l.ticker));
  const rows = (
    await tx.query<{ ticker: string; date: string }>(EMPTIES_SQL, [cal.first, cal.last, tickers])
  ).filter((row) => !renamed.has(row.ticker));
  if (links.length > 0) {
    rows.push(
      ...(await tx.query<{ ticker: string; date: string }>(RENAMED_EMPTIES_SQL, [
        cal.first,
        cal.last,
        ...linkArrays(links),
      ])),
    );
  }
  for (const { ticker, date } of rows) {
    if (!cal.isSession(date)) continue;
    out.set(ticker, [...(out.get(ticker) ?? []), cal.ordOf(date)]);
  }
  return out;
}

/** The ticker's counts against the sessions it should have; `start` is its first expected session number. */
function tickerAudit(row: CountRow, cal: Calendar, empties: readonly number[], options: Checked) {
  const start = options.historyStart !== null ? 1 : row.first_date ? cal.ordBefore(row.first_date) + 1 : null;
  const expected = start === null ? 0 : Math.max(0, cal.size - start + 1);
  const confirmedEmpty = start === null ? 0 : empties.filter((n) => n >= start).length;
  const stored = row.bars - row.off;
  const since = row.last_date === null ? null : cal.size - cal.ordOf(row.last_date);
  const audit: TickerAudit = {
    ticker: row.ticker,
    expected,
    stored,
    confirmedEmpty,
    missing: expected - stored - confirmedEmpty,
    gaps: [],
    firstBar: row.first_date,
    lastBar: row.last_date,
    sessionsSinceLastBar: since,
    stale: since === null || since >= options.staleAfter,
  };
  return { start: start ?? 1, row, audit };
}

/** Session-number ranges [a, b] minus the confirmed-empty ones, as dates. */
function withoutEmpties(spans: [number, number][], empties: readonly number[], cal: Calendar): GapRange[] {
  const skip = new Set(empties);
  const out: GapRange[] = [];
  for (const [a, b] of spans) {
    let from = a;
    for (let n = a; n <= b + 1; n++) {
      if (n <= b && !skip.has(n)) continue;
      if (n > from) out.push(cal.range(from, n - 1));
      from = n + 1;
    }
  }
  return out;
}

/** Gaps before the first bar (with a history start), between neighbouring bars, and after the last bar. */
async function gapRanges(
  tx: Executor,
  cal: Calendar,
  differing: ReturnType<typeof tickerAudit>[],
  links: readonly Link[],
): Promise<Map<string, [number, number][]>> {
  const spans = new Map<string, [number, number][]>(differing.map((d) => [d.row.ticker, []]));
  if (differing.length === 0) return spans;
  for (const d of differing) {
    const before = d.row.first_date ? cal.ordBefore(d.row.first_date) : cal.size;
    if (before >= d.start) spans.get(d.row.ticker)!.push([d.start, before]);
  }
  const renamed = new Set(links.map((l) => l.ticker));
  const plain = differing.filter((d) => !renamed.has(d.row.ticker)).map((d) => d.row.ticker);
  const merged = differing.filter((d) => renamed.has(d.row.ticker)).map((d) => d.row.ticker);
  const steps =
    plain.length === 0
      ? []
      : await tx.query<{ ticker: string; a: number; b: number }>(STEPS_SQL, [
          cal.first,
          cal.last,
          cal.ord,
          plain,
        ]);
  if (merged.length > 0) {
    steps.push(
      ...(await tx.query<{ ticker: string; a: number; b: number }>(RENAMED_STEPS_SQL, [
        cal.first,
        cal.last,
        cal.ord,
        merged,
        ...linkArrays(links),
      ])),
    );
  }
  for (const { ticker, a, b } of steps) spans.get(ticker)!.push([a, b]);
  for (const d of differing) {
    const after = d.row.last_date ? cal.ordOf(d.row.last_date) + 1 : cal.size + 1;
    if (d.row.last_date && after <= cal.size) spans.get(d.row.ticker)!.push([after, cal.size]);
  }
  return spans;
}

function totalsOf(tickers: readonly TickerAudit[]): PriceGapAudit['totals'] {
  const sum = (f: (t: TickerAudit) => number) => tickers.reduce((n, t) => n + f(t), 0);
  return {
    tickers: tickers.length,
    expected: sum((t) => t.expected),
    stored: sum((t) => t.stored),
    confirmedEmpty: sum((t) => t.confirmedEmpty),
    missing: sum((t) => t.missing),
    tickersWithGaps: sum((t) => (t.missing > 0 ? 1 : 0)),
    stale: sum((t) => (t.stale ? 1 : 0)),
  };
}

/**
 * Compares stored bars with the exchange's sessions, for every active ticker (or the tickers given): the
 * sessions from its first stored bar (or `historyStart`) to the last session given should each have a bar in
 * stock_prices or be confirmed empty (`recordEmptyTries`, tries >= 2); those that are neither are gaps.
 *
 * Set-based, in one read-only snapshot: one statement counts every ticker's bars in the span (an aggregate, no
 * join) and the count is compared with the sessions expected; only tickers whose counts differ get a second
 * statement that finds the missing sessions as ranges (neighbouring bars with sessions between them, in key
 * order; never a probe per session). A database migrated before `confirmed_empty_sessions` existed is audited
 * as having none.
 *
 * Renames (`symbol_changes`, old -> new): a ticker that continues earlier symbols is audited as one company. Its
 * history is its own bars plus each earlier symbol's bars before the change date (one per session), so the
 * expected span starts at the earliest symbol's first bar and the change leaves no gap; it carries
 * `renamedFrom`, and an earlier symbol audited too is folded into it (reported once). The renamed tickers get
 * one more statement per step, over all of them at once.
 */
export async function auditPriceGaps(db: Database, options: PriceGapAuditOptions): Promise<PriceGapAudit> {
  const checked = checkOptions(options);
  const cal = new Calendar(checked.sessions, checked.historyStart);
  if (cal.size === 0) {
    const why =
      checked.historyStart === null
        ? 'sessions is empty; pass the exchange sessions up to the last closed one'
        : `the history start ${checked.historyStart} is after the last session given ` +
          `(${checked.sessions.at(-1) ?? 'none'}); pass an earlier history start`;
    throw new DatabaseError('INVALID_ROW', `auditPriceGaps: no session to audit: ${why}`);
  }
  return backendOf(db).transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const counted = await tx.query<CountRow>(COUNTS_SQL, [cal.first, cal.last, cal.offDays, checked.tickers]);
    // Renamed tickers: their counts over the merged history replace their own; an earlier symbol that is
    // audited too is folded into its successor (shown once).
    const known = new Set(counted.filter((row) => row.known).map((row) => row.ticker));
    const links = (await renameLinks(tx, checked.tickers)).filter((l) => known.has(l.ticker));
    const folded = new Set(links.map((l) => l.source));
    const merged = new Map<string, CountRow>();
    if (links.length > 0) {
      const rows = await tx.query<CountRow>(RENAMED_COUNTS_SQL, [
        cal.first,
        cal.last,
        cal.offDays,
        ...linkArrays(links),
      ]);
      for (const row of rows) merged.set(row.ticker, row);
    }
    const empties = await emptiesByTicker(tx, cal, checked.tickers, links);
    const audits = counted
      .filter((row) => row.known && !folded.has(row.ticker))
      .map((row) => tickerAudit(merged.get(row.ticker) ?? row, cal, empties.get(row.ticker) ?? [], checked));
    const differing = audits.filter((a) => a.audit.missing !== 0);
    const spans = await gapRanges(tx, cal, differing, links);
    const tickers = audits.map(({ audit }) => {
      const renamedFrom = links
        .filter((l) => l.ticker === audit.ticker)
        .map((l): RenamedFrom => ({ symbol: l.source, until: l.changed }));
      return {
        ...audit,
        ...(renamedFrom.length > 0 ? { renamedFrom } : {}),
        gaps: withoutEmpties(spans.get(audit.ticker) ?? [], empties.get(audit.ticker) ?? [], cal),
      };
    });
    return {
      from: cal.first,
      to: cal.last,
      sessions: cal.size,
      tickers,
      unknown: counted.filter((row) => !row.known).map((row) => row.ticker),
      totals: totalsOf(tickers),
    };
  });
}

/**
 * The earliest stored bar's date among the active tickers (or the tickers given), their earlier symbols' bars
 * before a rename included, or null when none has a bar: where a caller's session list for `auditPriceGaps`
 * must start. Walks the date index from the oldest
 * row, so it costs a few rows, not a scan.
 */
export async function getFirstPriceDate(
  db: Database,
  options: { tickers?: readonly string[] | undefined } = {},
): Promise<string | null> {
  const tickers =
    options.tickers?.map((t, index) => checkTicker({ what: 'getFirstPriceDate', index }, t)) ?? null;
  const backend = backendOf(db);
  const links = await renameLinks(backend, tickers);
  const [row] = await backend.query<{ date: string }>(
    `SELECT p.date FROM stock_prices p
     WHERE CASE WHEN $1::text[] IS NULL
                THEN EXISTS (SELECT 1 FROM tickers t WHERE t.ticker = p.ticker AND t.active)
                ELSE p.ticker = ANY ($1::text[]) END
        OR EXISTS (SELECT 1 FROM unnest($2::text[], $3::date[]) AS l(source, until)
                   WHERE l.source = p.ticker AND p.date < l.until)
     ORDER BY p.date LIMIT 1`,
    [tickers, links.map((l) => l.source), links.map((l) => l.until)],
  );
  return row?.date ?? null;
}

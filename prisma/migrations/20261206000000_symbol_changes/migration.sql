-- smartstock: symbol_changes and sync_state (issue 13, part 3). FMP's /stable/symbol-change is read once a
-- night; a rename touching the universe (old or new symbol in tickers) is kept here, one row per
-- (old symbol, new symbol, change date), so the gap audit can treat XIFR (was NEP until 2025-02-03) as one
-- company. sync_state is a small key-value table for what a run must remember for later nights (today: that
-- the FMP plan refused /stable/symbol-change, so it is not asked again every night).
-- Additive only: two new tables, nothing else is touched.
-- Hand-written like the first migration; kept equal to schema.prisma by a test.

CREATE TABLE IF NOT EXISTS "symbol_changes" (
    "old_symbol" VARCHAR(20) NOT NULL,
    "new_symbol" VARCHAR(20) NOT NULL,
    "change_date" DATE NOT NULL,
    "company_name" TEXT,
    "first_seen_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "symbol_changes_pkey" PRIMARY KEY ("old_symbol", "new_symbol", "change_date")
);

CREATE INDEX IF NOT EXISTS "idx_symbol_changes_new_symbol" ON "symbol_changes"("new_symbol");

CREATE TABLE IF NOT EXISTS "sync_state" (
    "key" VARCHAR(100) NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_state_pkey" PRIMARY KEY ("key")
);

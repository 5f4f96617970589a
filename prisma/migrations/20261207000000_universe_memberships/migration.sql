-- smartstock: universe_memberships and tickers.history_start (issue 13, part 3: universe changes).
-- universe_memberships keeps the universe as a history: one row per (fund, ticker, joined_on) interval, a
-- member from joined_on (inclusive) until left_on (exclusive; NULL while it is still a member). A ticker that
-- leaves and rejoins has two rows, and "who was a member of the fund on date D" is one query. tickers keeps
-- its meaning (today's universe, leavers inactive).
-- tickers.history_start is where a ticker's history is known to start: the earliest bar FMP returned when the
-- repair task backfilled a new member to historyFrom (or the first stored bar when FMP had nothing earlier),
-- so that range is not requested again. NULL: not known yet.
-- Additive only: one new table, one new nullable column.
-- Hand-written like the first migration; kept equal to schema.prisma by a test.

CREATE TABLE IF NOT EXISTS "universe_memberships" (
    "fund" VARCHAR(20) NOT NULL,
    "ticker" VARCHAR(20) NOT NULL,
    "joined_on" DATE NOT NULL,
    "left_on" DATE,

    CONSTRAINT "universe_memberships_pkey" PRIMARY KEY ("fund", "ticker", "joined_on")
);

CREATE INDEX IF NOT EXISTS "idx_universe_memberships_fund_joined_on" ON "universe_memberships"("fund", "joined_on");

ALTER TABLE "tickers" ADD COLUMN IF NOT EXISTS "history_start" DATE;

-- smartstock: confirmed_empty_sessions (issue 13, part 1). A session for which FMP returned no bar for a ticker
-- (a halt, a suspension) is recorded here on each try; from the second try (tries >= 2) it is confirmed empty:
-- the gap audit counts it as explained, and the repair does not request it again. Additive only: a new table.
-- Hand-written like the first migration; kept equal to schema.prisma by a test.

CREATE TABLE IF NOT EXISTS "confirmed_empty_sessions" (
    "ticker" VARCHAR(20) NOT NULL,
    "date" DATE NOT NULL,
    "tries" INTEGER NOT NULL,
    "last_tried_at" TIMESTAMP(6) NOT NULL,
    "confirmed_at" TIMESTAMP(6),

    CONSTRAINT "confirmed_empty_sessions_pkey" PRIMARY KEY ("ticker", "date")
);

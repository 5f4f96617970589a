-- smartstock: dcf_history (issue 13, part 5). dcf_valuations stays one row per ticker (the latest value);
-- this table keeps every distinct (ticker, valuation date) value as it arrives, so a user can chart how
-- FMP's DCF moved. Additive only: a new table, nothing else is touched. History starts with the first DCF
-- run after this migration (the DCF writer fills both tables in one transaction).
-- Hand-written like the first migration; kept equal to schema.prisma by a test.

CREATE TABLE IF NOT EXISTS "dcf_history" (
    "ticker" VARCHAR(20) NOT NULL,
    "valuation_date" DATE NOT NULL,
    "dcf" DOUBLE PRECISION NOT NULL,
    "stock_price" DOUBLE PRECISION,
    "source" VARCHAR(32),
    "created_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dcf_history_pkey" PRIMARY KEY ("ticker", "valuation_date")
);

-- A dcf_history table that existed before (made by hand or by another tool) is adopted only when it has the
-- columns and the key the writer needs; otherwise nothing changes and the error says what is missing.
DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(req.c, ', ' ORDER BY req.c) INTO missing
  FROM (VALUES ('ticker'), ('valuation_date'), ('dcf'), ('stock_price'), ('source'), ('updated_at')) AS req(c)
  WHERE NOT EXISTS (
    SELECT 1 FROM information_schema.columns ic
    WHERE ic.table_schema = current_schema() AND ic.table_name = 'dcf_history' AND ic.column_name = req.c
  );
  IF missing IS NULL AND NOT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = 'dcf_history'::regclass AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 2
      AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
           WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY['ticker', 'valuation_date']
  ) THEN
    missing := 'a unique key on (ticker, valuation_date)';
  END IF;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt the existing table dcf_history: it lacks %s', missing),
      HINT = 'Rename the existing table (ALTER TABLE dcf_history RENAME TO dcf_history_old), then run migrate '
        || 'again: a new dcf_history is created.';
  END IF;
END $$;

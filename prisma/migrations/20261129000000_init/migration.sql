-- smartstock: the first migration. It builds an empty database AND adopts the one the user's Python system
-- already writes (sync_logs with the guide's DDL; stock_prices and dcf_valuations with columns we cannot
-- see). Adoption rules: create what is missing, add missing columns and the keys our upserts need, never
-- drop, rename or retype a column, never rewrite a row. Where adoption is impossible, a DO block raises
-- SQLSTATE 'SSA01' naming the table, the problem and a query that lists the offending rows; the migrator
-- runs this file in one transaction, so nothing changes.
-- Hand-written (prisma migrate cannot run here); it is kept equal to schema.prisma by a test.

-- 1. Tables that already exist must at least have the columns their keys and our code depend on.
DO $$
DECLARE
  missing text;
BEGIN
  SELECT string_agg(format('%I.%I', req.t, req.c), ', ' ORDER BY req.t, req.c) INTO missing
  FROM (VALUES
    ('sync_logs', 'id'), ('sync_logs', 'task_name'), ('sync_logs', 'status'),
    ('stock_prices', 'ticker'), ('stock_prices', 'date'),
    ('dcf_valuations', 'ticker'),
    ('tickers', 'ticker'), ('tickers', 'first_seen'), ('tickers', 'last_seen'),
    ('price_backfill_windows', 'ticker'), ('price_backfill_windows', 'window_from'),
    ('price_backfill_windows', 'window_to'), ('price_backfill_windows', 'rows')
  ) AS req(t, c)
  WHERE to_regclass(quote_ident(req.t)) IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM information_schema.columns ic
      WHERE ic.table_schema = current_schema() AND ic.table_name = req.t AND ic.column_name = req.c
    );
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt the existing database: required columns are missing: %s', missing),
      HINT = 'Inspect the table with: SELECT column_name, data_type FROM information_schema.columns '
        || 'WHERE table_schema = current_schema() AND table_name = ''<table>'' ORDER BY ordinal_position;';
  END IF;
END $$;

-- 2. sync_logs: exactly the user's DDL and indexes.
CREATE TABLE IF NOT EXISTS "sync_logs" (
    "id" SERIAL NOT NULL,
    "task_name" VARCHAR(100) NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "rows_updated" INTEGER DEFAULT 0,
    "error_message" TEXT,
    "started_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(6),
    "duration_seconds" DOUBLE PRECISION,
    "metadata" JSONB,

    CONSTRAINT "sync_logs_pkey" PRIMARY KEY ("id")
);
ALTER TABLE "sync_logs"
    ADD COLUMN IF NOT EXISTS "rows_updated" INTEGER DEFAULT 0,
    ADD COLUMN IF NOT EXISTS "error_message" TEXT,
    ADD COLUMN IF NOT EXISTS "started_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN IF NOT EXISTS "completed_at" TIMESTAMP(6),
    ADD COLUMN IF NOT EXISTS "duration_seconds" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "metadata" JSONB;
CREATE INDEX IF NOT EXISTS "idx_sync_logs_task_name" ON "sync_logs"("task_name");
CREATE INDEX IF NOT EXISTS "idx_sync_logs_completed_at" ON "sync_logs"("completed_at" DESC);

-- 3. stock_prices: one row per (ticker, date).
CREATE TABLE IF NOT EXISTS "stock_prices" (
    "ticker" VARCHAR(20) NOT NULL,
    "date" DATE NOT NULL,
    "open" DOUBLE PRECISION,
    "high" DOUBLE PRECISION,
    "low" DOUBLE PRECISION,
    "close" DOUBLE PRECISION,
    "volume" BIGINT,
    "vwap" DOUBLE PRECISION,
    "change" DOUBLE PRECISION,
    "change_percent" DOUBLE PRECISION,
    "source" VARCHAR(32),
    "created_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_prices_pkey" PRIMARY KEY ("ticker", "date")
);
-- A non-volatile default (CURRENT_TIMESTAMP is evaluated once) adds a column without rewriting the table.
ALTER TABLE "stock_prices"
    ADD COLUMN IF NOT EXISTS "open" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "high" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "low" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "close" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "volume" BIGINT,
    ADD COLUMN IF NOT EXISTS "vwap" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "change" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "change_percent" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "source" VARCHAR(32),
    ADD COLUMN IF NOT EXISTS "created_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN IF NOT EXISTS "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- The upsert needs a unique key on exactly (ticker, date). A legacy table without a primary key gets ours;
-- one whose primary key is something else (say a serial id) keeps it and gets a unique index instead.
DO $$
DECLARE
  has_key boolean;
  has_pkey boolean;
  bad bigint;
BEGIN
  SELECT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = 'stock_prices'::regclass AND i.indisunique AND i.indpred IS NULL
      AND i.indexprs IS NULL AND i.indnkeyatts = 2
      AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a
           WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY['date', 'ticker']
  ) INTO has_key;
  IF has_key THEN
    RETURN;
  END IF;

  SELECT count(*) INTO bad FROM (
    SELECT 1 FROM stock_prices GROUP BY ticker, date HAVING count(*) > 1
  ) d;
  IF bad > 0 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt table stock_prices: %s (ticker, date) pairs have more than one row, so the '
        || 'key (ticker, date) cannot be added. List them with: SELECT ticker, date, count(*) FROM stock_prices '
        || 'GROUP BY ticker, date HAVING count(*) > 1 ORDER BY ticker, date;', bad),
      HINT = 'Remove the duplicate rows (keep one per ticker and date), then run migrate again.';
  END IF;

  SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = 'stock_prices'::regclass AND indisprimary)
    INTO has_pkey;
  IF has_pkey THEN
    CREATE UNIQUE INDEX "stock_prices_ticker_date_key" ON "stock_prices"("ticker", "date");
    RETURN;
  END IF;

  SELECT count(*) INTO bad FROM stock_prices WHERE ticker IS NULL OR date IS NULL;
  IF bad > 0 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt table stock_prices: %s rows have no ticker or no date, so the primary key '
        || '(ticker, date) cannot be added. List them with: SELECT * FROM stock_prices '
        || 'WHERE ticker IS NULL OR date IS NULL;', bad),
      HINT = 'Delete or complete those rows, then run migrate again.';
  END IF;
  ALTER TABLE "stock_prices" ADD CONSTRAINT "stock_prices_pkey" PRIMARY KEY ("ticker", "date");
END $$;
CREATE INDEX IF NOT EXISTS "idx_stock_prices_date" ON "stock_prices"("date");

-- 4. dcf_valuations: one row per ticker.
CREATE TABLE IF NOT EXISTS "dcf_valuations" (
    "ticker" VARCHAR(20) NOT NULL,
    "valuation_date" DATE,
    "dcf" DOUBLE PRECISION,
    "stock_price" DOUBLE PRECISION,
    "source" VARCHAR(32),
    "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "dcf_valuations_pkey" PRIMARY KEY ("ticker")
);
ALTER TABLE "dcf_valuations"
    ADD COLUMN IF NOT EXISTS "valuation_date" DATE,
    ADD COLUMN IF NOT EXISTS "dcf" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "stock_price" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "source" VARCHAR(32),
    ADD COLUMN IF NOT EXISTS "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP;

DO $$
DECLARE
  has_key boolean;
  has_pkey boolean;
  bad bigint;
BEGIN
  SELECT EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indrelid = 'dcf_valuations'::regclass AND i.indisunique AND i.indpred IS NULL
      AND i.indexprs IS NULL AND i.indnkeyatts = 1
      AND (SELECT array_agg(a.attname::text) FROM pg_attribute a
           WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)) = ARRAY['ticker']
  ) INTO has_key;
  IF has_key THEN
    RETURN;
  END IF;

  SELECT count(*) INTO bad FROM (SELECT 1 FROM dcf_valuations GROUP BY ticker HAVING count(*) > 1) d;
  IF bad > 0 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt table dcf_valuations: %s tickers have more than one row, so the key '
        || '(ticker) cannot be added. List them with: SELECT ticker, count(*) FROM dcf_valuations '
        || 'GROUP BY ticker HAVING count(*) > 1 ORDER BY ticker;', bad),
      HINT = 'Keep one row per ticker, then run migrate again.';
  END IF;

  SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = 'dcf_valuations'::regclass AND indisprimary)
    INTO has_pkey;
  IF has_pkey THEN
    CREATE UNIQUE INDEX "dcf_valuations_ticker_key" ON "dcf_valuations"("ticker");
    RETURN;
  END IF;

  SELECT count(*) INTO bad FROM dcf_valuations WHERE ticker IS NULL;
  IF bad > 0 THEN
    RAISE EXCEPTION USING
      ERRCODE = 'SSA01',
      MESSAGE = format('cannot adopt table dcf_valuations: %s rows have no ticker, so the primary key (ticker) '
        || 'cannot be added. List them with: SELECT * FROM dcf_valuations WHERE ticker IS NULL;', bad),
      HINT = 'Delete or complete those rows, then run migrate again.';
  END IF;
  ALTER TABLE "dcf_valuations" ADD CONSTRAINT "dcf_valuations_pkey" PRIMARY KEY ("ticker");
END $$;

-- 5. tickers: the universe; rows are never deleted, a ticker that left is marked inactive.
CREATE TABLE IF NOT EXISTS "tickers" (
    "ticker" VARCHAR(20) NOT NULL,
    "name" TEXT,
    "sector" TEXT,
    "exchange" TEXT,
    "weight" DOUBLE PRECISION,
    "as_of_date" DATE,
    "first_seen" DATE NOT NULL,
    "last_seen" DATE NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "tickers_pkey" PRIMARY KEY ("ticker")
);
ALTER TABLE "tickers"
    ADD COLUMN IF NOT EXISTS "name" TEXT,
    ADD COLUMN IF NOT EXISTS "sector" TEXT,
    ADD COLUMN IF NOT EXISTS "exchange" TEXT,
    ADD COLUMN IF NOT EXISTS "weight" DOUBLE PRECISION,
    ADD COLUMN IF NOT EXISTS "as_of_date" DATE,
    ADD COLUMN IF NOT EXISTS "active" BOOLEAN NOT NULL DEFAULT true;
CREATE INDEX IF NOT EXISTS "idx_tickers_active" ON "tickers"("active");

-- 6. price_backfill_windows: history windows recorded complete, so a backfill rerun skips them.
CREATE TABLE IF NOT EXISTS "price_backfill_windows" (
    "ticker" VARCHAR(20) NOT NULL,
    "window_from" DATE NOT NULL,
    "window_to" DATE NOT NULL,
    "rows" INTEGER NOT NULL,
    "completed_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "price_backfill_windows_pkey" PRIMARY KEY ("ticker", "window_from", "window_to")
);

-- 7. latest_sync_status: the latest row per task, as the user's monitoring query, except that a run still
-- in progress (completed_at NULL) sorts after every finished run (NULLS LAST; the plain DESC of the user's
-- query puts NULLs first, so one crashed run would hide every later result). A task that has never finished
-- shows its running row. Ties fall to the later start, then the higher id.
CREATE OR REPLACE VIEW "latest_sync_status" AS
SELECT DISTINCT ON (task_name)
    id, task_name, status, rows_updated, error_message, started_at, completed_at, duration_seconds, metadata
FROM sync_logs
ORDER BY task_name, completed_at DESC NULLS LAST, started_at DESC NULLS LAST, id DESC;

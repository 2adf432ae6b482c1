-- On Postgres `%x%` user search uses the pg_trgm GIN indexes of 0021; this migration exists
-- so both backends keep the same migration names (SQLite builds an FTS5 trigram index here).
SELECT 1;

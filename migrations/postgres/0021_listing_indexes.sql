-- Indexes for the backend API's listings at scale (issue 12: 1M users, 100k orgs).
-- user/query and org/query order by (created_at, id) and page through it.
CREATE INDEX IF NOT EXISTS idx_users_created_at_id ON users(created_at, id);
CREATE INDEX IF NOT EXISTS idx_orgs_created_at_id ON orgs(created_at, id);
-- LAST_ACTIVE_AT_ASC/DESC order by this expression.
CREATE INDEX IF NOT EXISTS idx_users_last_active_at_id ON users(COALESCE(last_active_at, 0), id);
-- USERNAME order.
CREATE INDEX IF NOT EXISTS idx_users_username_order ON users(COALESCE(username, ''), id);
-- Role filter of an org's member listing.
CREATE INDEX IF NOT EXISTS idx_org_memberships_org_role ON org_memberships(org_id, role);
-- `%x%` search on email and username: trigram GIN indexes. pg_trgm is a trusted extension
-- (the database owner may create it). The advisory lock makes concurrent first migrations
-- wait for each other instead of racing on CREATE EXTENSION; the indexes name the operator
-- class in whatever schema the extension lives in (it may predate us, e.g. `extensions`).
SELECT pg_advisory_xact_lock(727274);
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
DO $$
DECLARE
    s TEXT;
BEGIN
    SELECT extnamespace::regnamespace::text INTO s FROM pg_extension WHERE extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx_users_email_trgm ON users USING gin (LOWER(email) %s.gin_trgm_ops)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx_users_username_trgm ON users USING gin (LOWER(COALESCE(username, %L)) %s.gin_trgm_ops)', '', s);
END
$$;

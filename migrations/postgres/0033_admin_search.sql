-- The admin dashboard's user and org search at scale (1,000,000 users, 100,000 orgs):
-- newest-first keyset pages, prefix search on indexed columns (byte order, "C", so a prefix
-- is a range whatever the database's collation), and substring search through trigram GIN
-- indexes on the same text the SQLite FTS5 table holds.
CREATE INDEX IF NOT EXISTS idx_users_created_at_id ON users(created_at, id);
CREATE INDEX IF NOT EXISTS idx_orgs_created_at_id ON orgs(created_at, id);
CREATE INDEX IF NOT EXISTS idx_users_email_c ON users((email COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_users_username_lower_c ON users((LOWER(username) COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_users_first_name_lower_c ON users((LOWER(first_name) COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_users_last_name_lower_c ON users((LOWER(last_name) COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_orgs_name_lower_c ON orgs((LOWER(name) COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_orgs_domain_c ON orgs((domain COLLATE "C"));
CREATE INDEX IF NOT EXISTS idx_users_admin ON users(is_admin, enabled);

-- pg_trgm is a trusted extension (the database owner may create it). Its operator class is
-- named with the schema it was installed in, which need not be on this search_path.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $$
DECLARE s TEXT;
BEGIN
    SELECT n.nspname INTO s FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx_users_admin_search_trgm ON users USING gin '
        '((LOWER(email || '' '' || COALESCE(username, '''') || '' '' || COALESCE(first_name, '''') || '' '' || COALESCE(last_name, ''''))) %I.gin_trgm_ops)', s);
    EXECUTE format('CREATE INDEX IF NOT EXISTS idx_orgs_admin_search_trgm ON orgs USING gin '
        '((LOWER(name || '' '' || COALESCE(domain, ''''))) %I.gin_trgm_ops)', s);
END
$$;

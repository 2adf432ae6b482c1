-- The admin dashboard's user and org search at scale (1,000,000 users, 100,000 orgs):
-- newest-first keyset pages, prefix search on indexed columns, and substring search through
-- an FTS5 trigram index kept in step with the tables by triggers.
CREATE INDEX IF NOT EXISTS idx_users_created_at_id ON users(created_at, id);
CREATE INDEX IF NOT EXISTS idx_orgs_created_at_id ON orgs(created_at, id);
CREATE INDEX IF NOT EXISTS idx_users_username_lower ON users(LOWER(username));
CREATE INDEX IF NOT EXISTS idx_users_first_name_lower ON users(LOWER(first_name));
CREATE INDEX IF NOT EXISTS idx_users_last_name_lower ON users(LOWER(last_name));
CREATE INDEX IF NOT EXISTS idx_orgs_name_lower ON orgs(LOWER(name));
CREATE INDEX IF NOT EXISTS idx_orgs_domain ON orgs(domain);
CREATE INDEX IF NOT EXISTS idx_users_admin ON users(is_admin, enabled);

-- The searchable text of each row, with its id (the rows are found again by id, not rowid,
-- which VACUUM may renumber). A row's entry is found for deletion by its own text.
CREATE VIRTUAL TABLE admin_user_search USING fts5(body, user_id UNINDEXED, tokenize = 'trigram');
INSERT INTO admin_user_search (body, user_id)
    SELECT LOWER(email || ' ' || COALESCE(username, '') || ' ' || COALESCE(first_name, '') || ' ' || COALESCE(last_name, '')), id FROM users;
CREATE TRIGGER admin_user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO admin_user_search (body, user_id) VALUES (
        LOWER(new.email || ' ' || COALESCE(new.username, '') || ' ' || COALESCE(new.first_name, '') || ' ' || COALESCE(new.last_name, '')), new.id);
END;
CREATE TRIGGER admin_user_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM admin_user_search WHERE admin_user_search MATCH '"' || REPLACE(
        LOWER(old.email || ' ' || COALESCE(old.username, '') || ' ' || COALESCE(old.first_name, '') || ' ' || COALESCE(old.last_name, '')),
        '"', '""') || '"' AND user_id = old.id;
END;
CREATE TRIGGER admin_user_search_update AFTER UPDATE OF email, username, first_name, last_name ON users BEGIN
    DELETE FROM admin_user_search WHERE admin_user_search MATCH '"' || REPLACE(
        LOWER(old.email || ' ' || COALESCE(old.username, '') || ' ' || COALESCE(old.first_name, '') || ' ' || COALESCE(old.last_name, '')),
        '"', '""') || '"' AND user_id = old.id;
    INSERT INTO admin_user_search (body, user_id) VALUES (
        LOWER(new.email || ' ' || COALESCE(new.username, '') || ' ' || COALESCE(new.first_name, '') || ' ' || COALESCE(new.last_name, '')), new.id);
END;

CREATE VIRTUAL TABLE admin_org_search USING fts5(body, org_id UNINDEXED, tokenize = 'trigram');
INSERT INTO admin_org_search (body, org_id) SELECT LOWER(name || ' ' || COALESCE(domain, '')), id FROM orgs;
CREATE TRIGGER admin_org_search_insert AFTER INSERT ON orgs BEGIN
    INSERT INTO admin_org_search (body, org_id) VALUES (LOWER(new.name || ' ' || COALESCE(new.domain, '')), new.id);
END;
CREATE TRIGGER admin_org_search_delete AFTER DELETE ON orgs BEGIN
    DELETE FROM admin_org_search WHERE admin_org_search MATCH '"' || REPLACE(LOWER(old.name || ' ' || COALESCE(old.domain, '')), '"', '""') || '"'
        AND org_id = old.id;
END;
CREATE TRIGGER admin_org_search_update AFTER UPDATE OF name, domain ON orgs BEGIN
    DELETE FROM admin_org_search WHERE admin_org_search MATCH '"' || REPLACE(LOWER(old.name || ' ' || COALESCE(old.domain, '')), '"', '""') || '"'
        AND org_id = old.id;
    INSERT INTO admin_org_search (body, org_id) VALUES (LOWER(new.name || ' ' || COALESCE(new.domain, '')), new.id);
END;

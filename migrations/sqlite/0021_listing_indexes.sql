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

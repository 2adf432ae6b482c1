-- The hosted session a grant was created from (the hash of its id), so "sign out other
-- sessions" can revoke the OIDC grants those sessions created. NULL for grants without a
-- browser session (client credentials) and for grants created before this column existed.

ALTER TABLE grants ADD COLUMN session_hash TEXT;
CREATE INDEX grants_session_idx ON grants(session_hash);

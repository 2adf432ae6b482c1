-- OAuth clients managed from the admin dashboard and the CLI: disable/enable, allowed grant
-- types (JSON array), per-client token lifetimes (NULL = the instance's), and the previous
-- secret's hash with the end of its grace period after a rotation.
ALTER TABLE oauth_clients ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE oauth_clients ADD COLUMN grant_types TEXT NOT NULL DEFAULT '["authorization_code","refresh_token","client_credentials"]';
ALTER TABLE oauth_clients ADD COLUMN access_token_ttl BIGINT;
ALTER TABLE oauth_clients ADD COLUMN refresh_token_ttl BIGINT;
ALTER TABLE oauth_clients ADD COLUMN previous_secret_hash TEXT;
ALTER TABLE oauth_clients ADD COLUMN previous_secret_expires_at BIGINT;
ALTER TABLE oauth_clients ADD COLUMN updated_at BIGINT;
UPDATE oauth_clients SET grant_types = '["authorization_code","refresh_token"]' WHERE is_public;

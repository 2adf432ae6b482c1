-- The scopes a client may ask for with the client_credentials grant (space-separated).
-- Empty, the default for existing clients, allows none beyond the user-facing OIDC scopes,
-- which are dropped from such a grant anyway: a request without `scope` keeps working.

ALTER TABLE oauth_clients ADD COLUMN client_credentials_scopes TEXT NOT NULL DEFAULT '';

-- Client-credentials access tokens are no longer stored (one row per token was most of the
-- write load of the token endpoint): they are checked by signature, expiry and the client's
-- existence, plus this small list of the ones revoked before they expire (purged after).
CREATE TABLE revoked_client_tokens (
    jti         TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT NOT NULL
);
CREATE INDEX revoked_client_tokens_expires_idx ON revoked_client_tokens(expires_at);

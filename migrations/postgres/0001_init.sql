-- Foundation schema. Portable column types: TEXT ids, BIGINT unix seconds, JSON as TEXT,
-- so one row struct decodes on both backends (see docs/ARCHITECTURE.md).

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash   TEXT,
    first_name      TEXT,
    last_name       TEXT,
    username        TEXT UNIQUE,
    picture_url     TEXT,
    is_admin        BOOLEAN NOT NULL DEFAULT FALSE,
    enabled         BOOLEAN NOT NULL DEFAULT TRUE,
    properties      TEXT NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_active_at  BIGINT
);

CREATE TABLE oauth_clients (
    id                         TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    secret_hash                TEXT,
    is_public                  BOOLEAN NOT NULL,
    require_consent            BOOLEAN NOT NULL DEFAULT FALSE,
    allow_dev_http             BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_uris              TEXT NOT NULL,
    post_logout_redirect_uris  TEXT NOT NULL DEFAULT '[]',
    created_at                 BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid              TEXT PRIMARY KEY,
    alg              TEXT NOT NULL,
    private_key_enc  TEXT NOT NULL,
    public_jwk       TEXT NOT NULL,
    public_pem       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    activates_at     BIGINT NOT NULL,
    retired_at       BIGINT
);

CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time     BIGINT NOT NULL,
    login_method  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    user_agent    TEXT,
    ip            TEXT
);
CREATE INDEX sessions_user_idx ON sessions(user_id);

-- A pending authorization request, parked while the user logs in or consents.
CREATE TABLE authorization_requests (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    params      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- One grant per code redemption / client-credentials issuance: revoking it kills every token it issued.
CREATE TABLE grants (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    auth_time   BIGINT,
    login_method TEXT,
    active_org_id TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX grants_user_idx ON grants(user_id);

CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    grant_id        TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    rotated_at  BIGINT
);
CREATE INDEX refresh_tokens_grant_idx ON refresh_tokens(grant_id);

CREATE TABLE access_tokens (
    jti         TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX access_tokens_grant_idx ON access_tokens(grant_id);

CREATE TABLE consents (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE integration_api_keys (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);

-- Single-use links and tokens (admin set-up now; magic links, resets and invites later).
CREATE TABLE one_time_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    subject     TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

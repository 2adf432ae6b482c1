-- Backend API (PropelAuth wire compatibility): user fields the API exposes, end-user API
-- keys, their daily usage, and rate-limit counters (kept in the database so replicas share them).

ALTER TABLE users ADD COLUMN legacy_user_id TEXT;
ALTER TABLE users ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN update_password_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN signup_query_parameters TEXT NOT NULL DEFAULT '{}';
CREATE INDEX users_legacy_user_id_idx ON users(legacy_user_id);

CREATE TABLE end_user_api_keys (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    imported      BOOLEAN NOT NULL,
    user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,
    org_id        TEXT,
    display_name  TEXT,
    metadata      TEXT NOT NULL DEFAULT '{}',
    expires_at    INTEGER,
    created_at    INTEGER NOT NULL,
    archived_at   INTEGER
);
CREATE INDEX end_user_api_keys_user_idx ON end_user_api_keys(user_id);
CREATE INDEX end_user_api_keys_org_idx ON end_user_api_keys(org_id);

CREATE TABLE end_user_api_key_usage (
    api_key_id  TEXT NOT NULL REFERENCES end_user_api_keys(id) ON DELETE CASCADE,
    day         TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, day)
);

CREATE TABLE rate_limit_counters (
    bucket        TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

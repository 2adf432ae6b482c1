-- Hosted pages: admin settings, the mail outbox, account tokens (verification, reset, email change,
-- pending MFA), magic links, MFA, lockouts, rate-limit counters and the audit log.
-- Counters and lockouts live here (not in memory) so every replica agrees.

CREATE TABLE app_settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Every outgoing mail is written here first and sent by a background task with retries.
CREATE TABLE email_outbox (
    id               TEXT PRIMARY KEY,
    to_addr          TEXT NOT NULL,
    subject          TEXT NOT NULL,
    text_body        TEXT NOT NULL,
    html_body        TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_until    INTEGER,
    sent_at          INTEGER,
    failed_at        INTEGER,
    last_error       TEXT
);
CREATE INDEX email_outbox_due_idx ON email_outbox(sent_at, next_attempt_at);

-- Single-use links and pending states tied to a user. `payload` is purpose-specific JSON.
CREATE TABLE account_tokens (
    token_hash  TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    payload     TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX account_tokens_user_idx ON account_tokens(user_id);

CREATE TABLE magic_links (
    token_hash          TEXT PRIMARY KEY,
    email               TEXT NOT NULL,
    redirect_to         TEXT,
    create_user         BOOLEAN NOT NULL,
    single_use          BOOLEAN NOT NULL,
    interstitial        BOOLEAN NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    used_at             INTEGER
);

CREATE TABLE user_mfa (
    user_id          TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_enc       TEXT NOT NULL,
    enabled_at       INTEGER,
    last_used_step   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE mfa_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Keyed by normalised email, not user id, so unknown addresses lock the same way (no enumeration).
CREATE TABLE login_lockouts (
    email         TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  INTEGER,
    updated_at    INTEGER NOT NULL
);

-- Fixed-window counters: bucket = "<action>:ip:<addr>" or "<action>:acct:<email>".
CREATE TABLE rate_limits (
    bucket        TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE audit_log (
    id       TEXT PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log(at);

-- Login failures counted per account AND client, as OWASP's device cookies recommend, so a
-- guesser locks out itself, not the account's owner. `client` is `device:<hash>` for a browser
-- that signed in to this account before (its device cookie verified), `ip:<address>` for any
-- other client, and `*` for the account-wide count of failures from unknown clients (a higher
-- ceiling, against guessing spread over many addresses). `notified_at` (on `*`) limits the
-- "someone is guessing your password" emails.
CREATE TABLE login_failures (
    account       TEXT NOT NULL,
    client        TEXT NOT NULL,
    failures      INTEGER NOT NULL,
    locked_until  INTEGER,
    updated_at    INTEGER NOT NULL,
    notified_at   INTEGER,
    PRIMARY KEY (account, client)
);

DROP TABLE login_lockouts;

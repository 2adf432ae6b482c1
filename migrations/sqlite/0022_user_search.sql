-- `%x%` search over email and username without scanning every user: an FTS5 trigram index
-- (external content: it stores only the index, the text stays in `users`), kept in step by
-- triggers. Queries still apply the exact LIKE to the candidates, so the index only narrows.
-- Note: VACUUM may renumber the rowids of `users` (no INTEGER PRIMARY KEY); after a VACUUM
-- run `INSERT INTO users_search(users_search) VALUES ('rebuild')`.
CREATE VIRTUAL TABLE IF NOT EXISTS users_search USING fts5(email, username, content='users', content_rowid='rowid', tokenize='trigram');
INSERT INTO users_search(users_search) VALUES ('rebuild');
CREATE TRIGGER IF NOT EXISTS users_search_ai AFTER INSERT ON users BEGIN
    INSERT INTO users_search(rowid, email, username) VALUES (new.rowid, new.email, new.username);
END;
CREATE TRIGGER IF NOT EXISTS users_search_ad AFTER DELETE ON users BEGIN
    INSERT INTO users_search(users_search, rowid, email, username) VALUES ('delete', old.rowid, old.email, old.username);
END;
CREATE TRIGGER IF NOT EXISTS users_search_au AFTER UPDATE OF email, username ON users BEGIN
    INSERT INTO users_search(users_search, rowid, email, username) VALUES ('delete', old.rowid, old.email, old.username);
    INSERT INTO users_search(rowid, email, username) VALUES (new.rowid, new.email, new.username);
END;

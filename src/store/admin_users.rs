//! The admin dashboard's user and org lists: newest first, in keyset pages, searchable at
//! scale (1,000,000 users). A search runs in one of three ways, chosen by the text alone:
//! an exact id or email; for one or two characters, a prefix of the indexed columns; from
//! three characters on, a substring of email, username and name (org: name and domain),
//! found through a trigram index (FTS5 on SQLite, pg_trgm on Postgres, migration 0033).
//!
//! A search first looks through the newest `WINDOW` rows (after the cursor): when a page of
//! matches is there, matches are dense and that is the page. Otherwise it collects at most
//! `CANDIDATES` matching rows through an index and orders them itself, or, when more match,
//! walks the (created_at, id) index newest first with the filter. Every way gives the same
//! rows: the index only proposes, the same exact filter decides.

use super::orgs::OrgRow;
use super::users::{UserRow, escape_like};
use super::{Store, StoreError, exec, on_db};

/// Most rows a search collects through an index before it walks the list instead.
const CANDIDATES: i64 = 2000;
/// How many of the newest rows a search looks through first (dense matches are found there).
const WINDOW: i64 = 2000;

const USER_COLS: &str = "id, email, email_verified, password_hash, first_name, last_name, username, picture_url, \
     is_admin, enabled, properties, created_at, updated_at, last_active_at, legacy_user_id, metadata, can_create_orgs, \
     update_password_required, signup_query_parameters";
const ORG_COLS: &str = "id, name, url_safe_name, metadata, max_users, domain, extra_domains, domain_autojoin, domain_restrict, \
     legacy_org_id, custom_role_mapping_name, require_2fa_by, can_setup_saml, created_at";

/// A position in a newest-first list: the last row of the previous page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListCursor {
    pub created_at: i64,
    pub id: String,
}

impl ListCursor {
    /// `<created_at>.<id>`, as it appears in `?after=`.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, self.id)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let (at, id) = text.split_once('.')?;
        let id_ok = !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        Some(Self { created_at: at.parse().ok()?, id: id.to_string() }).filter(|_| id_ok)
    }
}

/// How a search text is matched (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matching {
    All,
    Prefix(String),
    Substring(String),
}

impl Matching {
    /// Lower-cased, trimmed; fewer than three characters match as a prefix.
    pub fn of(q: &str) -> Self {
        let q = q.trim().to_lowercase();
        match q.chars().count() {
            0 => Matching::All,
            1 | 2 => Matching::Prefix(q),
            _ => Matching::Substring(q),
        }
    }
}

/// One page, newest first, and where the next one starts.
#[derive(Clone, Debug)]
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub next: Option<ListCursor>,
}

/// The table-specific parts of a search.
struct Spec {
    table: &'static str,
    cols: &'static str,
    /// The searchable text, as the trigram index holds it.
    text: &'static str,
    /// Columns (or expressions) a prefix is looked up in; each is indexed.
    prefix: &'static [&'static str],
    /// SQLite: the FTS5 table and its id column.
    fts: (&'static str, &'static str),
}

const USERS: Spec = Spec {
    table: "users",
    cols: USER_COLS,
    text: "LOWER(email || ' ' || COALESCE(username, '') || ' ' || COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))",
    prefix: &["email", "LOWER(username)", "LOWER(first_name)", "LOWER(last_name)"],
    fts: ("admin_user_search", "user_id"),
};

const ORGS: Spec = Spec {
    table: "orgs",
    cols: ORG_COLS,
    text: "LOWER(name || ' ' || COALESCE(domain, ''))",
    prefix: &["LOWER(name)", "domain"],
    fts: ("admin_org_search", "org_id"),
};

/// The smallest string above every string that starts with `prefix` (byte order).
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return chars.into_iter().collect();
        }
    }
    format!("{prefix}\u{10FFFF}")
}

/// The `k` three-character runs of letters and digits in `q` that the fewest `sample` texts
/// contain (each one alone is what pg_trgm extracts from `%run%`); empty when there are none.
fn rare_trigrams(q: &str, sample: &[&str], k: usize) -> Vec<String> {
    let chars: Vec<char> = q.chars().collect();
    let mut grams: Vec<String> = chars.windows(3).filter(|w| w.iter().all(|c| c.is_alphanumeric())).map(|w| w.iter().collect()).collect();
    grams.sort();
    grams.dedup();
    let mut scored: Vec<(usize, String)> =
        grams.into_iter().map(|g| (sample.iter().filter(|t| t.contains(g.as_str())).count(), g)).collect();
    scored.sort();
    scored.into_iter().take(k).map(|(_, g)| g).collect()
}

#[derive(sqlx::FromRow)]
struct Key {
    id: String,
    created_at: i64,
}

impl Store {
    fn postgres(&self) -> bool {
        self.backend_name() == "postgres"
    }

    /// `(filter, binds)`: the exact condition rows must meet, its values as `$1…`.
    fn filter(&self, spec: &Spec, m: &Matching) -> (String, Vec<String>) {
        match m {
            Matching::All => ("TRUE".into(), Vec::new()),
            Matching::Prefix(p) => {
                // Postgres compares in byte order ("C") so that a prefix is a range whatever
                // the database's collation; SQLite's default collation already is.
                let collate = if self.postgres() { " COLLATE \"C\"" } else { "" };
                let conds: Vec<String> =
                    spec.prefix.iter().map(|col| format!("(({col}){collate} >= $1 AND ({col}){collate} < $2)")).collect();
                (format!("({})", conds.join(" OR ")), vec![p.clone(), prefix_end(p)])
            }
            Matching::Substring(s) => (format!("{} LIKE $1 ESCAPE '\\'", spec.text), vec![format!("%{}%", escape_like(s))]),
        }
    }

    /// The filter plus what lets an index find the rows. SQLite: the FTS5 table. Postgres:
    /// the trigram GIN index reads every trigram's posting list in full, so a query with
    /// trigrams most rows share (`sur`, `com`) is slow however few rows match; the index is
    /// given only the query's rarest trigrams (judged on the newest rows), and the exact
    /// filter is kept off it (`|| ''`).
    async fn indexed(&self, spec: &Spec, m: &Matching) -> Result<(String, Vec<String>), StoreError> {
        let (cond, mut binds) = self.filter(spec, m);
        let Matching::Substring(s) = m else { return Ok((cond, binds)) };
        if !self.postgres() {
            let (fts, id_col) = spec.fts;
            binds.push(format!("\"{}\"", s.replace('"', "\"\"")));
            let n = binds.len();
            return Ok((format!("{cond} AND id IN (SELECT {id_col} FROM {fts} WHERE {fts} MATCH ${n})"), binds));
        }
        let sample_sql =
            format!("SELECT {} FROM (SELECT * FROM {} ORDER BY created_at DESC, id DESC LIMIT {WINDOW}) recent", spec.text, spec.table);
        let sample: Vec<(String,)> = on_db!(&self.db, pool => sqlx::query_as(&sample_sql).fetch_all(pool).await)?;
        let rare = rare_trigrams(s, &sample.iter().map(|(t,)| t.as_str()).collect::<Vec<_>>(), 3);
        if rare.is_empty() {
            return Ok((cond, binds));
        }
        let mut conds = vec![format!("({} || '') LIKE $1 ESCAPE '\\'", spec.text)];
        for t in rare {
            binds.push(format!("%{}%", escape_like(&t)));
            conds.push(format!("{} LIKE ${} ESCAPE '\\'", spec.text, binds.len()));
        }
        Ok((conds.join(" AND "), binds))
    }

    async fn search_page<T>(&self, spec: &Spec, m: &Matching, after: Option<&ListCursor>, limit: i64) -> Result<ListPage<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin + Keyed,
    {
        let limit = limit.clamp(1, 500);
        let mut rows: Vec<T> = self.walk(spec, m, after, limit + 1, (*m != Matching::All).then_some(WINDOW)).await?;
        if rows.len() as i64 <= limit && *m != Matching::All {
            // Sparse matches: collect them through the index, or walk the whole list when
            // there are too many to collect.
            let keys = self.candidates(spec, m).await?;
            rows = match keys {
                None => self.walk(spec, m, after, limit + 1, None).await?,
                Some(mut keys) => {
                    keys.retain(|k| after.is_none_or(|c| (k.created_at, k.id.as_str()) < (c.created_at, c.id.as_str())));
                    keys.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
                    keys.truncate((limit + 1) as usize);
                    self.by_ids(spec, &keys).await?
                }
            };
        }
        let next = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| ListCursor { created_at: r.created_at(), id: r.id().to_string() })
        } else {
            None
        };
        Ok(ListPage { rows, next })
    }

    /// Up to `CANDIDATES` keys of matching rows found through an index; `None` when more match.
    async fn candidates(&self, spec: &Spec, m: &Matching) -> Result<Option<Vec<Key>>, StoreError> {
        let (cond, binds) = self.indexed(spec, m).await?;
        let sql = format!("SELECT id, created_at FROM {} WHERE {cond} LIMIT {}", spec.table, CANDIDATES + 1);
        let keys: Vec<Key> = match &self.db {
            // Reached only when matches are sparse, where the trigram index is the way; with a
            // LIMIT, Postgres' planner may otherwise bet on a sequential scan finding them soon.
            super::Db::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
                let mut q = sqlx::query_as::<_, Key>(&sql);
                for b in &binds {
                    q = q.bind(b);
                }
                let keys = q.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                keys
            }
            _ => on_db!(&self.db, pool => {
                let mut q = sqlx::query_as::<_, Key>(&sql);
                for b in &binds {
                    q = q.bind(b);
                }
                q.fetch_all(pool).await
            })?,
        };
        Ok((keys.len() as i64 <= CANDIDATES).then_some(keys))
    }

    /// Newest first along the (created_at, id) index, keeping the rows that match; with a
    /// `window`, only among that many rows after `after`.
    async fn walk<T>(
        &self,
        spec: &Spec,
        m: &Matching,
        after: Option<&ListCursor>,
        n: i64,
        window: Option<i64>,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
    {
        let (cond, binds) = self.filter(spec, m);
        let k = binds.len();
        let (at, id) = after.map(|c| (c.created_at, c.id.clone())).unwrap_or((i64::MAX, String::new()));
        let position = if after.is_some() { format!("(created_at, id) < (${}, ${})", k + 1, k + 2) } else { "TRUE".into() };
        let order = "ORDER BY created_at DESC, id DESC";
        let (cols, table) = (spec.cols, spec.table);
        let sql = match window {
            None => format!("SELECT {cols} FROM {table} WHERE {cond} AND {position} {order} LIMIT {n}"),
            Some(w) => {
                format!(
                    "SELECT {cols} FROM (SELECT * FROM {table} WHERE {position} {order} LIMIT {w}) recent WHERE {cond} {order} LIMIT {n}"
                )
            }
        };
        Ok(on_db!(&self.db, pool => {
            let mut q = sqlx::query_as::<_, T>(&sql);
            for b in &binds {
                q = q.bind(b);
            }
            if after.is_some() {
                q = q.bind(at).bind(&id);
            }
            q.fetch_all(pool).await
        })?)
    }

    /// Rows by id, in the order of `keys`.
    async fn by_ids<T>(&self, spec: &Spec, keys: &[Key]) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin + Keyed,
    {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT {} FROM {} WHERE id IN ({})", spec.cols, spec.table, marks.join(", "));
        let mut rows: Vec<T> = on_db!(&self.db, pool => {
            let mut q = sqlx::query_as::<_, T>(&sql);
            for k in keys {
                q = q.bind(&k.id);
            }
            q.fetch_all(pool).await
        })?;
        rows.sort_by_key(|r| keys.iter().position(|k| k.id == r.id()));
        Ok(rows)
    }

    /// A page of users, newest first, matching `m`, after `after`.
    pub async fn admin_users_page(&self, m: &Matching, after: Option<&ListCursor>, limit: i64) -> Result<ListPage<UserRow>, StoreError> {
        self.search_page(&USERS, m, after, limit).await
    }

    /// A page of orgs, newest first, matching `m`, after `after`.
    pub async fn admin_orgs_page(&self, m: &Matching, after: Option<&ListCursor>, limit: i64) -> Result<ListPage<OrgRow>, StoreError> {
        self.search_page(&ORGS, m, after, limit).await
    }

    pub async fn set_user_admin(&self, id: &str, admin: bool, now: i64) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query("UPDATE users SET is_admin = $1, updated_at = $2 WHERE id = $3")
            .bind(admin).bind(now).bind(id).execute(pool).await)?;
        Ok(n == 1)
    }

    /// Member counts of the given orgs (for list pages).
    pub async fn member_counts(&self, org_ids: &[String]) -> Result<Vec<(String, i64)>, StoreError> {
        if org_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=org_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT org_id, COUNT(*) FROM org_memberships WHERE org_id IN ({}) GROUP BY org_id", marks.join(", "));
        Ok(on_db!(&self.db, pool => {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            for id in org_ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await
        })?)
    }

    /// A user's audit trail: what they did, what was done to them (by id or address), newest first.
    pub async fn audit_of_user(&self, user_id: &str, email: &str, limit: i64) -> Result<Vec<super::AuditRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, super::AuditRow>(
            "SELECT id, at, actor, action, subject, detail, ip FROM audit_log WHERE actor = $1 OR subject = $1 OR subject = $2 \
             ORDER BY at DESC, id DESC LIMIT $3")
            .bind(user_id).bind(email).bind(limit).fetch_all(pool).await)?)
    }

    /// The lockout state of an address: consecutive failures and the lock's end, if any.
    pub async fn lockout_state(&self, email: &str) -> Result<Option<(i64, Option<i64>)>, StoreError> {
        // Failures are counted per client (device, address, second factor, account-wide): the
        // admin sees their sum and the latest lock.
        let (failures, locked_until): (i64, Option<i64>) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT), MAX(locked_until) FROM login_failures WHERE account = $1")
            .bind(email).fetch_one(pool).await)?;
        Ok((failures > 0 || locked_until.is_some()).then_some((failures, locked_until)))
    }
}

/// Rows that can be placed in a newest-first list.
pub trait Keyed {
    fn id(&self) -> &str;
    fn created_at(&self) -> i64;
}

impl Keyed for UserRow {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> i64 {
        self.created_at
    }
}

impl Keyed for OrgRow {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> i64 {
        self.created_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_junk() {
        let c = ListCursor { created_at: 1_700_000_000, id: "4f7c0d9e-aaaa-4bbb-8ccc-0123456789ab".into() };
        assert_eq!(ListCursor::parse(&c.encode()), Some(c));
        for bad in ["", "x.y", "12", "12.", "12.a b", "12.a'--", "1.2.3"] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_text_chooses_the_matching() {
        assert_eq!(Matching::of("  "), Matching::All);
        assert_eq!(Matching::of("A"), Matching::Prefix("a".into()));
        assert_eq!(Matching::of("Ada L"), Matching::Substring("ada l".into()));
    }

    #[test]
    fn the_rarest_runs_of_letters_and_digits_go_to_the_index() {
        let sample = ["ada@x.test  ada surname48001", "tim@y.test  tim surname48002", "ada@z.test  ada surname49000"];
        assert_eq!(rare_trigrams("ada surname4200", &sample, 3), vec!["200", "420", "e42"]);
        assert!(rare_trigrams("a.b@c", &sample, 3).is_empty());
    }

    #[test]
    fn a_prefix_ends_just_above_its_last_character() {
        assert_eq!(prefix_end("ab"), "ac");
        assert_eq!(prefix_end("a\u{D7FF}"), "a\u{E000}");
        assert_eq!(prefix_end("\u{10FFFF}"), "\u{10FFFF}\u{10FFFF}");
    }
}

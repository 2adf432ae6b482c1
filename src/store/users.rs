use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    pub is_admin: bool,
    pub enabled: bool,
    pub properties: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active_at: Option<i64>,
    pub legacy_user_id: Option<String>,
    /// JSON object, as TEXT.
    pub metadata: String,
    pub can_create_orgs: bool,
    pub update_password_required: bool,
    /// JSON object of string values, as TEXT.
    pub signup_query_parameters: String,
}

/// Every field of a user the backend API may change (read, modify, write back).
#[derive(Clone, Debug)]
pub struct UserProfile {
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub picture_url: Option<String>,
    pub metadata: String,
    pub properties: String,
    pub update_password_required: bool,
    pub legacy_user_id: Option<String>,
    pub enabled: bool,
    pub signup_query_parameters: String,
}

/// Sort orders of the user query (backend API `order_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserOrder {
    CreatedAtAsc,
    CreatedAtDesc,
    LastActiveAtAsc,
    LastActiveAtDesc,
    Email,
    Username,
}

impl UserOrder {
    fn sql(self) -> &'static str {
        match self {
            UserOrder::CreatedAtAsc => "created_at ASC, id ASC",
            UserOrder::CreatedAtDesc => "created_at DESC, id DESC",
            UserOrder::LastActiveAtAsc => "COALESCE(last_active_at, 0) ASC, id ASC",
            UserOrder::LastActiveAtDesc => "COALESCE(last_active_at, 0) DESC, id DESC",
            UserOrder::Email => "email ASC, id ASC",
            UserOrder::Username => "COALESCE(username, '') ASC, id ASC",
        }
    }
}

/// Filters of the user query; `search` is a lower-case substring of email or username.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub search: Option<String>,
    pub legacy_user_id: Option<String>,
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub password_hash: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub username: Option<&'a str>,
    pub is_admin: bool,
    /// JSON object of strings (`{}` when the signup carried none).
    pub signup_query_parameters: &'a str,
    pub now: i64,
}

pub(super) const USER_COLUMNS: &str = "id, email, email_verified, password_hash, first_name, last_name, username, picture_url, \
     is_admin, enabled, properties, created_at, updated_at, last_active_at, legacy_user_id, metadata, can_create_orgs, \
     update_password_required, signup_query_parameters";

/// The WHERE clause for the filters actually given (and how many `$N` it uses). A catch-all
/// `($1 IS NULL OR …)` made both databases scan every row, for the COUNT(*) too. On SQLite a
/// search of 3+ characters first narrows to the FTS5 trigram index's candidates (migration
/// 0022; Postgres' planner uses its pg_trgm indexes for the LIKE itself).
fn user_where(filter: &UserFilter, fts: bool) -> (String, usize) {
    let mut conds = Vec::new();
    if fts {
        conds.push("rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH $1)".to_string());
    }
    if filter.search.is_some() {
        let n = conds.len() + 1;
        conds.push(format!("(LOWER(email) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(username, '')) LIKE ${n} ESCAPE '\\')"));
    }
    if filter.legacy_user_id.is_some() {
        conds.push(format!("legacy_user_id = ${}", conds.len() + 1));
    }
    let n = conds.len();
    (if conds.is_empty() { "TRUE".to_string() } else { conds.join(" AND ") }, n)
}

impl Store {
    pub async fn insert_user(&self, u: &NewUser<'_>) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO users (id, email, email_verified, password_hash, first_name, last_name, username, is_admin, \
             signup_query_parameters, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
            .bind(u.id).bind(u.email).bind(u.email_verified).bind(u.password_hash).bind(u.first_name)
            .bind(u.last_name).bind(u.username).bind(u.is_admin).bind(u.signup_query_parameters).bind(u.now)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    /// `email` must already be normalised (trimmed, lowercase).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(pool).await)?)
    }

    pub async fn count_admins(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_admin = $1")
            .bind(true).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn touch_user_activity(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_enabled(&self, id: &str, enabled: bool, now: i64) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE id = $3")
            .bind(enabled).bind(now).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(username).fetch_optional(pool).await)?)
    }

    /// One page of users matching `filter`, and the total number of matches.
    pub async fn query_users(
        &self,
        filter: &UserFilter,
        order: UserOrder,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<UserRow>, i64), StoreError> {
        let pattern = filter.search.as_ref().map(|s| format!("%{}%", escape_like(s)));
        // An FTS5 phrase: the trigram tokenizer matches it as a substring (3+ characters).
        let phrase = filter
            .search
            .as_ref()
            .filter(|s| matches!(self.db, super::Db::Sqlite(_)) && s.chars().count() >= 3)
            .map(|s| format!("\"{}\"", s.replace('"', "\"\"")));
        let (cond, n) = user_where(filter, phrase.is_some());
        let binds: Vec<&str> = [phrase.as_deref(), pattern.as_deref(), filter.legacy_user_id.as_deref()].into_iter().flatten().collect();
        // The page's ids first, then their rows: skipping to a deep page then walks only the
        // ordering's index (id and the order columns), not half a million full rows.
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id IN (SELECT id FROM users WHERE {cond} ORDER BY {order} LIMIT ${} OFFSET ${}) \
             ORDER BY {order}",
            n + 1,
            n + 2,
            order = order.sql()
        );
        let count_sql = format!("SELECT COUNT(*) FROM users WHERE {cond}");
        self.page_and_count(&sql, &count_sql, &binds, limit, offset).await
    }

    pub async fn update_user_record(&self, id: &str, p: &UserProfile, now: i64) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE users SET username = $1, first_name = $2, last_name = $3, picture_url = $4, metadata = $5, properties = $6, \
             update_password_required = $7, legacy_user_id = $8, enabled = $9, signup_query_parameters = $10, updated_at = $11 \
             WHERE id = $12")
            .bind(&p.username).bind(&p.first_name).bind(&p.last_name).bind(&p.picture_url).bind(&p.metadata).bind(&p.properties)
            .bind(p.update_password_required).bind(&p.legacy_user_id).bind(p.enabled).bind(&p.signup_query_parameters)
            .bind(now).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn change_user_email(&self, id: &str, email: &str, verified: bool, now: i64) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE users SET email = $1, email_verified = $2, updated_at = $3 WHERE id = $4")
            .bind(email).bind(verified).bind(now).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Sets (or with `None` clears) the password hash.
    pub async fn set_user_password(&self, id: &str, hash: Option<&str>, update_required: bool, now: i64) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE users SET password_hash = $1, update_password_required = $2, updated_at = $3 WHERE id = $4")
            .bind(hash).bind(update_required).bind(now).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Replaces a hash with its argon2id upgrade, unless it changed meanwhile.
    pub async fn upgrade_password_hash(&self, id: &str, old_hash: &str, new_hash: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3")
            .bind(new_hash).bind(id).bind(old_hash).execute(pool).await)?;
        Ok(())
    }

    /// Deletes a user; sessions, grants and keys go with it (ON DELETE CASCADE).
    pub async fn delete_user(&self, id: &str) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn update_user_profile(
        &self,
        id: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
        username: Option<&str>,
        picture_url: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE users SET first_name = $1, last_name = $2, username = $3, picture_url = $4, updated_at = $5 WHERE id = $6")
            .bind(first_name).bind(last_name).bind(username).bind(picture_url).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_password_hash(&self, id: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_email_verified(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET email_verified = $1, updated_at = $2 WHERE id = $3")
            .bind(true).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    /// A confirmed change of address: the new one is verified by construction.
    pub async fn set_user_email(&self, id: &str, email: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET email = $1, email_verified = $2, updated_at = $3 WHERE id = $4")
            .bind(email).bind(true).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }
}

/// Escapes LIKE wildcards so a search for `a_b` matches only that text.
pub(super) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

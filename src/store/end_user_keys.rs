//! End-user API keys (personal and org keys an app hands to its users), their daily usage.

use super::{Store, StoreError, exec, on_db, on_db_write};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EndUserKeyRow {
    pub id: String,
    pub token_hash: String,
    pub imported: bool,
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    pub display_name: Option<String>,
    pub metadata: String,
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub archived_at: Option<i64>,
}

/// Which keys a listing returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    All,
    Personal,
    Org,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            KeyKind::All => "all",
            KeyKind::Personal => "personal",
            KeyKind::Org => "org",
        }
    }
}

#[derive(Clone, Debug)]
pub struct KeyFilter {
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub kind: KeyKind,
    /// false: live keys (not archived, not expired); true: archived or expired keys.
    pub archived: bool,
}

const KEY_COLUMNS: &str = "id, token_hash, imported, user_id, org_id, display_name, metadata, expires_at, created_at, archived_at";

// A key is live when it is neither archived nor expired at $4.
const KEY_FILTER: &str = "($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR user_id = $2) \
     AND ($3 = 'all' OR ($3 = 'personal' AND org_id IS NULL) OR ($3 = 'org' AND org_id IS NOT NULL)) \
     AND ((archived_at IS NULL AND (expires_at IS NULL OR expires_at > $4)) = $5)";

impl Store {
    pub async fn insert_end_user_key(&self, k: &EndUserKeyRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO end_user_api_keys (id, token_hash, imported, user_id, org_id, display_name, metadata, expires_at, created_at, archived_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&k.id).bind(&k.token_hash).bind(k.imported).bind(&k.user_id).bind(&k.org_id).bind(&k.display_name)
            .bind(&k.metadata).bind(k.expires_at).bind(k.created_at).bind(k.archived_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn end_user_key(&self, id: &str) -> Result<Option<EndUserKeyRow>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM end_user_api_keys WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, EndUserKeyRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    pub async fn end_user_key_by_hash(&self, token_hash: &str) -> Result<Option<EndUserKeyRow>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM end_user_api_keys WHERE token_hash = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, EndUserKeyRow>(&sql).bind(token_hash).fetch_optional(pool).await)?)
    }

    pub async fn list_end_user_keys(
        &self,
        f: &KeyFilter,
        now: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<EndUserKeyRow>, i64), StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM end_user_api_keys WHERE {KEY_FILTER} ORDER BY created_at DESC, id LIMIT $6 OFFSET $7");
        let live = !f.archived;
        let rows = on_db!(&self.db, pool => sqlx::query_as::<_, EndUserKeyRow>(&sql)
            .bind(&f.org_id).bind(&f.user_id).bind(f.kind.as_str()).bind(now).bind(live).bind(limit).bind(offset)
            .fetch_all(pool).await)?;
        let count_sql = format!("SELECT COUNT(*) FROM end_user_api_keys WHERE {KEY_FILTER}");
        let (total,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(&count_sql)
            .bind(&f.org_id).bind(&f.user_id).bind(f.kind.as_str()).bind(now).bind(live).fetch_one(pool).await)?;
        Ok((rows, total))
    }

    pub async fn update_end_user_key(&self, id: &str, expires_at: Option<i64>, metadata: &str) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE end_user_api_keys SET expires_at = $1, metadata = $2 WHERE id = $3")
            .bind(expires_at).bind(metadata).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Archives a live key; false if there was none.
    pub async fn archive_end_user_key(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE end_user_api_keys SET archived_at = $1 WHERE id = $2 AND archived_at IS NULL")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(done == 1)
    }

    pub async fn count_end_user_key_use(&self, id: &str, day: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO end_user_api_key_usage (api_key_id, day, count) VALUES ($1, $2, 1) \
             ON CONFLICT (api_key_id, day) DO UPDATE SET count = end_user_api_key_usage.count + 1")
            .bind(id).bind(day).execute(pool).await)?;
        Ok(())
    }

    /// Validations on `day` (YYYY-MM-DD) of the keys matching the optional filters.
    pub async fn end_user_key_usage(
        &self,
        day: &str,
        org_id: Option<&str>,
        user_id: Option<&str>,
        key_id: Option<&str>,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(u.count), 0) AS BIGINT) FROM end_user_api_key_usage u \
             JOIN end_user_api_keys k ON k.id = u.api_key_id \
             WHERE u.day = $1 AND ($2 IS NULL OR k.org_id = $2) AND ($3 IS NULL OR k.user_id = $3) AND ($4 IS NULL OR k.id = $4)")
            .bind(day).bind(org_id).bind(user_id).bind(key_id).fetch_one(pool).await)?;
        Ok(n)
    }

    /// Counts one hit in a fixed window and returns the window's total so far.
    pub async fn rate_limit_hit(&self, bucket: &str, window_start: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db_write!(&self.db, pool => sqlx::query_as(
            "INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + 1 RETURNING count")
            .bind(bucket).bind(window_start).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn purge_rate_limit_counters(&self, before: i64) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM rate_limit_counters WHERE window_start < $1")
            .bind(before).execute(pool).await)?;
        Ok(done)
    }
}

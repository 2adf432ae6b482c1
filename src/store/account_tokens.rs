use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountTokenRow {
    pub token_hash: String,
    pub purpose: String,
    pub user_id: String,
    pub payload: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn insert_account_token(&self, t: &AccountTokenRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO account_tokens (token_hash, purpose, user_id, payload, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&t.token_hash).bind(&t.purpose).bind(&t.user_id).bind(&t.payload).bind(t.created_at).bind(t.expires_at)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn live_account_token(&self, token_hash: &str, purpose: &str, now: i64) -> Result<Option<AccountTokenRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, AccountTokenRow>(
            "SELECT token_hash, purpose, user_id, payload, created_at, expires_at, used_at FROM account_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
            .bind(token_hash).bind(purpose).bind(now).fetch_optional(pool).await)?)
    }

    /// Consumes a token atomically; `None` if it was used, expired or never existed.
    pub async fn use_account_token(&self, token_hash: &str, purpose: &str, now: i64) -> Result<Option<AccountTokenRow>, StoreError> {
        let row = self.live_account_token(token_hash, purpose, now).await?;
        if row.is_none() {
            return Ok(None);
        }
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(now).bind(token_hash).bind(purpose).execute(pool).await)?;
        Ok(if done == 1 { row } else { None })
    }

    /// Retires every live token of one purpose for a user (a new reset link voids older ones).
    pub async fn retire_account_tokens(&self, user_id: &str, purpose: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
            .bind(now).bind(user_id).bind(purpose).execute(pool).await)?;
        Ok(())
    }

    pub async fn purge_expired_account_tokens(&self, now: i64) -> Result<u64, StoreError> {
        let a = exec!(&self.db, pool => sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1").bind(now).execute(pool).await)?;
        let b = exec!(&self.db, pool => sqlx::query("DELETE FROM magic_links WHERE expires_at <= $1").bind(now).execute(pool).await)?;
        let c =
            exec!(&self.db, pool => sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(now - 3600).execute(pool).await)?;
        Ok(a + b + c)
    }
}

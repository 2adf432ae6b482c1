use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OneTimeTokenRow {
    pub token_hash: String,
    pub purpose: String,
    pub subject: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn insert_one_time_token(&self, t: &OneTimeTokenRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO one_time_tokens (token_hash, purpose, subject, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&t.token_hash).bind(&t.purpose).bind(&t.subject).bind(t.created_at).bind(t.expires_at).bind(t.used_at)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn live_one_time_token(&self, token_hash: &str, purpose: &str, now: i64) -> Result<Option<OneTimeTokenRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, OneTimeTokenRow>(
            "SELECT token_hash, purpose, subject, created_at, expires_at, used_at FROM one_time_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3")
            .bind(token_hash).bind(purpose).bind(now).fetch_optional(pool).await)?)
    }

    /// Consumes a token; false if it was used, expired or never existed.
    pub async fn use_one_time_token(&self, token_hash: &str, purpose: &str, now: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE one_time_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1")
            .bind(now).bind(token_hash).bind(purpose).execute(pool).await)?;
        Ok(done == 1)
    }

    /// Gives a taken token back when the work it guarded was refused (it may be tried again).
    pub async fn release_one_time_token(&self, token_hash: &str, purpose: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE one_time_tokens SET used_at = NULL WHERE token_hash = $1 AND purpose = $2")
            .bind(token_hash).bind(purpose).execute(pool).await)?;
        Ok(())
    }
}

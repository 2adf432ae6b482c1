use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IntegrationKeyRow {
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Store {
    pub async fn insert_integration_key(&self, k: &IntegrationKeyRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO integration_api_keys (id, name, key_hash, created_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&k.id).bind(&k.name).bind(&k.key_hash).bind(k.created_at).bind(k.last_used_at).bind(k.revoked_at)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn live_integration_key(&self, key_hash: &str) -> Result<Option<IntegrationKeyRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, IntegrationKeyRow>(
            "SELECT id, name, key_hash, created_at, last_used_at, revoked_at FROM integration_api_keys \
             WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(key_hash).fetch_optional(pool).await)?)
    }
}

impl Store {
    pub async fn list_integration_keys(&self) -> Result<Vec<IntegrationKeyRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, IntegrationKeyRow>(
            "SELECT id, name, key_hash, created_at, last_used_at, revoked_at FROM integration_api_keys ORDER BY created_at, id")
            .fetch_all(pool).await)?)
    }

    /// Revokes a key; false if no live key has that id.
    pub async fn revoke_integration_key(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE integration_api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(done == 1)
    }

    /// Records use at most once a minute per key, so a busy key costs few writes.
    pub async fn touch_integration_key(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE integration_api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)")
            .bind(now).bind(id).bind(now - 60).execute(pool).await)?;
        Ok(())
    }
}

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

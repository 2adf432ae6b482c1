use super::{Store, StoreError, exec, on_db};

impl Store {
    pub async fn app_settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, (String, String)>("SELECT key, value FROM app_settings ORDER BY key")
            .fetch_all(pool).await)?)
    }

    pub async fn put_app_setting(&self, key: &str, value: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO app_settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
            .bind(key).bind(value).bind(now).execute(pool).await)?;
        Ok(())
    }

    pub async fn delete_app_setting(&self, key: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("DELETE FROM app_settings WHERE key = $1").bind(key).execute(pool).await)?;
        Ok(())
    }
}

use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub alg: String,
    /// Sealed with the master key (`crypto::MasterKey::encrypt`).
    pub private_key_enc: String,
    pub public_jwk: String,
    pub public_pem: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
}

impl Store {
    pub async fn insert_signing_key(&self, k: &SigningKeyRow) -> Result<(), StoreError> {
        self.insert_key_where(k, "").await.map(|_| ())
    }

    /// Stores a first key unless a live (unretired) key exists already; false when one did. A
    /// server making its first key in the background and a CLI command run meanwhile would
    /// otherwise each make one, and each retire the other's.
    pub async fn insert_first_signing_key(&self, k: &SigningKeyRow) -> Result<bool, StoreError> {
        self.insert_key_where(k, "WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)").await
    }

    /// Inserts `k` if `condition` (empty, or a `WHERE` clause) holds; true if it was stored.
    async fn insert_key_where(&self, k: &SigningKeyRow, condition: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO signing_keys (kid, alg, private_key_enc, public_jwk, public_pem, created_at, activates_at, retired_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8 {condition}"
        );
        let done = exec!(&self.db, pool => sqlx::query(&sql)
            .bind(&k.kid).bind(&k.alg).bind(&k.private_key_enc).bind(&k.public_jwk).bind(&k.public_pem)
            .bind(k.created_at).bind(k.activates_at).bind(k.retired_at)
            .execute(pool).await)?;
        Ok(done == 1)
    }

    /// Keys still worth publishing: never retired, or retired after `retired_after`.
    pub async fn publishable_signing_keys(&self, retired_after: i64) -> Result<Vec<SigningKeyRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, SigningKeyRow>(
            "SELECT kid, alg, private_key_enc, public_jwk, public_pem, created_at, activates_at, retired_at \
             FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 ORDER BY activates_at DESC, created_at DESC")
            .bind(retired_after).fetch_all(pool).await)?)
    }

    /// Retires every active key except `keep_kid` (called when `keep_kid` starts signing).
    pub async fn retire_signing_keys_except(&self, keep_kid: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE signing_keys SET retired_at = $1 WHERE kid <> $2 AND retired_at IS NULL AND activates_at <= $1")
            .bind(now).bind(keep_kid).execute(pool).await)?;
        Ok(())
    }
}

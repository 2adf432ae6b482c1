use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MagicLinkRow {
    pub token_hash: String,
    pub email: String,
    pub redirect_to: Option<String>,
    pub create_user: bool,
    pub single_use: bool,
    pub interstitial: bool,
    /// JSON object of strings for the user this link may create.
    pub signup_query_parameters: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn insert_magic_link(&self, m: &MagicLinkRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO magic_links (token_hash, email, redirect_to, create_user, single_use, interstitial, signup_query_parameters, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&m.token_hash).bind(&m.email).bind(&m.redirect_to).bind(m.create_user).bind(m.single_use).bind(m.interstitial)
            .bind(&m.signup_query_parameters).bind(m.created_at).bind(m.expires_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn live_magic_link(&self, token_hash: &str, now: i64) -> Result<Option<MagicLinkRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, MagicLinkRow>(
            "SELECT token_hash, email, redirect_to, create_user, single_use, interstitial, signup_query_parameters, created_at, expires_at, used_at \
             FROM magic_links WHERE token_hash = $1 AND expires_at > $2 AND (used_at IS NULL OR single_use = $3)")
            .bind(token_hash).bind(now).bind(false).fetch_optional(pool).await)?)
    }

    /// Marks a single-use link used; false if another request got there first.
    pub async fn use_magic_link(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE magic_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL")
            .bind(now).bind(token_hash).execute(pool).await)?;
        Ok(done == 1)
    }
}

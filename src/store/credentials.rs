//! Credential retirement across tables (issue 11 items 9-11): the grants a hosted session
//! created, outstanding reset links and magic links, pending MFA steps.

use super::{Store, StoreError, exec};

impl Store {
    /// Revokes the user's grants created from any session but `keep_hash`.
    pub async fn revoke_other_session_grants(&self, user_id: &str, keep_hash: &str, now: i64) -> Result<u64, StoreError> {
        Ok(exec!(&self.db, pool => sqlx::query(
            "UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND session_hash IS NOT NULL AND session_hash <> $3 AND revoked_at IS NULL")
            .bind(now).bind(user_id).bind(keep_hash).execute(pool).await)?)
    }

    /// Revokes the grants created from one of the user's sessions.
    pub async fn revoke_session_grants(&self, user_id: &str, session_hash: &str, now: i64) -> Result<u64, StoreError> {
        Ok(exec!(&self.db, pool => sqlx::query(
            "UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND session_hash = $3 AND revoked_at IS NULL")
            .bind(now).bind(user_id).bind(session_hash).execute(pool).await)?)
    }

    /// Ends every live magic link for an address (used or not, single-use or not).
    pub async fn retire_magic_links(&self, email: &str, now: i64) -> Result<u64, StoreError> {
        Ok(exec!(&self.db, pool => sqlx::query("UPDATE magic_links SET expires_at = $1 WHERE email = $2 AND expires_at > $1")
            .bind(now).bind(email).execute(pool).await)?)
    }
}

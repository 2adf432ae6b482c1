use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MfaRow {
    pub user_id: String,
    pub secret_enc: String,
    pub enabled_at: Option<i64>,
    pub last_used_step: i64,
}

impl Store {
    /// The backend API reads this: true once TOTP enrolment was confirmed.
    pub async fn user_mfa_enabled(&self, user_id: &str) -> Result<bool, StoreError> {
        let row: Option<(i64,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM user_mfa WHERE user_id = $1 AND enabled_at IS NOT NULL")
            .bind(user_id).fetch_optional(pool).await)?;
        Ok(row.is_some_and(|(n,)| n > 0))
    }

    /// Removes TOTP and recovery codes (the backend API's "disable MFA", and the account page).
    pub async fn disable_user_mfa(&self, user_id: &str) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM user_mfa WHERE user_id = $1").bind(user_id).execute(pool).await)?;
        exec!(&self.db, pool => sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(pool).await)?;
        Ok(done > 0)
    }

    pub async fn user_mfa(&self, user_id: &str) -> Result<Option<MfaRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, MfaRow>(
            "SELECT user_id, secret_enc, enabled_at, last_used_step FROM user_mfa WHERE user_id = $1")
            .bind(user_id).fetch_optional(pool).await)?)
    }

    /// Starts (or restarts) an unconfirmed enrolment; refuses to replace a confirmed one.
    pub async fn begin_mfa_enrolment(&self, user_id: &str, secret_enc: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("DELETE FROM user_mfa WHERE user_id = $1 AND enabled_at IS NULL").bind(user_id).execute(pool).await)?;
        exec!(&self.db, pool => sqlx::query("INSERT INTO user_mfa (user_id, secret_enc, created_at) VALUES ($1, $2, $3)")
            .bind(user_id).bind(secret_enc).bind(now).execute(pool).await)?;
        Ok(())
    }

    pub async fn confirm_mfa_enrolment(&self, user_id: &str, step: i64, code_hashes: &[String], now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE user_mfa SET enabled_at = $1, last_used_step = $2 WHERE user_id = $3 AND enabled_at IS NULL")
            .bind(now).bind(step).bind(user_id).execute(pool).await)?;
        self.replace_recovery_codes(user_id, code_hashes).await
    }

    pub async fn replace_recovery_codes(&self, user_id: &str, code_hashes: &[String]) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(pool).await)?;
        for h in code_hashes {
            exec!(&self.db, pool => sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind(user_id).bind(h).execute(pool).await)?;
        }
        Ok(())
    }

    /// Records a TOTP step as used; false if it (or a later one) was used already (no replay).
    pub async fn advance_mfa_step(&self, user_id: &str, step: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE user_mfa SET last_used_step = $1 WHERE user_id = $2 AND last_used_step < $1")
            .bind(step).bind(user_id).execute(pool).await)?;
        Ok(done == 1)
    }

    pub async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now).bind(user_id).bind(code_hash).execute(pool).await)?;
        Ok(done == 1)
    }

    pub async fn unused_recovery_codes(&self, user_id: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id).fetch_one(pool).await)?;
        Ok(n)
    }
}

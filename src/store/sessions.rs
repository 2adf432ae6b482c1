use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub auth_time: i64,
    pub login_method: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl Store {
    pub async fn insert_session(&self, s: &SessionRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, auth_time, login_method, created_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&s.id_hash).bind(&s.user_id).bind(s.auth_time).bind(&s.login_method).bind(s.created_at)
            .bind(s.expires_at).bind(&s.user_agent).bind(&s.ip).execute(pool).await)?;
        Ok(())
    }

    /// A live session of an enabled user: a disabled user's sessions answer nothing, on
    /// every page and gate, even before they are deleted.
    pub async fn session_by_hash(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, SessionRow>(
            "SELECT s.id_hash, s.user_id, s.auth_time, s.login_method, s.created_at, s.expires_at, s.user_agent, s.ip \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.enabled = $3")
            .bind(id_hash).bind(now).bind(true).fetch_optional(pool).await)?)
    }

    pub async fn set_session_auth_time(&self, id_hash: &str, auth_time: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE sessions SET auth_time = $1 WHERE id_hash = $2")
            .bind(auth_time).bind(id_hash).execute(pool).await)?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(pool).await)?;
        Ok(())
    }

    pub async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(pool).await)?;
        Ok(done)
    }

    pub async fn purge_expired_sessions(&self, now: i64) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(pool).await)?;
        Ok(done)
    }

    pub async fn sessions_for_user(&self, user_id: &str, now: i64) -> Result<Vec<SessionRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, SessionRow>(
            "SELECT id_hash, user_id, auth_time, login_method, created_at, expires_at, user_agent, ip \
             FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC")
            .bind(user_id).bind(now).fetch_all(pool).await)?)
    }

    /// Ends one of the user's own sessions; false if it was not theirs.
    pub async fn delete_user_session(&self, user_id: &str, id_hash: &str) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id).bind(id_hash).execute(pool).await)?;
        Ok(done == 1)
    }

    pub async fn delete_other_sessions(&self, user_id: &str, keep_hash: &str) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id).bind(keep_hash).execute(pool).await)?;
        Ok(done)
    }
}

use super::{Store, StoreError, exec, on_db, on_db_write};

impl Store {
    /// Counts one hit in a fixed window and returns the window's total so far. One statement,
    /// so concurrent replicas never lose a hit.
    pub async fn hit_rate_limit(&self, bucket: &str, window_start: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db_write!(&self.db, pool => sqlx::query_as(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits")
            .bind(bucket).bind(window_start).fetch_one(pool).await)?;
        Ok(n)
    }

    /// `Some(until)` while the address is locked.
    pub async fn lockout_until(&self, email: &str, now: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<(Option<i64>,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT locked_until FROM login_lockouts WHERE email = $1").bind(email).fetch_optional(pool).await)?;
        Ok(row.and_then(|(u,)| u).filter(|u| *u > now))
    }

    /// Counts a failure; returns the number of consecutive failures.
    pub async fn record_login_failure(&self, email: &str, now: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db_write!(&self.db, pool => sqlx::query_as(
            "INSERT INTO login_lockouts (email, failures, updated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (email) DO UPDATE SET failures = login_lockouts.failures + 1, updated_at = excluded.updated_at RETURNING failures")
            .bind(email).bind(now).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn lock_login(&self, email: &str, until: i64, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE login_lockouts SET locked_until = $1, failures = 0, updated_at = $2 WHERE email = $3")
            .bind(until).bind(now).bind(email).execute(pool).await)?;
        Ok(())
    }

    /// Clears failures and any lock; true if the address was locked.
    pub async fn clear_login_failures(&self, email: &str, now: i64) -> Result<bool, StoreError> {
        let locked = self.lockout_until(email, now).await?.is_some();
        exec!(&self.db, pool => sqlx::query("DELETE FROM login_lockouts WHERE email = $1").bind(email).execute(pool).await)?;
        Ok(locked)
    }

    pub async fn insert_audit(&self, id: &str, at: i64, actor: &str, action: &str, subject: &str, detail: &str) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id).bind(at).bind(actor).bind(action).bind(subject).bind(detail).execute(pool).await)?;
        Ok(())
    }

    /// (at, actor, action, subject, detail), newest first.
    pub async fn audit_entries(&self, limit: i64) -> Result<Vec<(i64, String, String, String, String)>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, (i64, String, String, String, String)>(
            "SELECT at, actor, action, subject, detail FROM audit_log ORDER BY at DESC, id LIMIT $1")
            .bind(limit).fetch_all(pool).await)?)
    }
}

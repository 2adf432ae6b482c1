//! The audit log's events and the dashboard's figures drawn from it and from the main tables.

use super::{Store, StoreError, exec, on_db};

/// One audit entry as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub ip: Option<String>,
}

/// Headline counts for the dashboard overview.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub users: i64,
    pub orgs: i64,
    pub clients: i64,
    pub active_sessions: i64,
}

impl Store {
    pub async fn insert_audit_row(&self, row: &AuditRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO audit_log (id, at, actor, action, subject, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&row.id).bind(row.at).bind(&row.actor).bind(&row.action).bind(&row.subject).bind(&row.detail).bind(&row.ip)
            .execute(pool).await)?;
        Ok(())
    }

    /// The newest `limit` entries, leaving out the action `except` (routine sign-ins).
    pub async fn recent_audit_except(&self, except: &str, limit: i64) -> Result<Vec<AuditRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor, action, subject, detail, ip FROM audit_log WHERE action <> $1 ORDER BY at DESC, id DESC LIMIT $2")
            .bind(except).bind(limit).fetch_all(pool).await)?)
    }

    /// Events of `action` per UTC day (days since the epoch) from `since` on.
    pub async fn audit_daily_counts(&self, action: &str, since: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, (i64, i64)>(
            "SELECT at / 86400 AS day, COUNT(*) AS n FROM audit_log WHERE action = $1 AND at >= $2 GROUP BY at / 86400 ORDER BY day")
            .bind(action).bind(since).fetch_all(pool).await)?)
    }

    pub async fn dashboard_counts(&self, now: i64) -> Result<Counts, StoreError> {
        let (users, orgs, clients, active_sessions): (i64, i64, i64, i64) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM orgs), (SELECT COUNT(*) FROM oauth_clients), \
             (SELECT COUNT(*) FROM sessions WHERE expires_at > $1)")
            .bind(now).fetch_one(pool).await)?;
        Ok(Counts { users, orgs, clients, active_sessions })
    }
}

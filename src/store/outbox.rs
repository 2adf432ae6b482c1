use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: String,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

/// Where a message stands, as an admin page shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Retrying,
    Sent,
    Failed,
}

impl OutboxRow {
    pub fn status(&self) -> DeliveryStatus {
        match (self.sent_at, self.failed_at, self.attempts) {
            (Some(_), _, _) => DeliveryStatus::Sent,
            (None, Some(_), _) => DeliveryStatus::Failed,
            (None, None, 0) => DeliveryStatus::Queued,
            (None, None, _) => DeliveryStatus::Retrying,
        }
    }
}

/// A message given up on: what an administrator needs, never the body.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct FailedEmail {
    pub id: String,
    pub to_addr: String,
    pub subject: String,
    pub created_at: i64,
    pub attempts: i64,
    pub failed_at: i64,
    pub last_error: Option<String>,
}

const OUTBOX_COLUMNS: &str =
    "id, to_addr, subject, text_body, html_body, created_at, attempts, next_attempt_at, sent_at, failed_at, last_error";

impl Store {
    pub async fn insert_outbox(&self, m: &OutboxRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO email_outbox (id, to_addr, subject, text_body, html_body, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)")
            .bind(&m.id).bind(&m.to_addr).bind(&m.subject).bind(&m.text_body).bind(&m.html_body).bind(m.created_at)
            .bind(m.next_attempt_at).execute(pool).await)?;
        Ok(())
    }

    /// Ids of messages due for a (re)try, oldest first.
    pub async fn due_outbox_ids(&self, now: i64, limit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT id FROM email_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY created_at LIMIT $2")
            .bind(now).bind(limit).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Claims one message for `lease` seconds; false if another replica holds it.
    pub async fn claim_outbox(&self, id: &str, now: i64, lease: i64) -> Result<Option<OutboxRow>, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE email_outbox SET claimed_until = $1 WHERE id = $2 AND sent_at IS NULL AND failed_at IS NULL \
             AND (claimed_until IS NULL OR claimed_until < $3)")
            .bind(now + lease).bind(id).bind(now).execute(pool).await)?;
        if done != 1 {
            return Ok(None);
        }
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM email_outbox WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    pub async fn mark_outbox_sent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE email_outbox SET sent_at = $1, attempts = attempts + 1, claimed_until = NULL WHERE id = $2")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    /// Records a failed attempt and schedules the next one.
    pub async fn mark_outbox_retry(&self, id: &str, error: &str, retry_at: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_until = NULL WHERE id = $3")
            .bind(error).bind(retry_at).bind(id).execute(pool).await)?;
        Ok(())
    }

    /// Gives up on a message: marks it failed and drops its bodies (the links in them are of
    /// no use to anyone any more); the row stays for administrators.
    pub async fn mark_outbox_given_up(&self, id: &str, error: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE email_outbox SET attempts = attempts + 1, last_error = $1, failed_at = $2, claimed_until = NULL, \
             text_body = '', html_body = '' WHERE id = $3")
            .bind(error).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    /// Messages given up on, newest first.
    pub async fn failed_outbox(&self, limit: i64) -> Result<Vec<FailedEmail>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, FailedEmail>(
            "SELECT id, to_addr, subject, created_at, attempts, failed_at, last_error FROM email_outbox \
             WHERE failed_at IS NOT NULL ORDER BY failed_at DESC, id DESC LIMIT $1")
            .bind(limit).fetch_all(pool).await)?)
    }

    /// Deletes failed messages older than `before` (an admin has had time to see them).
    pub async fn purge_failed_outbox(&self, before: i64) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM email_outbox WHERE failed_at IS NOT NULL AND failed_at < $1")
            .bind(before).execute(pool).await)?;
        Ok(done)
    }

    /// Every message, newest first (tests and the admin dashboard).
    pub async fn outbox_messages(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM email_outbox ORDER BY created_at DESC, id DESC LIMIT $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, OutboxRow>(&sql).bind(limit).fetch_all(pool).await)?)
    }

    pub async fn purge_sent_outbox(&self, before: i64) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM email_outbox WHERE sent_at IS NOT NULL AND sent_at < $1")
            .bind(before).execute(pool).await)?;
        Ok(done)
    }
}

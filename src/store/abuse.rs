use super::{Store, StoreError, exec, on_db, on_db_write};

impl Store {
    /// Counts one hit in each bucket's fixed window and returns the windows' totals so far, in
    /// the order given (a sign-in counts against its address and its account). One statement,
    /// so concurrent replicas never lose a hit and the buckets cost one write together.
    pub async fn hit_rate_limits(&self, buckets: &[&str], window_start: i64) -> Result<Vec<i64>, StoreError> {
        if buckets.is_empty() {
            return Ok(Vec::new());
        }
        let values: Vec<String> = (2..buckets.len() + 2).map(|i| format!("(${i}, $1, 1)")).collect();
        let sql = format!(
            "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {} \
             ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING bucket, hits",
            values.join(", ")
        );
        let rows: Vec<(String, i64)> = on_db_write!(&self.db, pool => {
            let mut q = sqlx::query_as(&sql).bind(window_start);
            for b in buckets {
                q = q.bind(*b);
            }
            q.fetch_all(pool).await
        })?;
        Ok(buckets.iter().map(|b| rows.iter().find(|(r, _)| r == b).map_or(0, |(_, n)| *n)).collect())
    }

    /// The latest lock in force now over the given clients of an account (see
    /// `login_failures`): one read for the client's own, the account-wide and the
    /// second-factor lock. Pass a client twice to look at fewer.
    pub async fn lockout_until(&self, account: &str, clients: [&str; 3], now: i64) -> Result<Option<i64>, StoreError> {
        let (until,): (Option<i64>,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT MAX(locked_until) FROM login_failures \
             WHERE account = $1 AND client IN ($2, $3, $4) AND locked_until > $5")
            .bind(account).bind(clients[0]).bind(clients[1]).bind(clients[2]).bind(now).fetch_one(pool).await)?;
        Ok(until)
    }

    /// Counts a failure for one client of an account; returns the failures so far. A count
    /// whose last failure is older than `forget_before` starts again.
    pub async fn record_login_failure(&self, account: &str, client: &str, now: i64, forget_before: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db_write!(&self.db, pool => sqlx::query_as(
            "INSERT INTO login_failures (account, client, failures, updated_at) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (account, client) DO UPDATE SET updated_at = excluded.updated_at, \
             failures = CASE WHEN login_failures.updated_at < $4 THEN 1 ELSE login_failures.failures + 1 END RETURNING failures")
            .bind(account).bind(client).bind(now).bind(forget_before).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn lock_login(&self, account: &str, client: &str, until: i64, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE login_failures SET locked_until = $1, failures = 0, updated_at = $2 WHERE account = $3 AND client = $4")
            .bind(until).bind(now).bind(account).bind(client).execute(pool).await)?;
        Ok(())
    }

    /// Claims the right to tell the account's owner about guessing (at most once per
    /// `interval`); false when they were told recently.
    pub async fn claim_lockout_notice(&self, account: &str, now: i64, interval: i64) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "INSERT INTO login_failures (account, client, failures, updated_at, notified_at) VALUES ($1, '*', 0, $2, $2) \
             ON CONFLICT (account, client) DO UPDATE SET notified_at = $2 \
             WHERE login_failures.notified_at IS NULL OR login_failures.notified_at <= $3")
            .bind(account).bind(now).bind(now - interval).execute(pool).await)?;
        Ok(done == 1)
    }

    /// Forgets two clients' failure counts unless they are locked now. Reads first (on the
    /// readers) and writes only when there is something to forget: nearly every successful
    /// sign-in has no failures behind it.
    pub async fn forget_unlocked_failures(&self, account: &str, clients: [&str; 2], now: i64) -> Result<(), StoreError> {
        const UNLOCKED: &str =
            "FROM login_failures WHERE account = $1 AND client IN ($2, $3) AND (locked_until IS NULL OR locked_until <= $4)";
        let (count, delete) = (format!("SELECT COUNT(*) {UNLOCKED}"), format!("DELETE {UNLOCKED}"));
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(&count)
            .bind(account).bind(clients[0]).bind(clients[1]).bind(now).fetch_one(pool).await)?;
        if n > 0 {
            exec!(&self.db, pool => sqlx::query(&delete)
                .bind(account).bind(clients[0]).bind(clients[1]).bind(now).execute(pool).await)?;
        }
        Ok(())
    }

    /// Forgets every failure and lock of an account (an administrator's unlock); true if any
    /// client of it was locked.
    pub async fn clear_all_login_failures(&self, account: &str, now: i64) -> Result<bool, StoreError> {
        let (locked,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM login_failures WHERE account = $1 AND locked_until > $2")
            .bind(account).bind(now).fetch_one(pool).await)?;
        exec!(&self.db, pool => sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(account).execute(pool).await)?;
        Ok(locked > 0)
    }

    /// Deletes failure counts nobody added to since `before` and whose lock (if any) is over.
    pub async fn purge_stale_login_failures(&self, before: i64, now: i64) -> Result<u64, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "DELETE FROM login_failures WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until <= $2)")
            .bind(before).bind(now).execute(pool).await)?;
        Ok(done)
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

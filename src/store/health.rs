//! Is the database reachable? A database outage must answer fast and honestly (503 with
//! `Retry-After`), not hang every request for the pool's acquire timeout. The web layer asks
//! `is_down` before a request, and `probe`s when a request failed; a watcher re-probes while
//! the database is down, so service comes back without a restart.

use super::{Db, Store};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

/// How to open a connection outside the pool, so a probe never waits behind busy requests.
#[derive(Clone, Debug)]
pub(crate) enum ProbeTarget {
    Postgres(PgConnectOptions),
    Sqlite(SqliteConnectOptions),
}

#[derive(Debug)]
pub(crate) struct Health {
    down: AtomicBool,
    /// Probes in a row that ran out of time (without the database saying no).
    slow_probes: AtomicU32,
    target: ProbeTarget,
}

/// How one probe ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Probe {
    Up,
    /// The database refused or failed: it is down.
    Failed,
    /// No answer within the limit: an outage, or only a busy host (see `Health::record`).
    TimedOut,
}

impl Health {
    pub(crate) fn new(target: ProbeTarget) -> Arc<Self> {
        Arc::new(Self { down: AtomicBool::new(false), slow_probes: AtomicU32::new(0), target })
    }

    /// Records a probe and returns whether the database counts as up. A refusal counts at once;
    /// running out of time counts once `slow_to_fail` probes in a row have (a lone slow probe of
    /// an up database is more often CPU pressure on this host than an outage, and answering
    /// 503s to every request for it would be the outage).
    fn record(&self, probe: Probe, slow_to_fail: u32) -> (bool, bool) {
        let up = match probe {
            Probe::Up => {
                self.slow_probes.store(0, Ordering::Relaxed);
                true
            }
            Probe::Failed => false,
            Probe::TimedOut => {
                let slow = self.slow_probes.fetch_add(1, Ordering::Relaxed) + 1;
                slow < slow_to_fail && !self.down.load(Ordering::Relaxed)
            }
        };
        let was_down = self.down.swap(!up, Ordering::Relaxed);
        (was_down, up)
    }
}

impl Store {
    /// True from a failed probe until the next successful one.
    pub fn is_down(&self) -> bool {
        self.health.down.load(Ordering::Relaxed)
    }

    /// Opens a fresh connection and checks that the database can take a write lock, within
    /// `limit`. Records the answer (see `is_down`) and returns whether the database is up.
    /// A request that failed asks this: one slow probe then counts (the request failed too).
    pub async fn probe(&self, limit: Duration) -> bool {
        self.probe_counting(limit, 1).await
    }

    async fn probe_counting(&self, limit: Duration, slow_to_fail: u32) -> bool {
        let probe = match tokio::time::timeout(limit, probe_once(&self.health.target)).await {
            Ok(Ok(())) => Probe::Up,
            Ok(Err(_)) => Probe::Failed,
            Err(_) => Probe::TimedOut,
        };
        let (was_down, up) = self.health.record(probe, slow_to_fail);
        match (was_down, up) {
            (false, false) => tracing::warn!(backend = self.backend_name(), "the database is unreachable; answering 503"),
            (true, true) => tracing::info!(backend = self.backend_name(), "the database is reachable again"),
            _ => {}
        }
        up
    }

    /// Watches the database: every second while it is up (Postgres), every 250 ms while it is
    /// down, so outages are noticed before requests pile up and service resumes on recovery.
    /// An unreachable server is seen at once; one that only stops answering within about 9 s
    /// (or at the first request that fails on it).
    pub fn spawn_health_watch(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                let down = store.is_down();
                let pause = if down { 250 } else { 1000 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                // SQLite has no server to lose; it is probed only after a failure.
                // Nothing failed here, so the watcher is patient: a fresh connection can take a
                // while on a host whose CPUs are saturated (seen in `scripts/bench`), and only
                // three probes in a row without an answer within 2 s make an outage. A refusal
                // counts at once, and a failed request still probes with one strike.
                if down || matches!(store.db, Db::Postgres(_)) {
                    store.probe_counting(Duration::from_secs(2), 3).await;
                }
            }
        })
    }
}

async fn probe_once(target: &ProbeTarget) -> Result<(), sqlx::Error> {
    match target {
        ProbeTarget::Postgres(opts) => {
            let mut conn = PgConnection::connect_with(opts).await?;
            sqlx::query("SELECT 1").execute(&mut conn).await?;
            conn.close().await
        }
        ProbeTarget::Sqlite(opts) => {
            // No waiting for a lock: a database that cannot take a write now is down for writes.
            let opts = opts.clone().busy_timeout(Duration::ZERO).create_if_missing(false);
            let mut conn = SqliteConnection::connect_with(&opts).await?;
            sqlx::query("BEGIN IMMEDIATE").execute(&mut conn).await?;
            sqlx::query("ROLLBACK").execute(&mut conn).await?;
            conn.close().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health() -> Arc<Health> {
        Health::new(ProbeTarget::Sqlite(SqliteConnectOptions::new()))
    }

    #[test]
    fn a_refusal_is_an_outage_at_once() {
        let h = health();
        assert_eq!(h.record(Probe::Failed, 2), (false, false));
        assert_eq!(h.record(Probe::Up, 2), (true, true));
    }

    #[test]
    fn one_slow_probe_of_an_up_database_is_not_an_outage_two_in_a_row_are() {
        let h = health();
        assert_eq!(h.record(Probe::TimedOut, 2), (false, true), "one slow probe: still up");
        assert_eq!(h.record(Probe::Up, 2), (false, true));
        assert_eq!(h.record(Probe::TimedOut, 2), (false, true), "the count starts again after an answer");
        assert_eq!(h.record(Probe::TimedOut, 2), (false, false), "two in a row: down");
        assert_eq!(h.record(Probe::TimedOut, 2), (true, false), "and it stays down while probes time out");
        assert_eq!(h.record(Probe::Up, 2), (true, true));
    }

    #[test]
    fn after_a_failed_request_one_slow_probe_counts() {
        let h = health();
        assert_eq!(h.record(Probe::TimedOut, 1), (false, false));
    }
}

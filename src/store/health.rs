//! Is the database reachable? A database outage must answer fast and honestly (503 with
//! `Retry-After`), not hang every request for the pool's acquire timeout. The web layer asks
//! `is_down` before a request, and `probe`s when a request failed; a watcher re-probes while
//! the database is down, so service comes back without a restart.

use super::{Db, Store};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
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
    target: ProbeTarget,
}

impl Health {
    pub(crate) fn new(target: ProbeTarget) -> Arc<Self> {
        Arc::new(Self { down: AtomicBool::new(false), target })
    }
}

impl Store {
    /// True from a failed probe until the next successful one.
    pub fn is_down(&self) -> bool {
        self.health.down.load(Ordering::Relaxed)
    }

    /// Opens a fresh connection and checks that the database can take a write lock, within
    /// `limit`. Records the answer (see `is_down`) and returns whether the database is up.
    pub async fn probe(&self, limit: Duration) -> bool {
        let up = tokio::time::timeout(limit, probe_once(&self.health.target)).await.is_ok_and(|r| r.is_ok());
        let was_down = self.health.down.swap(!up, Ordering::Relaxed);
        match (was_down, up) {
            (false, false) => tracing::warn!(backend = self.backend_name(), "the database is unreachable; answering 503"),
            (true, true) => tracing::info!(backend = self.backend_name(), "the database is reachable again"),
            _ => {}
        }
        up
    }

    /// Watches the database: every second while it is up (Postgres), every 250 ms while it is
    /// down, so outages are noticed before requests pile up and service resumes on recovery.
    pub fn spawn_health_watch(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            loop {
                let down = store.is_down();
                let pause = if down { 250 } else { 1000 };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                // SQLite has no server to lose; it is probed only after a failure.
                if down || matches!(store.db, Db::Postgres(_)) {
                    store.probe(Duration::from_millis(800)).await;
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

//! SQLite's one writing connection, held for the store's life behind a FIFO lock.
//!
//! Why not a pool of one (issue 12): sqlx hands a pooled connection back through a task it
//! spawns on the runtime of whoever used it (an HTTP worker, busy with other requests), and
//! that task pings the connection's thread before the next writer may have it. Every write
//! held the only writer for two extra hand-offs plus however long that worker took to run
//! the task, so the code flow stopped scaling at ~500 flows/s with a third of the CPU idle.
//! Here a write takes the lock, runs, and wakes the next waiter directly.
//!
//! The lock is waited for as long as a pool acquisition was (`acquire_timeout`), and answers
//! `PoolTimedOut` after that, so callers see the same error as before. A write cancelled
//! mid-transaction is rolled back by sqlx's `Transaction` drop, which queues the rollback on
//! the connection before the lock is released.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::time::Duration;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

#[derive(Debug)]
pub struct Writer {
    /// `None` once the store is closed.
    conn: Mutex<Option<SqliteConnection>>,
    wait: Duration,
}

impl Writer {
    pub async fn connect(opts: &SqliteConnectOptions, wait: Duration) -> Result<Self, sqlx::Error> {
        let conn = opts.connect().await?;
        Ok(Self { conn: Mutex::new(Some(conn)), wait })
    }

    /// The connection, once every earlier writer is done (FIFO), or `PoolTimedOut` after the
    /// acquire timeout, or `PoolClosed` after `close`.
    pub async fn lock(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>, sqlx::Error> {
        let guard = tokio::time::timeout(self.wait, self.conn.lock()).await.map_err(|_| sqlx::Error::PoolTimedOut)?;
        MutexGuard::try_map(guard, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)
    }

    /// Closes the connection (after the write in progress, if any).
    pub async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take()
            && let Err(e) = conn.close().await
        {
            tracing::warn!(error = %e, "closing the SQLite writer failed");
        }
    }
}

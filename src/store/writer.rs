//! SQLite's one writing connection, held for the store's life behind a FIFO lock, and the
//! thread the hot writes run on.
//!
//! Why not a pool of one (issue 12): sqlx hands a pooled connection back through a task it
//! spawns on the runtime of whoever used it (an HTTP worker, busy with other requests), and
//! that task pings the connection's thread before the next writer may have it. Every write
//! held the only writer for two extra hand-offs plus however long that worker took to run
//! the task, so the code flow stopped scaling at ~500 flows/s with a third of the CPU idle.
//! Here a write takes the lock, runs, and wakes the next waiter directly.
//!
//! Why a thread of its own (`run`): a write that holds the lock from an HTTP worker holds it
//! across every `.await` of its statements, and each of those resumes only when that worker
//! gets round to it, behind whatever else it is serving. Measured on the code flow (8
//! clients, ~740 flows/s): the lock was held 75 % of the time for ~340 µs per write, for
//! statements SQLite runs in tens of microseconds. A write given to `run` holds the lock on
//! a thread that does nothing else, so it holds it for as long as SQLite works.
//!
//! The lock is waited for as long as a pool acquisition was (`acquire_timeout`), and answers
//! `PoolTimedOut` after that, so callers see the same error as before. A write cancelled
//! mid-transaction is rolled back by sqlx's `Transaction` drop, which queues the rollback on
//! the connection before the lock is released; a write given to `run` is never cancelled
//! half-way: it finishes on the writer's thread even if the request that asked for it is gone.

use futures_core::future::BoxFuture;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, oneshot};

#[derive(Debug)]
pub struct Writer {
    /// `None` once the store is closed.
    conn: Mutex<Option<SqliteConnection>>,
    wait: Duration,
    /// The writer thread's runtime; the thread ends when `_stop` is dropped with the writer.
    thread: tokio::runtime::Handle,
    _stop: oneshot::Sender<()>,
}

impl Writer {
    pub async fn connect(opts: &SqliteConnectOptions, wait: Duration) -> Result<Self, sqlx::Error> {
        let conn = opts.connect().await?;
        let (thread, stop) = spawn_thread()?;
        Ok(Self { conn: Mutex::new(Some(conn)), wait, thread, _stop: stop })
    }

    /// The connection, once every earlier writer is done (FIFO), or `PoolTimedOut` after the
    /// acquire timeout, or `PoolClosed` after `close`.
    pub async fn lock(&self) -> Result<MappedMutexGuard<'_, SqliteConnection>, sqlx::Error> {
        let guard = tokio::time::timeout(self.wait, self.conn.lock()).await.map_err(|_| sqlx::Error::PoolTimedOut)?;
        MutexGuard::try_map(guard, Option::as_mut).map_err(|_| sqlx::Error::PoolClosed)
    }

    /// Runs `job` with the connection on the writer's thread (in its turn, like `lock`). The
    /// job owns what it binds: it may outlive the caller's borrow.
    pub async fn run<T, F>(self: &Arc<Self>, job: F) -> Result<T, sqlx::Error>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send + 'static,
    {
        let me = Arc::clone(self);
        let task = self.thread.spawn(async move {
            let mut conn = me.lock().await?;
            job(&mut conn).await
        });
        match task.await {
            Ok(result) => result,
            // The job panicked (sqlx's own word for a connection that died under a statement),
            // or the writer's thread is gone because the store is being dropped.
            Err(e) if e.is_panic() => Err(sqlx::Error::WorkerCrashed),
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
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

/// A thread running a single-threaded runtime until the sender it returns is dropped.
fn spawn_thread() -> Result<(tokio::runtime::Handle, oneshot::Sender<()>), sqlx::Error> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().map_err(sqlx::Error::Io)?;
    let handle = runtime.handle().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("gatehouse-sqlite-writer".into())
        .spawn(move || {
            let _ = runtime.block_on(stopped);
        })
        .map_err(sqlx::Error::Io)?;
    Ok((handle, stop))
}

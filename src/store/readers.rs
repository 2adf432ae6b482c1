//! SQLite's reading connections: up to `size`, opened on demand and handed back in place.
//!
//! Why not sqlx's pool (issue 12): it returns a connection through a task spawned on the
//! runtime of whoever used it (an HTTP worker, busy with other requests), and that task pings
//! the connection's thread before the connection is free again: one more hand-off per read,
//! on every page, token, userinfo and introspection request. Here a finished read puts its
//! connection back on the idle stack at once (in `Drop`), and the next reader takes it.
//!
//! Waiting for a connection is bounded by the acquire timeout and answers `PoolTimedOut`, as
//! the pool did. WAL mode: readers never wait for the writer (`writer::Writer`).

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

#[derive(Debug)]
pub struct Readers {
    opts: SqliteConnectOptions,
    idle: Mutex<Vec<SqliteConnection>>,
    /// One per connection that may exist; closed by `close`.
    permits: Semaphore,
    wait: Duration,
}

/// A reading connection, back on the idle stack when dropped.
pub struct Reader<'a> {
    conn: Option<SqliteConnection>,
    readers: &'a Readers,
    _permit: SemaphorePermit<'a>,
}

impl Readers {
    pub fn new(opts: SqliteConnectOptions, size: usize, wait: Duration) -> Self {
        Self { opts, idle: Mutex::new(Vec::with_capacity(size)), permits: Semaphore::new(size), wait }
    }

    /// An idle connection, or a new one while fewer than `size` exist; waits for one to come
    /// back otherwise (`PoolTimedOut` after the acquire timeout, `PoolClosed` after `close`).
    pub async fn acquire(&self) -> Result<Reader<'_>, sqlx::Error> {
        let permit = match tokio::time::timeout(self.wait, self.permits.acquire()).await {
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Ok(Ok(permit)) => permit,
        };
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => self.opts.connect().await?,
        };
        Ok(Reader { conn: Some(conn), readers: self, _permit: permit })
    }

    /// Closes the idle connections and refuses new reads; a read in progress finishes.
    pub async fn close(&self) {
        self.permits.close();
        let idle: Vec<SqliteConnection> = self.idle.lock().map(|mut idle| std::mem::take(&mut *idle)).unwrap_or_default();
        for conn in idle {
            if let Err(e) = conn.close().await {
                tracing::warn!(error = %e, "closing a SQLite reader failed");
            }
        }
    }
}

impl Deref for Reader<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        // Back before the permit is released (fields drop after this body). After `close`,
        // the connection is dropped instead (its thread ends with it).
        if let Some(conn) = self.conn.take()
            && !self.readers.permits.is_closed()
            && let Ok(mut idle) = self.readers.idle.lock()
        {
            idle.push(conn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn options() -> SqliteConnectOptions {
        let path = std::env::temp_dir().join(format!("gatehouse-readers-{}.db", crate::crypto::random_hex(8)));
        SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display())).expect("options").create_if_missing(true)
    }

    #[tokio::test]
    async fn a_read_waits_for_a_free_connection_and_reuses_it() {
        let readers = Readers::new(options(), 2, Duration::from_millis(100));
        let first = readers.acquire().await.expect("first");
        let second = readers.acquire().await.expect("second");
        // Both connections are out: a third read gives up after the acquire timeout.
        assert!(matches!(readers.acquire().await.err(), Some(sqlx::Error::PoolTimedOut)));
        drop(first);
        let mut again = readers.acquire().await.expect("the returned connection");
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&mut *again).await.expect("query");
        assert_eq!(one, 1);
        drop((again, second));
        assert_eq!(readers.idle.lock().expect("idle").len(), 2, "both back on the stack, none opened again");
        readers.close().await;
        assert!(matches!(readers.acquire().await.err(), Some(sqlx::Error::PoolClosed)));
    }

    #[tokio::test]
    async fn a_write_waits_its_turn_and_gives_up_after_the_timeout() {
        let writer = super::super::writer::Writer::connect(&options(), Duration::from_millis(100)).await.expect("writer");
        let held = writer.lock().await.expect("lock");
        assert!(matches!(writer.lock().await.err(), Some(sqlx::Error::PoolTimedOut)));
        drop(held);
        let mut conn = writer.lock().await.expect("free again");
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut *conn).await.expect("write");
        drop(conn);
        writer.close().await;
        assert!(matches!(writer.lock().await.err(), Some(sqlx::Error::PoolClosed)));
    }

    #[tokio::test]
    async fn a_write_run_on_the_writers_thread_waits_its_turn_and_reports_like_a_lock() {
        let writer =
            std::sync::Arc::new(super::super::writer::Writer::connect(&options(), Duration::from_millis(100)).await.expect("writer"));
        writer
            .run(|conn| Box::pin(async move { sqlx::query("CREATE TABLE t (x INTEGER)").execute(conn).await.map(|_| ()) }))
            .await
            .expect("create");
        let inserted = writer
            .run(|conn| Box::pin(async move { sqlx::query("INSERT INTO t (x) VALUES (7)").execute(conn).await.map(|r| r.rows_affected()) }))
            .await
            .expect("insert");
        assert_eq!(inserted, 1);
        let mut conn = writer.lock().await.expect("lock");
        let x: i64 = sqlx::query_scalar("SELECT x FROM t").fetch_one(&mut *conn).await.expect("read back");
        assert_eq!(x, 7, "the job's write is on the same connection");
        // While the lock is held elsewhere, a job waits as long as a lock would, then gives up.
        let waited = writer.run(|conn| Box::pin(async move { sqlx::query("DELETE FROM t").execute(conn).await.map(|_| ()) })).await;
        assert!(matches!(waited.err(), Some(sqlx::Error::PoolTimedOut)));
        drop(conn);
        let panicked =
            writer.run(|_conn| -> futures_core::future::BoxFuture<'_, Result<(), sqlx::Error>> { panic!("a job that fails hard") }).await;
        assert!(matches!(panicked.err(), Some(sqlx::Error::WorkerCrashed)));
        let mut conn = writer.lock().await.expect("the lock is free again after a panicking job");
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t").fetch_one(&mut *conn).await.expect("count");
        assert_eq!(rows, 1, "the timed-out job never ran");
        drop(conn);
        writer.close().await;
        let closed = writer.run(|conn| Box::pin(async move { sqlx::query("SELECT 1").execute(conn).await.map(|_| ()) })).await;
        assert!(matches!(closed.err(), Some(sqlx::Error::PoolClosed)));
    }
}

//! All SQL lives under `store/`. One SQL string per query with `$N` placeholders, run on
//! Postgres or SQLite through the `on_db!` dispatch: the same sqlx expression compiles for
//! both pools, so there is no `Any` driver and no second copy of the SQL.

mod abuse;
// --- admusers: the admin dashboard's user and org lists ---
mod account_tokens;
mod admin_conf; // admconf
mod admin_users;
mod app_settings;
mod audit;
mod backend_orgs;
mod client_cache;
mod clients;
// Issue 11 (sec2): credential retirement, owner-keeping membership changes.
mod credentials;
mod org_owners;
pub use org_owners::{MembershipChange, OwnerGuarded};
mod admin_guard;
pub use admin_guard::{AdminChange, AdminGuarded};
mod end_user_keys;
mod error;
mod files;
mod grant_users;
mod grants;
mod health;
mod integration_keys;
mod lookups;
mod magic_links;
mod mfa;
mod one_time_tokens;
mod orgs;
mod outbox;
mod paging;
mod readers;
mod sessions;
mod signing_keys;
mod users;
mod writer;

pub use account_tokens::AccountTokenRow;
// --- admusers ---
pub use admin_conf::AuditFilter; // admconf
pub use admin_users::{ListCursor, ListPage, Matching};
pub use audit::{AuditRow, Counts};
pub use backend_orgs::{OrgFilter, OrgOrder};
pub use clients::{ClientRow, SecretRotation};
pub use end_user_keys::{EndUserKeyRow, KeyFilter, KeyKind};
pub use error::StoreError;
pub use files::create_private_dir;
pub use grants::{AuthCodeRow, AuthRequestRow, GrantRow, IssuedTokens, RefreshTokenRow};
pub use integration_keys::IntegrationKeyRow;
pub use magic_links::MagicLinkRow;
pub use mfa::MfaRow;
pub use one_time_tokens::OneTimeTokenRow;
pub use orgs::{InviteRow, MemberRow, MembershipRow, OrgRow, RoleRow};
pub use outbox::{DeliveryStatus, FailedEmail, OutboxRow};
pub use sessions::SessionRow;
pub use signing_keys::SigningKeyRow;
pub use users::{NewUser, UserFilter, UserOrder, UserProfile, UserRow};

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqliteDb),
}

/// SQLite allows one writer at a time. With one pool of 8 connections, concurrent writers
/// collided on the write lock and SQLite's busy handler made the losers sleep and retry
/// (~1.8 `clock_nanosleep` per client-credentials token in the issue 12 profile). Writes now
/// go through exactly one connection (`writer::Writer`), so they queue in FIFO order instead of
/// sleeping, while reads (WAL: never blocked by the writer) have connections of their own
/// (`readers::Readers`).
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub(crate) read: std::sync::Arc<readers::Readers>,
    pub(crate) write: std::sync::Arc<writer::Writer>,
}

/// Runs one sqlx expression (a read) against whichever pool backs the store.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body,
            $crate::store::Db::Sqlite(sqlite) => match sqlite.read.acquire().await {
                Ok(mut reader) => {
                    let $pool = &mut *reader;
                    $body
                }
                Err(e) => Err(e),
            },
        }
    };
}
pub(crate) use on_db;

/// Like `on_db!` for expressions that write (transactions, `INSERT … RETURNING`): on SQLite
/// they run on the single writer connection.
macro_rules! on_db_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body,
            $crate::store::Db::Sqlite(sqlite) => match sqlite.write.lock().await {
                Ok(mut writer) => {
                    let $pool = &mut *writer;
                    $body
                }
                Err(e) => Err(e),
            },
        }
    };
}
pub(crate) use on_db_write;

/// Like `on_db_write!`, for the writes on the busiest paths (the code flow, refresh, sign-in):
/// on SQLite the body runs on the writer's own thread (`writer::Writer::run`), which holds
/// the write lock only while SQLite works. The body is moved there: it must own what it binds.
macro_rules! on_db_write_owned {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body,
            $crate::store::Db::Sqlite(sqlite) => sqlite.write.run(move |$pool| Box::pin(async move { $body })).await,
        }
    };
}
pub(crate) use on_db_write_owned;

/// `exec!` on the writer's own thread (`on_db_write_owned!`).
macro_rules! exec_owned {
    ($db:expr, $pool:ident => $body:expr) => {
        $crate::store::on_db_write_owned!($db, $pool => $body.map(|r| r.rows_affected()))
    };
}
pub(crate) use exec_owned;

/// Like `on_db_write!` for statements: yields the number of rows affected.
macro_rules! exec {
    ($db:expr, $pool:ident => $body:expr) => {
        $crate::store::on_db_write!($db, $pool => $body.map(|r| r.rows_affected()))
    };
}
pub(crate) use exec;

#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) health: std::sync::Arc<health::Health>,
    pub(crate) clients: std::sync::Arc<client_cache::ClientCache>,
}

/// A pooled Postgres connection idle this long is pinged before it is used again.
const PG_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How long a query waits for a connection (or, on SQLite, for the write lock) before the
/// request is answered "temporarily unavailable".
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

impl Store {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    pub async fn connect_with_timeout(url: &str, acquire_timeout: Duration) -> Result<Self, StoreError> {
        let (db, target) = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(acquire_timeout);
            if !url.contains(":memory:") && !url.contains("mode=memory") {
                files::prepare_sqlite_file(opts.get_filename())?;
            }
            // The writer first: it creates the file and switches it to WAL before readers open it.
            // Neither is a sqlx pool: see `writer.rs` and `readers.rs` (issue 12).
            let write = std::sync::Arc::new(writer::Writer::connect(&opts, acquire_timeout).await?);
            let read = std::sync::Arc::new(readers::Readers::new(opts.clone(), 8, acquire_timeout));
            (Db::Sqlite(SqliteDb { read, write }), health::ProbeTarget::Sqlite(opts))
        } else {
            let opts = PgConnectOptions::from_str(url)?;
            // sqlx pings a connection before every use by default: a round trip (and backend
            // work) per statement. Only a connection that sat idle may have gone stale (a
            // restarted server), so only those are pinged (issue 12). One used in the last
            // second that failed was already closed by sqlx's check when it was handed back.
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(acquire_timeout)
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PG_PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(opts.clone())
                .await?;
            (Db::Postgres(pool), health::ProbeTarget::Postgres(opts))
        };
        Ok(Self { db, health: health::Health::new(target), clients: Default::default() })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
            Db::Sqlite(sqlite) => SQLITE_MIGRATIONS.run(&mut *sqlite.write.lock().await?).await?,
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        on_db!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Postgres(pool) => pool.close().await,
            Db::Sqlite(sqlite) => {
                sqlite.read.close().await;
                sqlite.write.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    fn names(dir: &str) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(dir).expect("migrations dir").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
        let postgres = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}

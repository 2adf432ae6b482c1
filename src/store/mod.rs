//! All SQL lives under `store/`. One SQL string per query with `$N` placeholders, run on
//! Postgres or SQLite through the `on_db!` dispatch: the same sqlx expression compiles for
//! both pools, so there is no `Any` driver and no second copy of the SQL.

mod abuse;
mod account_tokens;
mod admin_conf; // admconf
mod app_settings;
mod audit;
mod backend_orgs;
mod clients;
mod end_user_keys;
mod error;
mod grants;
mod integration_keys;
mod magic_links;
mod mfa;
mod one_time_tokens;
mod orgs;
mod outbox;
mod sessions;
mod signing_keys;
mod users;

pub use account_tokens::AccountTokenRow;
pub use admin_conf::AuditFilter; // admconf
pub use audit::{AuditRow, Counts};
pub use backend_orgs::{OrgFilter, OrgOrder};
pub use clients::ClientRow;
pub use end_user_keys::{EndUserKeyRow, KeyFilter, KeyKind};
pub use error::StoreError;
pub use grants::{AuthCodeRow, AuthRequestRow, GrantRow, IssuedTokens, RefreshTokenRow};
pub use integration_keys::IntegrationKeyRow;
pub use magic_links::MagicLinkRow;
pub use mfa::MfaRow;
pub use one_time_tokens::OneTimeTokenRow;
pub use orgs::{InviteRow, MemberRow, MembershipRow, OrgRow, RoleRow};
pub use outbox::OutboxRow;
pub use sessions::SessionRow;
pub use signing_keys::SigningKeyRow;
pub use users::{NewUser, UserFilter, UserOrder, UserProfile, UserRow};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs one sqlx expression against whichever pool backs the store.
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body,
            $crate::store::Db::Sqlite($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// Like `on_db!` for statements: yields the number of rows affected.
macro_rules! exec {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::store::Db::Postgres($pool) => $body.map(|r| r.rows_affected()),
            $crate::store::Db::Sqlite($pool) => $body.map(|r| r.rows_affected()),
        }
    };
}
pub(crate) use exec;

#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
}

impl Store {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Setup(format!("cannot create {}: {e}", parent.display())))?;
            }
            Db::Sqlite(SqlitePoolOptions::new().max_connections(8).connect_with(opts).await?)
        } else {
            let opts = PgConnectOptions::from_str(url)?;
            Db::Postgres(PgPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect_with(opts).await?)
        };
        Ok(Self { db })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.db {
            Db::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
            Db::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("SELECT 1").execute(pool).await)?;
        Ok(())
    }

    pub fn backend_name(&self) -> &'static str {
        match self.db {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    pub async fn close(&self) {
        on_db!(&self.db, pool => pool.close().await);
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

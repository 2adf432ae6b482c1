//! Small look-ups for operators: whether a database was ever initialised (management commands
//! never create one), and which clients or organizations already carry a name (names may
//! repeat; the CLI warns).

use super::{Db, Store, StoreError, on_db};
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

impl Store {
    /// Opens the database at `url` only if it exists and `serve` or `migrate` initialised it.
    /// `Ok(None)`: there is no such database (for SQLite: no file; for Postgres: no
    /// Gatehouse tables). Never creates a file.
    pub async fn open_existing(url: &str) -> Result<Option<Store>, StoreError> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?;
            let path = opts.get_filename();
            if path.as_os_str().is_empty() || path.to_string_lossy().contains(":memory:") || !path.is_file() {
                return Ok(None);
            }
        }
        let store = Store::connect(url).await?;
        if store.initialised().await? {
            Ok(Some(store))
        } else {
            store.close().await;
            Ok(None)
        }
    }

    /// Whether migrations were ever applied here. Dialects differ in where table names live.
    async fn initialised(&self) -> Result<bool, StoreError> {
        let n: i64 = match &self.db {
            Db::Sqlite(db) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'")
                    .fetch_one(&mut *db.read.acquire().await?)
                    .await?
            }
            Db::Postgres(pool) => sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            )
            .fetch_one(pool)
            .await?,
        };
        Ok(n > 0)
    }

    /// Ids of the OAuth clients with exactly this name, oldest first.
    pub async fn client_ids_named(&self, name: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM oauth_clients WHERE name = $1 ORDER BY created_at, id")
            .bind(name).fetch_all(pool).await)?)
    }

    /// Ids of the organizations with this name (case-insensitive), oldest first.
    pub async fn org_ids_named(&self, name: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar::<_, String>(
            "SELECT id FROM orgs WHERE LOWER(name) = LOWER($1) ORDER BY created_at, id")
            .bind(name).fetch_all(pool).await)?)
    }
}

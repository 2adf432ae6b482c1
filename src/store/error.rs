#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database set-up failed: {0}")]
    Setup(String),
    #[error("database error")]
    Db(#[source] sqlx::Error),
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error()
            && db.is_unique_violation()
        {
            return StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_string());
        }
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Db(other),
        }
    }
}

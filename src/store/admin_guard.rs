//! Changes to a user that must leave the instance with an admin who can sign in: demoting,
//! disabling or deleting. The check and the change run in one transaction that first locks
//! every enabled admin's row, so two admins demoting (or deleting) each other at once cannot
//! both pass the check (the same shape as `org_owners` for an org's top role).

use super::{Store, StoreError, on_db_write};
use sqlx::Connection as _; // `begin` on the SQLite writer (`writer::Writer`)

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminChange {
    Demote,
    Disable,
    Delete,
}

#[derive(Debug, PartialEq, Eq)]
pub enum AdminGuarded {
    Done,
    NotFound,
    /// The user is the last enabled admin; nothing was changed.
    LastAdmin,
}

impl Store {
    /// Applies `change` to the user unless they are the last enabled admin.
    pub async fn change_user_keeping_admin(&self, id: &str, change: AdminChange, now: i64) -> Result<AdminGuarded, StoreError> {
        Ok(on_db_write!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            // A no-op write on every enabled admin's row: concurrent guarded changes queue here
            // (row locks on Postgres, the write lock on SQLite), and each one counts after the
            // one before it has committed.
            sqlx::query("UPDATE users SET is_admin = is_admin WHERE is_admin = $1 AND enabled = $1")
                .bind(true).execute(&mut *tx).await?;
            let current: Option<(bool, bool)> = sqlx::query_as("SELECT is_admin, enabled FROM users WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?;
            let Some((is_admin, enabled)) = current else { return Ok(AdminGuarded::NotFound) };
            if is_admin && enabled {
                let (others,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM users WHERE is_admin = $1 AND enabled = $1 AND id <> $2")
                    .bind(true).bind(id).fetch_one(&mut *tx).await?;
                if others == 0 {
                    return Ok(AdminGuarded::LastAdmin);
                }
            }
            match change {
                AdminChange::Demote => {
                    sqlx::query("UPDATE users SET is_admin = $1, updated_at = $2 WHERE id = $3")
                        .bind(false).bind(now).bind(id).execute(&mut *tx).await?;
                }
                AdminChange::Disable => {
                    sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE id = $3")
                        .bind(false).bind(now).bind(id).execute(&mut *tx).await?;
                }
                AdminChange::Delete => {
                    sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(AdminGuarded::Done)
        }.await)?)
    }
}

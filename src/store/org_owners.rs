//! Membership changes that must leave an org with someone in its top role (issue 11 item 15):
//! the check and the change run in one transaction that first locks the org's row, so two
//! Owners demoting or removing each other at once cannot both pass the check.

use super::{Store, StoreError, on_db_write};
use sqlx::Connection as _; // `begin` on the SQLite writer (`writer::Writer`)

pub enum MembershipChange<'a> {
    Role { role: &'a str, additional: &'a str },
    Remove,
}

#[derive(Debug, PartialEq, Eq)]
pub enum OwnerGuarded {
    Done,
    NotAMember,
    /// The change would leave no member in the top role; nothing was changed.
    LastOwner,
}

impl Store {
    /// Applies `change` to the membership; when `top` is given, refuses (and changes nothing)
    /// if the member holds `top` now and would be the last one to lose it.
    pub async fn change_membership_keeping_owner(
        &self,
        org_id: &str,
        user_id: &str,
        change: MembershipChange<'_>,
        top: Option<&str>,
    ) -> Result<OwnerGuarded, StoreError> {
        Ok(on_db_write!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            // A no-op write on the org row: concurrent changes to this org's members queue here
            // (a row lock on Postgres, the write lock on SQLite).
            sqlx::query("UPDATE orgs SET name = name WHERE id = $1").bind(org_id).execute(&mut *tx).await?;
            let current: Option<(String,)> = sqlx::query_as("SELECT role FROM org_memberships WHERE org_id = $1 AND user_id = $2")
                .bind(org_id).bind(user_id).fetch_optional(&mut *tx).await?;
            let Some((role,)) = current else { return Ok(OwnerGuarded::NotAMember) };
            if let Some(top) = top {
                let keeps_top = matches!(change, MembershipChange::Role { role: new, .. } if new == top);
                if role == top && !keeps_top {
                    let (others,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM org_memberships WHERE org_id = $1 AND role = $2 AND user_id <> $3")
                        .bind(org_id).bind(top).bind(user_id).fetch_one(&mut *tx).await?;
                    if others == 0 {
                        return Ok(OwnerGuarded::LastOwner);
                    }
                }
            }
            match change {
                MembershipChange::Role { role, additional } => {
                    sqlx::query("UPDATE org_memberships SET role = $3, additional_roles = $4 WHERE org_id = $1 AND user_id = $2")
                        .bind(org_id).bind(user_id).bind(role).bind(additional).execute(&mut *tx).await?;
                }
                MembershipChange::Remove => {
                    sqlx::query("DELETE FROM org_memberships WHERE org_id = $1 AND user_id = $2")
                        .bind(org_id).bind(user_id).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(OwnerGuarded::Done)
        }.await)?)
    }
}

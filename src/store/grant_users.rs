//! A user grant read together with its user: the token endpoint (code and refresh) and
//! userinfo need both, and one joined statement costs one round trip where two cost two
//! (issue 12: the code flow read the grant and then its user on both calls).

use super::grants::GrantRow;
use super::users::{USER_COLUMNS, UserRow};
use super::{Store, StoreError, on_db};
use std::sync::LazyLock;

/// The grant's columns under a `grant_` prefix (users have `id` and `created_at` too).
#[derive(sqlx::FromRow)]
struct GrantUserRow {
    grant_id: String,
    grant_client_id: String,
    grant_user_id: Option<String>,
    grant_scope: String,
    grant_auth_time: Option<i64>,
    grant_login_method: Option<String>,
    grant_active_org_id: Option<String>,
    grant_created_at: i64,
    grant_revoked_at: Option<i64>,
    #[sqlx(flatten)]
    user: UserRow,
}

impl GrantUserRow {
    fn split(self) -> (GrantRow, UserRow) {
        let grant = GrantRow {
            id: self.grant_id,
            client_id: self.grant_client_id,
            user_id: self.grant_user_id,
            scope: self.grant_scope,
            auth_time: self.grant_auth_time,
            login_method: self.grant_login_method,
            active_org_id: self.grant_active_org_id,
            created_at: self.grant_created_at,
            revoked_at: self.grant_revoked_at,
        };
        (grant, self.user)
    }
}

/// `SELECT <grant_… columns>, <u.… columns>`; the query adds `FROM … grants g JOIN users u`.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    let user: Vec<String> = USER_COLUMNS.split(',').map(|c| format!("u.{}", c.trim())).collect();
    format!(
        "SELECT g.id AS grant_id, g.client_id AS grant_client_id, g.user_id AS grant_user_id, g.scope AS grant_scope, \
         g.auth_time AS grant_auth_time, g.login_method AS grant_login_method, g.active_org_id AS grant_active_org_id, \
         g.created_at AS grant_created_at, g.revoked_at AS grant_revoked_at, {}",
        user.join(", ")
    )
});

impl Store {
    /// A grant and its user (revoked or not, enabled or not: the caller decides). `None` for
    /// an unknown grant or one without a user (client credentials).
    pub async fn grant_with_user(&self, grant_id: &str) -> Result<Option<(GrantRow, UserRow)>, StoreError> {
        let sql = format!("{} FROM grants g JOIN users u ON u.id = g.user_id WHERE g.id = $1", *SELECT);
        let row = on_db!(&self.db, pool => sqlx::query_as::<_, GrantUserRow>(&sql).bind(grant_id).fetch_optional(pool).await)?;
        Ok(row.map(GrantUserRow::split))
    }

    /// `live_access_token_grant` with the grant's user (enabled or not: the caller decides).
    pub async fn live_access_token_grant_with_user(&self, jti: &str) -> Result<Option<(GrantRow, UserRow)>, StoreError> {
        let sql = format!(
            "{} FROM access_tokens t JOIN grants g ON g.id = t.grant_id JOIN users u ON u.id = g.user_id \
             WHERE t.jti = $1 AND t.revoked_at IS NULL AND g.revoked_at IS NULL",
            *SELECT
        );
        let row = on_db!(&self.db, pool => sqlx::query_as::<_, GrantUserRow>(&sql).bind(jti).fetch_optional(pool).await)?;
        Ok(row.map(GrantUserRow::split))
    }
}

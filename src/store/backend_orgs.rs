//! Org queries only the backend API needs: filtered, ordered pages and every pending invite.

use super::orgs::{InviteRow, OrgRow};
use super::users::escape_like;
use super::{Store, StoreError, on_db};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgOrder {
    CreatedAtAsc,
    CreatedAtDesc,
    Name,
}

impl OrgOrder {
    fn sql(self) -> &'static str {
        match self {
            OrgOrder::CreatedAtAsc => "created_at ASC, id ASC",
            OrgOrder::CreatedAtDesc => "created_at DESC, id DESC",
            OrgOrder::Name => "LOWER(name) ASC, id ASC",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct OrgFilter {
    /// Lower-case substring of the name.
    pub name: Option<String>,
    pub legacy_org_id: Option<String>,
    pub domain: Option<String>,
}

const ORG_COLUMNS: &str = "id, name, url_safe_name, metadata, max_users, domain, extra_domains, domain_autojoin, domain_restrict, \
     legacy_org_id, custom_role_mapping_name, require_2fa_by, can_setup_saml, created_at";
const ORG_FILTER: &str =
    "($1 IS NULL OR LOWER(name) LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR legacy_org_id = $2) AND ($3 IS NULL OR domain = $3)";

impl Store {
    pub async fn query_orgs(&self, f: &OrgFilter, order: OrgOrder, limit: i64, offset: i64) -> Result<(Vec<OrgRow>, i64), StoreError> {
        let pattern = f.name.as_ref().map(|s| format!("%{}%", escape_like(s)));
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE {ORG_FILTER} ORDER BY {} LIMIT $4 OFFSET $5", order.sql());
        let rows = on_db!(&self.db, pool => sqlx::query_as::<_, OrgRow>(&sql)
            .bind(&pattern).bind(&f.legacy_org_id).bind(&f.domain).bind(limit).bind(offset).fetch_all(pool).await)?;
        let count_sql = format!("SELECT COUNT(*) FROM orgs WHERE {ORG_FILTER}");
        let (total,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(&count_sql)
            .bind(&pattern).bind(&f.legacy_org_id).bind(&f.domain).fetch_one(pool).await)?;
        Ok((rows, total))
    }

    /// Pending invites of every org, newest first.
    pub async fn all_pending_invites(&self, now: i64) -> Result<Vec<InviteRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, InviteRow>(
            "SELECT token_hash, org_id, email, role, additional_roles, inviter_user_id, created_at, expires_at, accepted_at, revoked_at \
             FROM org_invites WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1 ORDER BY created_at DESC")
            .bind(now).fetch_all(pool).await)?)
    }
}

//! Org queries only the backend API needs: filtered, ordered pages and every pending invite.

use super::orgs::{InviteRow, OrgRow};
use super::users::{USER_COLUMNS, UserRow, escape_like};
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
/// The WHERE clause for the filters given, in bind order: name pattern, legacy id, domain.
fn org_where(pattern: Option<&String>, f: &OrgFilter) -> (String, Vec<String>) {
    let mut conds = Vec::new();
    let mut binds = Vec::new();
    for (value, cond) in
        [(pattern, "LOWER(name) LIKE $N ESCAPE '\\'"), (f.legacy_org_id.as_ref(), "legacy_org_id = $N"), (f.domain.as_ref(), "domain = $N")]
    {
        if let Some(v) = value {
            binds.push(v.clone());
            conds.push(cond.replace("$N", &format!("${}", binds.len())));
        }
    }
    (if conds.is_empty() { "TRUE".to_string() } else { conds.join(" AND ") }, binds)
}

impl Store {
    pub async fn query_orgs(&self, f: &OrgFilter, order: OrgOrder, limit: i64, offset: i64) -> Result<(Vec<OrgRow>, i64), StoreError> {
        let pattern = f.name.as_ref().map(|s| format!("%{}%", escape_like(s)));
        let (cond, binds) = org_where(pattern.as_ref(), f);
        let n = binds.len();
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE {cond} ORDER BY {} LIMIT ${} OFFSET ${}", order.sql(), n + 1, n + 2);
        let count_sql = format!("SELECT COUNT(*) FROM orgs WHERE {cond}");
        let binds: Vec<&str> = binds.iter().map(String::as_str).collect();
        self.page_and_count(&sql, &count_sql, &binds, limit, offset).await
    }

    /// One page of an org's members (by email), optionally with one role, as user rows in
    /// one query, and how many there are. Paged and counted in SQL: a 50,000-member org no
    /// longer loads every member to show 10.
    pub async fn org_member_page(
        &self,
        org_id: &str,
        role: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<UserRow>, i64), StoreError> {
        let members = if role.is_some() {
            "SELECT user_id FROM org_memberships WHERE org_id = $1 AND role = $2"
        } else {
            "SELECT user_id FROM org_memberships WHERE org_id = $1"
        };
        let n = if role.is_some() { 2 } else { 1 };
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id IN ({members}) ORDER BY email LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let count_sql = format!("SELECT COUNT(*) FROM ({members}) m");
        let binds: Vec<&str> = [Some(org_id), role].into_iter().flatten().collect();
        self.page_and_count(&sql, &count_sql, &binds, limit, offset).await
    }

    /// Pending invites of every org, newest first.
    pub async fn all_pending_invites(&self, now: i64) -> Result<Vec<InviteRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, InviteRow>(
            "SELECT token_hash, org_id, email, role, additional_roles, inviter_user_id, created_at, expires_at, accepted_at, revoked_at \
             FROM org_invites WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1 ORDER BY created_at DESC")
            .bind(now).fetch_all(pool).await)?)
    }
}

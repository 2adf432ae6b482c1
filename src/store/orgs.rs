//! Organizations, memberships, invitations and role structures.

use super::{Store, StoreError, exec, on_db, on_db_write};
use sqlx::Connection as _; // `begin` on the SQLite writer (`writer::Writer`)

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub url_safe_name: String,
    pub metadata: String,
    pub max_users: Option<i64>,
    pub domain: Option<String>,
    pub extra_domains: String,
    pub domain_autojoin: bool,
    pub domain_restrict: bool,
    pub legacy_org_id: Option<String>,
    pub custom_role_mapping_name: Option<String>,
    pub require_2fa_by: Option<i64>,
    pub can_setup_saml: bool,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MembershipRow {
    pub org_id: String,
    pub user_id: String,
    pub role: String,
    pub additional_roles: String,
    pub created_at: i64,
}

/// A membership joined with its user's email and name, for member lists.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: String,
    pub additional_roles: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InviteRow {
    pub token_hash: String,
    pub org_id: String,
    pub email: String,
    pub role: String,
    pub additional_roles: String,
    pub inviter_user_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RoleRow {
    pub mapping_name: String,
    pub name: String,
    pub rank: i64,
    pub permissions: String,
}

const ORG_COLUMNS: &str = "id, name, url_safe_name, metadata, max_users, domain, extra_domains, domain_autojoin, domain_restrict, \
     legacy_org_id, custom_role_mapping_name, require_2fa_by, can_setup_saml, created_at";
const INVITE_COLUMNS: &str =
    "token_hash, org_id, email, role, additional_roles, inviter_user_id, created_at, expires_at, accepted_at, revoked_at";

impl Store {
    pub async fn insert_org(&self, o: &OrgRow) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO orgs ({ORG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
        exec!(&self.db, pool => sqlx::query(&sql)
            .bind(&o.id).bind(&o.name).bind(&o.url_safe_name).bind(&o.metadata).bind(o.max_users).bind(&o.domain)
            .bind(&o.extra_domains).bind(o.domain_autojoin).bind(o.domain_restrict).bind(&o.legacy_org_id)
            .bind(&o.custom_role_mapping_name).bind(o.require_2fa_by).bind(o.can_setup_saml).bind(o.created_at)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn update_org(&self, o: &OrgRow) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query(
            "UPDATE orgs SET name = $2, url_safe_name = $3, metadata = $4, max_users = $5, domain = $6, extra_domains = $7, \
             domain_autojoin = $8, domain_restrict = $9, legacy_org_id = $10, custom_role_mapping_name = $11, require_2fa_by = $12, \
             can_setup_saml = $13 WHERE id = $1")
            .bind(&o.id).bind(&o.name).bind(&o.url_safe_name).bind(&o.metadata).bind(o.max_users).bind(&o.domain)
            .bind(&o.extra_domains).bind(o.domain_autojoin).bind(o.domain_restrict).bind(&o.legacy_org_id)
            .bind(&o.custom_role_mapping_name).bind(o.require_2fa_by).bind(o.can_setup_saml)
            .execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_org(&self, id: &str) -> Result<bool, StoreError> {
        Ok(exec!(&self.db, pool => sqlx::query("DELETE FROM orgs WHERE id = $1").bind(id).execute(pool).await)? == 1)
    }

    pub async fn org_by_id(&self, id: &str) -> Result<Option<OrgRow>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, OrgRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    pub async fn org_slug_taken(&self, slug: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> =
            on_db!(&self.db, pool => sqlx::query_as("SELECT id FROM orgs WHERE url_safe_name = $1").bind(slug).fetch_optional(pool).await)?;
        Ok(row.is_some())
    }

    /// Orgs whose primary domain is `domain` and that let matching users join.
    pub async fn autojoin_orgs_for_domain(&self, domain: &str) -> Result<Vec<OrgRow>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM orgs WHERE domain = $1 AND domain_autojoin = $2 ORDER BY name");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, OrgRow>(&sql).bind(domain).bind(true).fetch_all(pool).await)?)
    }

    pub async fn insert_membership(&self, m: &MembershipRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO org_memberships (org_id, user_id, role, additional_roles, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&m.org_id).bind(&m.user_id).bind(&m.role).bind(&m.additional_roles).bind(m.created_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn membership(&self, org_id: &str, user_id: &str) -> Result<Option<MembershipRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, MembershipRow>(
            "SELECT org_id, user_id, role, additional_roles, created_at FROM org_memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id).bind(user_id).fetch_optional(pool).await)?)
    }

    pub async fn update_membership_role(&self, org_id: &str, user_id: &str, role: &str, additional: &str) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query(
            "UPDATE org_memberships SET role = $3, additional_roles = $4 WHERE org_id = $1 AND user_id = $2")
            .bind(org_id).bind(user_id).bind(role).bind(additional).execute(pool).await)?;
        Ok(n == 1)
    }

    pub async fn delete_membership(&self, org_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query("DELETE FROM org_memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id).bind(user_id).execute(pool).await)?;
        Ok(n == 1)
    }

    pub async fn count_members(&self, org_id: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as("SELECT COUNT(*) FROM org_memberships WHERE org_id = $1")
            .bind(org_id).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn count_members_with_role(&self, org_id: &str, role: &str) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as("SELECT COUNT(*) FROM org_memberships WHERE org_id = $1 AND role = $2")
            .bind(org_id).bind(role).fetch_one(pool).await)?;
        Ok(n)
    }

    /// Every org the user belongs to, with the membership, ordered by org name.
    pub async fn memberships_of_user(&self, user_id: &str) -> Result<Vec<(OrgRow, MembershipRow)>, StoreError> {
        let memberships: Vec<MembershipRow> = on_db!(&self.db, pool => sqlx::query_as::<_, MembershipRow>(
            "SELECT org_id, user_id, role, additional_roles, created_at FROM org_memberships WHERE user_id = $1")
            .bind(user_id).fetch_all(pool).await)?;
        let mut out = Vec::with_capacity(memberships.len());
        for m in memberships {
            if let Some(org) = self.org_by_id(&m.org_id).await? {
                out.push((org, m));
            }
        }
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        Ok(out)
    }

    pub async fn members_of_org(&self, org_id: &str) -> Result<Vec<MemberRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, MemberRow>(
            "SELECT m.user_id, u.email, u.first_name, u.last_name, m.role, m.additional_roles, m.created_at \
             FROM org_memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.email")
            .bind(org_id).fetch_all(pool).await)?)
    }

    pub async fn insert_invite(&self, i: &InviteRow) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO org_invites ({INVITE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
        exec!(&self.db, pool => sqlx::query(&sql)
            .bind(&i.token_hash).bind(&i.org_id).bind(&i.email).bind(&i.role).bind(&i.additional_roles).bind(&i.inviter_user_id)
            .bind(i.created_at).bind(i.expires_at).bind(i.accepted_at).bind(i.revoked_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn invite_by_hash(&self, token_hash: &str) -> Result<Option<InviteRow>, StoreError> {
        let sql = format!("SELECT {INVITE_COLUMNS} FROM org_invites WHERE token_hash = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, InviteRow>(&sql).bind(token_hash).fetch_optional(pool).await)?)
    }

    /// Pending (unaccepted, unrevoked, unexpired) invites of an org, newest first.
    pub async fn pending_invites(&self, org_id: &str, now: i64) -> Result<Vec<InviteRow>, StoreError> {
        let sql = format!(
            "SELECT {INVITE_COLUMNS} FROM org_invites WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL \
             AND expires_at > $2 ORDER BY created_at DESC"
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, InviteRow>(&sql).bind(org_id).bind(now).fetch_all(pool).await)?)
    }

    /// Marks an invite accepted; false if it was used, revoked or expired meanwhile.
    pub async fn accept_invite(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query(
            "UPDATE org_invites SET accepted_at = $1 WHERE token_hash = $2 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1")
            .bind(now).bind(token_hash).execute(pool).await)?;
        Ok(n == 1)
    }

    /// Revokes every pending invite of `email` to `org_id`; returns how many.
    pub async fn revoke_invites(&self, org_id: &str, email: &str, now: i64) -> Result<u64, StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE org_invites SET revoked_at = $1 WHERE org_id = $2 AND email = $3 AND accepted_at IS NULL AND revoked_at IS NULL")
            .bind(now).bind(org_id).bind(email).execute(pool).await)
        .map_err(StoreError::from)
    }

    pub async fn roles_of_mapping(&self, mapping: &str) -> Result<Vec<RoleRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, RoleRow>(
            "SELECT mapping_name, name, rank, permissions FROM roles WHERE mapping_name = $1 ORDER BY rank")
            .bind(mapping).fetch_all(pool).await)?)
    }

    pub async fn role_mapping_multi_role(&self, mapping: &str) -> Result<Option<bool>, StoreError> {
        let row: Option<(bool,)> = on_db!(&self.db, pool => sqlx::query_as("SELECT multi_role FROM role_mappings WHERE name = $1")
            .bind(mapping).fetch_optional(pool).await)?;
        Ok(row.map(|r| r.0))
    }

    pub async fn role_mapping_names(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, (String, i64)>(
            "SELECT r.name, (SELECT COUNT(*) FROM orgs o WHERE COALESCE(o.custom_role_mapping_name, 'Default') = r.name) \
             FROM role_mappings r ORDER BY r.name")
            .fetch_all(pool).await)?)
    }

    /// Roles of a mapping still assigned to someone (they cannot be dropped).
    pub async fn roles_in_use(&self, mapping: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT DISTINCT m.role FROM org_memberships m JOIN orgs o ON o.id = m.org_id \
             WHERE COALESCE(o.custom_role_mapping_name, 'Default') = $1")
            .bind(mapping).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Replaces a mapping's roles in one transaction.
    pub async fn replace_role_mapping(
        &self,
        mapping: &str,
        multi_role: bool,
        roles: &[(String, String)],
        now: i64,
    ) -> Result<(), StoreError> {
        on_db_write!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO role_mappings (name, multi_role, created_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (name) DO UPDATE SET multi_role = $2")
                .bind(mapping).bind(multi_role).bind(now).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM roles WHERE mapping_name = $1").bind(mapping).execute(&mut *tx).await?;
            for (rank, (name, permissions)) in roles.iter().enumerate() {
                sqlx::query("INSERT INTO roles (mapping_name, name, rank, permissions) VALUES ($1, $2, $3, $4)")
                    .bind(mapping).bind(name).bind(rank as i64).bind(permissions).execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// True when the user belongs to an org whose MFA requirement is in force.
    pub async fn user_in_org_requiring_mfa(&self, user_id: &str, now: i64) -> Result<bool, StoreError> {
        let row: Option<(String,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT o.id FROM org_memberships m JOIN orgs o ON o.id = m.org_id \
             WHERE m.user_id = $1 AND o.require_2fa_by IS NOT NULL AND o.require_2fa_by <= $2 LIMIT 1")
            .bind(user_id).bind(now).fetch_optional(pool).await)?;
        Ok(row.is_some())
    }

    pub async fn set_user_can_create_orgs(&self, user_id: &str, allowed: bool) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query("UPDATE users SET can_create_orgs = $1 WHERE id = $2")
            .bind(allowed).bind(user_id).execute(pool).await)?;
        Ok(n == 1)
    }

    pub async fn user_can_create_orgs(&self, user_id: &str) -> Result<Option<bool>, StoreError> {
        let row: Option<(bool,)> = on_db!(&self.db, pool => sqlx::query_as("SELECT can_create_orgs FROM users WHERE id = $1")
            .bind(user_id).fetch_optional(pool).await)?;
        Ok(row.map(|r| r.0))
    }
}

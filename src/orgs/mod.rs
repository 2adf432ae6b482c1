//! Organizations: creation, role structures, membership rules, invitations, and the
//! OrgMemberInfo claims every user access token carries (contract §6–7).

pub mod invites;
pub mod membership;
pub mod roles;
pub mod view;

use crate::state::AppState;
use crate::store::{MembershipRow, OrgRow, Store, StoreError};
use roles::{Role, RoleStructure};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

pub const DEFAULT_MAPPING: &str = "Default";

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("organization not found")]
    OrgNotFound,
    #[error("user not found")]
    UserNotFound,
    #[error("the user is not a member of this organization")]
    NotAMember,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("this invitation is invalid, expired, or was already used")]
    InviteInvalid,
    /// The invitation email could not be queued (the invitation was withdrawn).
    #[error("the invitation email could not be queued: {0}")]
    Email(#[from] crate::email::EmailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who is acting: the backend API and the CLI act as the system (no role checks);
/// hosted pages act as a user, who is held to the membership rules.
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    System,
    User(&'a str),
}

pub fn parse_list(json_text: &str) -> Vec<String> {
    serde_json::from_str(json_text).unwrap_or_default()
}

pub async fn load_structure(store: &Store, mapping: &str) -> Result<Option<RoleStructure>, StoreError> {
    let Some(multi_role) = store.role_mapping_multi_role(mapping).await? else {
        return Ok(None);
    };
    let roles = store
        .roles_of_mapping(mapping)
        .await?
        .into_iter()
        .map(|r| Role { name: r.name, permissions: parse_list(&r.permissions) })
        .collect();
    Ok(Some(RoleStructure { name: mapping.to_string(), multi_role, roles }))
}

/// The role structure an org uses.
pub async fn structure_of(store: &Store, org: &OrgRow) -> Result<RoleStructure, StoreError> {
    let mapping = org.custom_role_mapping_name.as_deref().unwrap_or(DEFAULT_MAPPING);
    match load_structure(store, mapping).await? {
        Some(s) => Ok(s),
        None => load_structure(store, DEFAULT_MAPPING).await?.ok_or(StoreError::NotFound),
    }
}

/// Replaces a role structure (`gatehouse roles set` and the admin dashboard), renaming roles
/// for the members and invitations that hold them (`renames`: `(old, new)` pairs), recorded
/// as `roles.updated` by `by`'s actor. Roles still assigned to members cannot disappear.
pub async fn save_structure(
    state: &AppState,
    by: crate::auth::audit::Event<'_>,
    structure: &RoleStructure,
    renames: &[(String, String)],
) -> Result<(), OrgError> {
    structure.validate().map_err(OrgError::Invalid)?;
    let current = load_structure(&state.store, &structure.name).await?;
    let renames: Vec<(String, String)> = renames.iter().filter(|(old, new)| old != new).cloned().collect();
    for (i, (old, new)) in renames.iter().enumerate() {
        if current.as_ref().and_then(|c| c.rank(old)).is_none() {
            return Err(OrgError::Invalid(format!("there is no role `{old}` to rename")));
        }
        if structure.rank(new).is_none() || renames[..i].iter().any(|(o, _)| o == old) {
            return Err(OrgError::Invalid(format!("role `{old}` cannot be renamed to `{new}`")));
        }
    }
    let in_use = state.store.roles_in_use(&structure.name).await?;
    for role in &in_use {
        let after = renames.iter().find(|(old, _)| old == role).map(|(_, new)| new).unwrap_or(role);
        if structure.rank(after).is_none() {
            return Err(OrgError::Invalid(format!("role `{role}` is still assigned to members; change their role first")));
        }
    }
    let roles: Vec<(String, String)> =
        structure.roles.iter().map(|r| (r.name.clone(), serde_json::to_string(&r.permissions).unwrap_or_else(|_| "[]".into()))).collect();
    state.store.save_role_mapping(&structure.name, structure.multi_role, &roles, &renames, state.clock.now()).await?;
    let detail = json!({
        "multi_role": structure.multi_role,
        "roles": structure.roles.iter().map(|r| json!({ "name": r.name, "permissions": r.permissions })).collect::<Vec<_>>(),
        "renamed": renames.iter().map(|(old, new)| json!({ "from": old, "to": new })).collect::<Vec<_>>(),
    });
    let event = crate::auth::audit::Event { action: "roles.updated", subject: &structure.name, ..by };
    crate::auth::audit::record_event(&state.store, &state.clock, event, &detail).await?;
    Ok(())
}

/// `save_structure` without renames, recorded as done by the CLI (`gatehouse roles set`).
pub async fn set_structure(state: &AppState, structure: &RoleStructure) -> Result<(), OrgError> {
    let by = crate::auth::audit::Event { actor: "cli", action: "roles.updated", subject: "", ip: None };
    save_structure(state, by, structure, &[]).await
}

/// The PropelAuth OrgMemberInfo object (wire spec §3.2).
pub fn member_info(structure: &RoleStructure, org: &OrgRow, m: &MembershipRow) -> Value {
    let additional = if structure.multi_role { parse_list(&m.additional_roles) } else { Vec::new() };
    let metadata: Value = serde_json::from_str(&org.metadata).unwrap_or_else(|_| json!({}));
    json!({
        "org_id": org.id,
        "org_name": org.name,
        "url_safe_org_name": org.url_safe_name,
        "org_metadata": metadata,
        "user_role": m.role,
        "inherited_user_roles_plus_current_role": structure.inherited(&m.role, &additional),
        "user_permissions": structure.permissions(&m.role, &additional),
        "org_role_structure": structure.structure_name(),
        "additional_roles": additional,
        "legacy_org_id": org.legacy_org_id,
    })
}

/// Everything a token needs to know about a user's orgs, read once per issuance.
pub struct UserOrgs {
    pub by_id: Map<String, Value>,
}

impl UserOrgs {
    /// The compact list for the ID token and userinfo under scope `orgs`.
    pub fn compact(&self) -> Value {
        Value::Array(
            self.by_id.values().map(|i| json!({ "org_id": i["org_id"], "org_name": i["org_name"], "user_role": i["user_role"] })).collect(),
        )
    }
}

pub async fn user_orgs(store: &Store, user_id: &str) -> Result<UserOrgs, StoreError> {
    let mut structures: HashMap<String, RoleStructure> = HashMap::new();
    let mut by_id = Map::new();
    for (org, m) in store.memberships_of_user(user_id).await? {
        let key = org.custom_role_mapping_name.clone().unwrap_or_else(|| DEFAULT_MAPPING.into());
        if !structures.contains_key(&key) {
            structures.insert(key.clone(), structure_of(store, &org).await?);
        }
        if let Some(s) = structures.get(&key) {
            by_id.insert(org.id.clone(), member_info(s, &org, &m));
        }
    }
    Ok(UserOrgs { by_id })
}

/// A URL-safe slug from an org name: lowercase ASCII letters, digits and dashes.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() { "org".into() } else { slug.chars().take(60).collect() }
}

/// The part of an email address after the `@`.
pub fn email_domain(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

impl OrgRow {
    /// True when `email` may belong to this org under its domain restriction.
    pub fn email_allowed(&self, email: &str) -> bool {
        if !self.domain_restrict {
            return true;
        }
        let domain = email_domain(email);
        self.domain.as_deref() == Some(domain) || parse_list(&self.extra_domains).iter().any(|d| d == domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Acme, Inc."), "acme-inc");
        assert_eq!(slugify("  Ünïcode  Org "), "n-code-org");
        assert_eq!(slugify("!!!"), "org");
    }
}

//! Instance administration of organizations, shared by the admin dashboard and the CLI. An
//! instance admin acts with the backend API's and the CLI's powers (`Actor::System`: no
//! member role checks), while every membership rule (roles of the org's structure,
//! `max_users`, the domain restriction) still holds. Every action is audited.

use super::users::{AdminError, By, Found, parse_after};
use crate::orgs::membership::{self, NewOrg, OrgSettings};
use crate::orgs::roles::RoleStructure;
use crate::orgs::{self, Actor, invites, parse_list};
use crate::state::AppState;
use crate::store::{InviteRow, Matching, MemberRow, OrgRow, Store};
use crate::users;
use serde::Serialize;
use serde_json::json;

/// Orgs matching `q` (an id, or part of the name or domain), newest first, with their
/// member counts.
pub async fn search(store: &Store, q: &str, after: Option<&str>, limit: i64) -> Result<Found<(OrgRow, i64)>, AdminError> {
    let after = parse_after(after)?;
    let q = q.trim();
    let exact = if after.is_none() && !q.is_empty() { store.org_by_id(q).await? } else { None };
    let found = match exact {
        Some(org) => Found { rows: vec![org], next: None, exact: true },
        None => {
            let page = store.admin_orgs_page(&Matching::of(q), after.as_ref(), limit).await?;
            Found { rows: page.rows, next: page.next.map(|c| c.encode()), exact: false }
        }
    };
    let ids: Vec<String> = found.rows.iter().map(|o| o.id.clone()).collect();
    let counts = store.member_counts(&ids).await?;
    let rows = found
        .rows
        .into_iter()
        .map(|o| {
            let n = counts.iter().find(|(id, _)| *id == o.id).map(|(_, n)| *n).unwrap_or(0);
            (o, n)
        })
        .collect();
    Ok(Found { rows, next: found.next, exact: found.exact })
}

/// Everything the org page shows.
#[derive(Debug)]
pub struct OrgDetail {
    pub org: OrgRow,
    pub structure: RoleStructure,
    pub members: Vec<MemberRow>,
    pub invites: Vec<InviteRow>,
}

pub async fn require(store: &Store, id: &str) -> Result<OrgRow, AdminError> {
    store.org_by_id(id).await?.ok_or(AdminError::OrgNotFound)
}

pub async fn detail(state: &AppState, id: &str) -> Result<OrgDetail, AdminError> {
    let org = require(&state.store, id).await?;
    Ok(OrgDetail {
        structure: orgs::structure_of(&state.store, &org).await?,
        members: state.store.members_of_org(&org.id).await?,
        invites: state.store.pending_invites(&org.id, state.clock.now()).await?,
        org,
    })
}

/// What the dashboard's org form edits (and creates).
#[derive(Debug, Default)]
pub struct OrgForm {
    pub name: String,
    pub domain: Option<String>,
    pub autojoin_by_domain: bool,
    pub restrict_to_domain: bool,
    /// Blank: no limit.
    pub max_users: Option<String>,
    /// A JSON object; blank: `{}`.
    pub metadata: Option<String>,
    pub require_mfa: bool,
}

/// `(max_users, metadata)` from the form's text, or what is wrong with them.
fn parse_limits(form: &OrgForm) -> Result<(Option<i64>, serde_json::Value), AdminError> {
    let max_users = match form.max_users.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => Some(n),
            _ => return Err(AdminError::Invalid("max users must be a whole number of at least 1, or blank for no limit".into())),
        },
    };
    let metadata = match form.metadata.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => json!({}),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v @ serde_json::Value::Object(_)) => v,
            Ok(_) => return Err(AdminError::Invalid("metadata must be a JSON object, like {\"plan\": \"pro\"}".into())),
            Err(e) => return Err(AdminError::Invalid(format!("metadata is not valid JSON: {e}"))),
        },
    };
    Ok((max_users, metadata))
}

fn settings_of(form: &OrgForm) -> OrgSettings {
    OrgSettings {
        name: form.name.clone(),
        domain: form.domain.clone(),
        autojoin_by_domain: form.autojoin_by_domain,
        restrict_to_domain: form.restrict_to_domain,
        require_mfa: form.require_mfa,
    }
}

pub async fn create(state: &AppState, by: By<'_>, form: OrgForm) -> Result<OrgRow, AdminError> {
    let (max_users, metadata) = parse_limits(&form)?;
    let input = NewOrg {
        name: form.name.clone(),
        domain: form.domain.clone(),
        autojoin_by_domain: form.autojoin_by_domain,
        restrict_to_domain: form.restrict_to_domain,
        max_users,
        metadata: Some(metadata),
        ..Default::default()
    };
    let org = membership::create(state, input, None).await?;
    let org = if form.require_mfa { membership::update_settings(state, Actor::System, &org.id, settings_of(&form)).await? } else { org };
    by.record(state, "org.created", &org.id, json!({ "name": org.name, "domain": org.domain })).await?;
    Ok(org)
}

pub async fn update(state: &AppState, by: By<'_>, id: &str, form: OrgForm) -> Result<OrgRow, AdminError> {
    let before = require(&state.store, id).await?;
    let (max_users, metadata) = parse_limits(&form)?;
    let mut org = membership::update_settings(state, Actor::System, &before.id, settings_of(&form)).await?;
    org.max_users = max_users;
    org.metadata = metadata.to_string();
    state.store.update_org(&org).await?;
    let changed: Vec<&str> = [
        ("name", before.name != org.name),
        ("domain", before.domain != org.domain),
        ("autojoin_by_domain", before.domain_autojoin != org.domain_autojoin),
        ("restrict_to_domain", before.domain_restrict != org.domain_restrict),
        ("max_users", before.max_users != org.max_users),
        ("metadata", before.metadata != org.metadata),
        ("require_mfa", before.require_2fa_by.is_some() != org.require_2fa_by.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    by.record(state, "org.updated", &org.id, json!({ "fields": changed })).await?;
    Ok(org)
}

pub async fn delete(state: &AppState, by: By<'_>, id: &str) -> Result<(), AdminError> {
    let org = require(&state.store, id).await?;
    if !state.store.delete_org(&org.id).await? {
        return Err(AdminError::OrgNotFound);
    }
    by.record(state, "org.deleted", &org.id, json!({ "name": org.name })).await?;
    Ok(())
}

/// The role named `role` in the org's structure, matched without regard to case.
fn role_named(structure: &RoleStructure, role: &str) -> Result<String, AdminError> {
    let role = role.trim();
    structure.roles.iter().find(|r| r.name.eq_ignore_ascii_case(role)).map(|r| r.name.clone()).ok_or_else(|| {
        let names: Vec<&str> = structure.roles.iter().map(|r| r.name.as_str()).collect();
        AdminError::Invalid(format!("`{role}` is not a role in this organization; choose one of {}", names.join(", ")))
    })
}

async fn structure(state: &AppState, org_id: &str) -> Result<(OrgRow, RoleStructure), AdminError> {
    let org = require(&state.store, org_id).await?;
    let s = orgs::structure_of(&state.store, &org).await?;
    Ok((org, s))
}

/// Adds an existing user (by email address) with a role.
pub async fn add_member(state: &AppState, by: By<'_>, org_id: &str, email: &str, role: &str) -> Result<String, AdminError> {
    let (org, s) = structure(state, org_id).await?;
    let role = role_named(&s, role)?;
    let email = users::normalize_email(email)?;
    let user = state.store.user_by_email(&email).await?.ok_or_else(|| {
        AdminError::Invalid(format!("no user has the email address {email}; invite them instead, or create the user first"))
    })?;
    membership::add_member(state, &org.id, &user.id, &role, &[]).await?;
    by.record(state, "org.member_added", &org.id, json!({ "user_id": user.id, "email": email, "role": role })).await?;
    Ok(user.id)
}

pub async fn change_role(state: &AppState, by: By<'_>, org_id: &str, user_id: &str, role: &str) -> Result<(), AdminError> {
    let (org, s) = structure(state, org_id).await?;
    let role = role_named(&s, role)?;
    membership::change_role(state, Actor::System, &org.id, user_id, &role, None).await?;
    by.record(state, "org.role_changed", &org.id, json!({ "user_id": user_id, "role": role })).await?;
    Ok(())
}

pub async fn remove_member(state: &AppState, by: By<'_>, org_id: &str, user_id: &str) -> Result<(), AdminError> {
    let org = require(&state.store, org_id).await?;
    membership::remove_member(state, Actor::System, &org.id, user_id).await?;
    by.record(state, "org.member_removed", &org.id, json!({ "user_id": user_id })).await?;
    Ok(())
}

/// Emails an invitation (the link is in the email only; never shown or logged here).
pub async fn invite(state: &AppState, by: By<'_>, org_id: &str, email: &str, role: &str) -> Result<String, AdminError> {
    let (org, s) = structure(state, org_id).await?;
    let role = role_named(&s, role)?;
    let sent = invites::invite(state, Actor::System, &org.id, email, &role, &[]).await?;
    by.record(state, "org.invited", &org.id, json!({ "email": sent.invite.email, "role": role })).await?;
    Ok(sent.invite.email)
}

pub async fn revoke_invite(state: &AppState, by: By<'_>, org_id: &str, email: &str) -> Result<(), AdminError> {
    let org = require(&state.store, org_id).await?;
    invites::revoke(state, Actor::System, &org.id, email).await?;
    by.record(state, "org.invite_revoked", &org.id, json!({ "email": email.trim().to_lowercase() })).await?;
    Ok(())
}

/// An org in the CLI's JSON.
#[derive(Debug, Serialize)]
pub struct OrgSummary {
    pub org_id: String,
    pub name: String,
    pub domain: Option<String>,
    pub members: i64,
    pub max_users: Option<i64>,
    pub created_at: i64,
}

impl OrgSummary {
    pub fn new(o: &OrgRow, members: i64) -> Self {
        Self {
            org_id: o.id.clone(),
            name: o.name.clone(),
            domain: o.domain.clone(),
            members,
            max_users: o.max_users,
            created_at: o.created_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MemberSummary {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub additional_roles: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct InviteSummary {
    pub email: String,
    pub role: String,
    pub expires_at: i64,
}

/// `org show` in the CLI.
#[derive(Debug, Serialize)]
pub struct OrgReport {
    #[serde(flatten)]
    pub org: OrgSummary,
    pub autojoin_by_domain: bool,
    pub restrict_to_domain: bool,
    pub require_mfa: bool,
    pub metadata: serde_json::Value,
    pub roles: Vec<String>,
    pub member_list: Vec<MemberSummary>,
    pub pending_invites: Vec<InviteSummary>,
}

impl From<&OrgDetail> for OrgReport {
    fn from(d: &OrgDetail) -> Self {
        Self {
            org: OrgSummary::new(&d.org, d.members.len() as i64),
            autojoin_by_domain: d.org.domain_autojoin,
            restrict_to_domain: d.org.domain_restrict,
            require_mfa: d.org.require_2fa_by.is_some(),
            metadata: serde_json::from_str(&d.org.metadata).unwrap_or_else(|_| json!({})),
            roles: d.structure.roles.iter().map(|r| r.name.clone()).collect(),
            member_list: d
                .members
                .iter()
                .map(|m| MemberSummary {
                    user_id: m.user_id.clone(),
                    email: m.email.clone(),
                    role: m.role.clone(),
                    additional_roles: parse_list(&m.additional_roles),
                })
                .collect(),
            pending_invites: d
                .invites
                .iter()
                .map(|i| InviteSummary { email: i.email.clone(), role: i.role.clone(), expires_at: i.expires_at })
                .collect(),
        }
    }
}

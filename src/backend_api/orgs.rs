//! §7.2 organizations, memberships, invites, role mappings, on top of `crate::orgs` (the
//! backend API acts as the system: no member role checks, but every membership rule holds).

use super::users::{self as backend_users};
use super::wire::object;
use super::{BackendError, PageQuery};
use crate::orgs::membership::{self, NewOrg};
use crate::orgs::{self, Actor, OrgError, invites, parse_list};
use crate::state::AppState;
use crate::store::{InviteRow, OrgFilter, OrgOrder, OrgRow};
use serde::Deserialize;
use serde_json::{Value, json};

/// OrgError → the statuses the SDK expects: unknown org/user/membership is a 404 (`False`),
/// a broken rule a 400 with field errors.
pub fn org_error(e: OrgError) -> BackendError {
    match e {
        OrgError::OrgNotFound | OrgError::UserNotFound | OrgError::NotAMember => BackendError::NotFound,
        OrgError::Invalid(msg) | OrgError::Forbidden(msg) => {
            let field = if msg.contains("role") || msg.contains("Owner") {
                "role"
            } else if msg.contains("domain") {
                "domain"
            } else if msg.contains("name") {
                "name"
            } else {
                "org_id"
            };
            BackendError::field(field, msg)
        }
        OrgError::InviteInvalid => BackendError::field("invite", "this invitation is invalid"),
        OrgError::Email(e) => BackendError::Internal(e.to_string()),
        OrgError::Store(s) => BackendError::Store(s),
    }
}

/// Organization JSON (§4.2).
pub fn organization_json(o: &OrgRow) -> Value {
    json!({
        "org_id": o.id, "name": o.name, "url_safe_org_slug": o.url_safe_name, "can_setup_saml": o.can_setup_saml,
        "is_saml_configured": false, "is_saml_in_test_mode": false, "max_users": o.max_users, "metadata": object(&o.metadata),
        "domain": o.domain, "extra_domains": parse_list(&o.extra_domains), "domain_autojoin": o.domain_autojoin,
        "domain_restrict": o.domain_restrict, "custom_role_mapping_name": o.custom_role_mapping_name,
        "legacy_org_id": o.legacy_org_id, "password_rotation_enabled": false, "password_rotation_history_size": null,
        "password_rotation_period": null, "require_2fa_by": o.require_2fa_by,
    })
}

/// Org JSON (§4.3), also the `org` of an API key validation (`org_name` is read there).
pub fn org_list_json(o: &OrgRow) -> Value {
    json!({
        "org_id": o.id, "name": o.name, "org_name": o.name, "max_users": o.max_users, "is_saml_configured": false,
        "legacy_org_id": o.legacy_org_id, "metadata": object(&o.metadata), "custom_role_mapping_name": o.custom_role_mapping_name,
        "created_at": o.created_at,
    })
}

async fn require_org(state: &AppState, id: &str) -> Result<OrgRow, BackendError> {
    state.store.org_by_id(id).await?.ok_or(BackendError::NotFound)
}

pub async fn fetch(state: &AppState, id: &str) -> Result<Value, BackendError> {
    Ok(organization_json(&require_org(state, id).await?))
}

#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub order_by: Option<String>,
    pub name: Option<String>,
    pub legacy_org_id: Option<String>,
    pub domain: Option<String>,
}

pub async fn query(state: &AppState, q: OrgQuery) -> Result<Value, BackendError> {
    let page = PageQuery { page_size: q.page_size, page_number: q.page_number }.page()?;
    let order = match q.order_by.as_deref().unwrap_or("CREATED_AT_ASC") {
        "CREATED_AT_ASC" => OrgOrder::CreatedAtAsc,
        "CREATED_AT_DESC" => OrgOrder::CreatedAtDesc,
        "NAME" => OrgOrder::Name,
        other => return Err(BackendError::field("order_by", format!("unknown order `{other}`"))),
    };
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = OrgFilter {
        name: nonempty(q.name).map(|s| s.to_lowercase()),
        legacy_org_id: nonempty(q.legacy_org_id),
        domain: nonempty(q.domain).map(|s| s.to_lowercase()),
    };
    let (rows, total) = state.store.query_orgs(&filter, order, page.size, page.offset()).await?;
    Ok(page.wrap("orgs", "total_orgs", rows.iter().map(org_list_json).collect(), total))
}

#[derive(Deserialize)]
pub struct CreateOrgRequest {
    pub name: Option<String>,
    #[serde(default)]
    pub enable_auto_joining_by_domain: bool,
    #[serde(default)]
    pub members_must_have_matching_domain: bool,
    pub domain: Option<String>,
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub max_users: Option<i64>,
    pub legacy_org_id: Option<String>,
    pub custom_role_mapping_name: Option<String>,
}

pub async fn create(state: &AppState, r: CreateOrgRequest) -> Result<Value, BackendError> {
    let input = NewOrg {
        name: r.name.ok_or_else(|| BackendError::field("name", "required"))?,
        domain: r.domain,
        autojoin_by_domain: r.enable_auto_joining_by_domain,
        restrict_to_domain: r.members_must_have_matching_domain,
        max_users: r.max_users,
        legacy_org_id: r.legacy_org_id.filter(|s| !s.is_empty()),
        custom_role_mapping_name: r.custom_role_mapping_name,
        metadata: None,
    };
    let org = membership::create(state, input, None).await.map_err(org_error)?;
    Ok(json!({ "org_id": org.id, "name": org.name }))
}

#[derive(Deserialize)]
pub struct UpdateOrgRequest {
    pub name: Option<String>,
    pub can_setup_saml: Option<bool>,
    pub metadata: Option<Value>,
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub max_users: Option<i64>,
    pub autojoin_by_domain: Option<bool>,
    pub restrict_to_domain: Option<bool>,
    pub domain: Option<String>,
    pub require_2fa_by: Option<String>,
    pub extra_domains: Option<Vec<String>>,
    pub password_rotation_enabled: Option<bool>,
    pub custom_role_mapping_name: Option<String>,
    pub legacy_org_id: Option<String>,
}

fn clean_domain(field: &str, d: &str) -> Result<String, BackendError> {
    let d = d.trim().trim_start_matches('@').to_lowercase();
    if d.contains('.') && !d.contains(['@', ' ', '/']) {
        Ok(d)
    } else {
        Err(BackendError::field(field, format!("`{d}` is not a valid email domain")))
    }
}

pub async fn update(state: &AppState, id: &str, r: UpdateOrgRequest) -> Result<(), BackendError> {
    let mut org = require_org(state, id).await?;
    if let Some(name) = r.name {
        org.name = membership::validate_name(&name).map_err(org_error)?;
    }
    if let Some(b) = r.can_setup_saml {
        org.can_setup_saml = b;
    }
    match r.metadata {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => org.metadata = v.to_string(),
        Some(_) => return Err(BackendError::field("metadata", "must be a JSON object")),
    }
    if let Some(m) = r.max_users {
        if m < 1 {
            return Err(BackendError::field("max_users", "must be at least 1"));
        }
        org.max_users = Some(m);
    }
    if let Some(d) = r.domain {
        org.domain = if d.trim().is_empty() { None } else { Some(clean_domain("domain", &d)?) };
    }
    if let Some(list) = r.extra_domains {
        let cleaned = list.iter().map(|d| clean_domain("extra_domains", d)).collect::<Result<Vec<_>, _>>()?;
        org.extra_domains = serde_json::to_string(&cleaned).unwrap_or_else(|_| "[]".into());
    }
    if let Some(b) = r.autojoin_by_domain {
        org.domain_autojoin = b;
    }
    if let Some(b) = r.restrict_to_domain {
        org.domain_restrict = b;
    }
    if (org.domain_autojoin || org.domain_restrict) && org.domain.is_none() {
        return Err(BackendError::field("domain", "domain auto-join and domain restriction need a domain"));
    }
    if let Some(t) = r.require_2fa_by {
        let at = parse_instant(&t).ok_or_else(|| BackendError::field("require_2fa_by", "expected an ISO 8601 date or time"))?;
        org.require_2fa_by = Some(at);
    }
    if r.password_rotation_enabled == Some(true) {
        return Err(BackendError::field("password_rotation_enabled", "password rotation is not available in Gatehouse yet"));
    }
    if let Some(mapping) = r.custom_role_mapping_name {
        let Some(structure) = orgs::load_structure(&state.store, &mapping).await? else {
            return Err(BackendError::field("custom_role_mapping_name", format!("there is no role mapping named `{mapping}`")));
        };
        // Every member's role must exist in the new structure.
        for m in state.store.members_of_org(id).await? {
            if structure.rank(&m.role).is_none() {
                return Err(BackendError::field(
                    "custom_role_mapping_name",
                    format!("role `{}` of a member does not exist in `{mapping}`", m.role),
                ));
            }
        }
        org.custom_role_mapping_name = Some(mapping);
    }
    if let Some(l) = r.legacy_org_id {
        org.legacy_org_id = Some(l).filter(|s| !s.is_empty());
    }
    state.store.update_org(&org).await?;
    Ok(())
}

pub async fn delete(state: &AppState, id: &str) -> Result<(), BackendError> {
    if state.store.delete_org(id).await? { Ok(()) } else { Err(BackendError::NotFound) }
}

pub async fn set_can_setup_saml(state: &AppState, id: &str, allowed: bool) -> Result<(), BackendError> {
    let mut org = require_org(state, id).await?;
    org.can_setup_saml = allowed;
    state.store.update_org(&org).await?;
    Ok(())
}

#[derive(Deserialize)]
pub struct MembershipRequest {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub org_id: Option<String>,
    pub role: Option<String>,
    #[serde(default)]
    pub additional_roles: Vec<String>,
}

fn required(v: Option<String>, field: &str) -> Result<String, BackendError> {
    v.filter(|s| !s.is_empty()).ok_or_else(|| BackendError::field(field, "required"))
}

pub async fn add_user(state: &AppState, r: MembershipRequest) -> Result<(), BackendError> {
    let (user, org, role) = (required(r.user_id, "user_id")?, required(r.org_id, "org_id")?, required(r.role, "role")?);
    membership::add_member(state, &org, &user, &role, &r.additional_roles).await.map_err(org_error)
}

pub async fn change_role(state: &AppState, r: MembershipRequest) -> Result<(), BackendError> {
    let (user, org, role) = (required(r.user_id, "user_id")?, required(r.org_id, "org_id")?, required(r.role, "role")?);
    membership::change_role(state, Actor::System, &org, &user, &role, Some(&r.additional_roles)).await.map_err(org_error)
}

pub async fn remove_user(state: &AppState, r: MembershipRequest) -> Result<(), BackendError> {
    let (user, org) = (required(r.user_id, "user_id")?, required(r.org_id, "org_id")?);
    membership::remove_member(state, Actor::System, &org, &user).await.map_err(org_error)
}

/// `invite_user` (by email) and `invite_user_by_id`: the invitee gets the emailed link.
pub async fn invite(state: &AppState, r: MembershipRequest) -> Result<(), BackendError> {
    let (org, role) = (required(r.org_id, "org_id")?, required(r.role, "role")?);
    let email = match (r.email.filter(|s| !s.is_empty()), r.user_id.filter(|s| !s.is_empty())) {
        (Some(e), _) => e,
        (None, Some(id)) => backend_users::require(state, &id).await?.email,
        (None, None) => return Err(BackendError::field("email", "required")),
    };
    invites::invite(state, Actor::System, &org, &email, &role, &r.additional_roles).await.map_err(org_error)?;
    Ok(())
}

#[derive(Debug, Deserialize)]
pub struct InvitesQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub org_id: Option<String>,
}

pub async fn pending_invites(state: &AppState, q: InvitesQuery) -> Result<Value, BackendError> {
    let page = PageQuery { page_size: q.page_size, page_number: q.page_number }.page()?;
    let now = state.clock.now();
    let rows: Vec<InviteRow> = match q.org_id.filter(|s| !s.is_empty()) {
        Some(org) => state.store.pending_invites(&org, now).await?,
        None => state.store.all_pending_invites(now).await?,
    };
    let total = rows.len() as i64;
    let mut items = Vec::new();
    for i in rows.iter().skip(page.offset().max(0) as usize).take(page.size as usize) {
        let org_name = state.store.org_by_id(&i.org_id).await?.map(|o| o.name);
        let inviter_email = match &i.inviter_user_id {
            Some(id) => state.store.user_by_id(id).await?.map(|u| u.email),
            None => None,
        };
        items.push(json!({
            "invitee_email": i.email, "org_id": i.org_id, "org_name": org_name, "role_in_org": i.role,
            "additional_roles_in_org": parse_list(&i.additional_roles), "created_at": i.created_at, "expires_at": i.expires_at,
            "inviter_email": inviter_email, "inviter_user_id": i.inviter_user_id,
        }));
    }
    Ok(page.wrap("invites", "total_invites", items, total))
}

#[derive(Deserialize)]
pub struct RevokeInviteRequest {
    pub org_id: Option<String>,
    pub invitee_email: Option<String>,
}

pub async fn revoke_invite(state: &AppState, r: RevokeInviteRequest) -> Result<(), BackendError> {
    let (org, email) = (required(r.org_id, "org_id")?, required(r.invitee_email, "invitee_email")?);
    require_org(state, &org).await.map_err(|_| BackendError::field("org_id", "organization not found"))?;
    invites::revoke(state, Actor::System, &org, &email).await.map_err(|e| match org_error(e) {
        BackendError::NotFound => BackendError::field("invitee_email", "no pending invite for this email"),
        other => other,
    })
}

pub async fn custom_role_mappings(state: &AppState) -> Result<Value, BackendError> {
    let rows = state.store.role_mapping_names().await?;
    let items: Vec<Value> = rows.iter().map(|(name, n)| json!({ "custom_role_mapping_name": name, "num_orgs_subscribed": n })).collect();
    Ok(json!({ "custom_role_mappings": items }))
}

#[derive(Debug, Deserialize)]
pub struct UsersInOrgQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub include_orgs: Option<bool>,
    pub role: Option<String>,
}

pub async fn users_in_org(state: &AppState, org_id: &str, q: UsersInOrgQuery) -> Result<Value, BackendError> {
    let page = PageQuery { page_size: q.page_size, page_number: q.page_number }.page()?;
    require_org(state, org_id).await?;
    let role = q.role.filter(|s| !s.is_empty());
    let (users, total) = state.store.org_member_page(org_id, role.as_deref(), page.size, page.offset().max(0)).await?;
    let mut items = Vec::with_capacity(users.len());
    for u in &users {
        items.push(backend_users::render(state, u, q.include_orgs.unwrap_or(false)).await?);
    }
    Ok(page.wrap("users", "total_users", items, total))
}

/// The OrgMemberInfo of `user_id` in `org_id`, if a member.
pub async fn member_info(state: &AppState, org_id: &str, user_id: &str) -> Result<Option<Value>, BackendError> {
    let Some(org) = state.store.org_by_id(org_id).await? else { return Ok(None) };
    let Some(m) = state.store.membership(org_id, user_id).await? else { return Ok(None) };
    let structure = orgs::structure_of(&state.store, &org).await?;
    Ok(Some(orgs::member_info(&structure, &org, &m)))
}

impl From<OrgError> for BackendError {
    fn from(e: OrgError) -> Self {
        org_error(e)
    }
}

/// An instant as the SDK may send it: RFC 3339 (`2025-01-01T00:00:00Z`), or Python's
/// `isoformat()` of a naive datetime or a date, both read as UTC.
fn parse_instant(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp());
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::parse_instant;

    #[test]
    fn instants_in_the_shapes_python_sends() {
        assert_eq!(parse_instant("2025-01-01T00:00:00Z"), Some(1_735_689_600));
        assert_eq!(parse_instant("2025-01-01T01:00:00+01:00"), Some(1_735_689_600));
        assert_eq!(parse_instant("2025-01-01T00:00:00"), Some(1_735_689_600));
        assert_eq!(parse_instant("2025-01-01T00:00:00.250000"), Some(1_735_689_600));
        assert_eq!(parse_instant("2025-01-01"), Some(1_735_689_600));
        assert_eq!(parse_instant("next tuesday"), None);
    }
}

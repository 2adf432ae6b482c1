//! Creating orgs and changing who belongs to them, under the membership rules: one can
//! only assign or remove roles at or below one's own, an org always keeps an Owner (its
//! top role), `max_users` and the domain restriction hold.

use super::roles::{CAN_CHANGE_ROLES, CAN_MANAGE_ORG, CAN_REMOVE_USERS, RoleStructure};
use super::{Actor, OrgError, parse_list, slugify, structure_of};
use crate::state::AppState;
use crate::store::{MembershipChange, MembershipRow, OrgRow, OwnerGuarded};

#[derive(Debug, Default)]
pub struct NewOrg {
    pub name: String,
    pub domain: Option<String>,
    pub autojoin_by_domain: bool,
    pub restrict_to_domain: bool,
    pub max_users: Option<i64>,
    pub legacy_org_id: Option<String>,
    pub custom_role_mapping_name: Option<String>,
    pub metadata: Option<serde_json::Value>,
}

pub fn validate_name(name: &str) -> Result<String, OrgError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(OrgError::Invalid("the organization name must be 1 to 100 characters".into()));
    }
    // The name goes into email subjects and every page that lists orgs: printable text only.
    if name.chars().any(|c| c.is_control() || crate::users::is_invisible_or_bidi(c)) {
        return Err(OrgError::Invalid("the organization name must not contain control or invisible characters".into()));
    }
    Ok(name.to_string())
}

fn validate_domain(domain: Option<String>) -> Result<Option<String>, OrgError> {
    match domain.map(|d| d.trim().trim_start_matches('@').to_lowercase()).filter(|d| !d.is_empty()) {
        Some(d) if d.contains('.') && !d.contains(['@', ' ', '/']) => Ok(Some(d)),
        Some(d) => Err(OrgError::Invalid(format!("`{d}` is not a valid email domain"))),
        None => Ok(None),
    }
}

/// Creates an org; `owner` (if any) becomes its first member with the top role.
pub async fn create(state: &AppState, input: NewOrg, owner: Option<&str>) -> Result<OrgRow, OrgError> {
    let name = validate_name(&input.name)?;
    let domain = validate_domain(input.domain)?;
    if (input.autojoin_by_domain || input.restrict_to_domain) && domain.is_none() {
        return Err(OrgError::Invalid("domain auto-join and domain restriction need a domain".into()));
    }
    if input.max_users.is_some_and(|m| m < 1) {
        return Err(OrgError::Invalid("max_users must be at least 1".into()));
    }
    if let Some(mapping) = &input.custom_role_mapping_name
        && state.store.role_mapping_multi_role(mapping).await?.is_none()
    {
        return Err(OrgError::Invalid(format!("there is no role mapping named `{mapping}`")));
    }
    let metadata = match input.metadata {
        None => "{}".to_string(),
        Some(v @ serde_json::Value::Object(_)) => v.to_string(),
        Some(_) => return Err(OrgError::Invalid("metadata must be a JSON object".into())),
    };
    let owner_user = match owner {
        Some(id) => Some(state.store.user_by_id(id).await?.ok_or(OrgError::UserNotFound)?),
        None => None,
    };
    let base = slugify(&name);
    let mut slug = base.clone();
    while state.store.org_slug_taken(&slug).await? {
        slug = format!("{base}-{}", crate::crypto::random_hex(3));
    }
    let org = OrgRow {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        url_safe_name: slug,
        metadata,
        max_users: input.max_users,
        domain,
        extra_domains: "[]".into(),
        domain_autojoin: input.autojoin_by_domain,
        domain_restrict: input.restrict_to_domain,
        legacy_org_id: input.legacy_org_id,
        custom_role_mapping_name: input.custom_role_mapping_name,
        require_2fa_by: None,
        can_setup_saml: false,
        created_at: state.clock.now(),
    };
    if let Some(u) = &owner_user
        && !org.email_allowed(&u.email)
    {
        return Err(OrgError::Invalid("the owner's email is outside the organization's domain".into()));
    }
    state.store.insert_org(&org).await?;
    if let Some(u) = owner_user {
        let structure = structure_of(&state.store, &org).await?;
        insert(state, &org.id, &u.id, structure.top_role(), &[]).await?;
    }
    Ok(org)
}

/// A user creating an org from the hosted pages (unless an admin turned that off).
pub async fn create_as_user(state: &AppState, user_id: &str, name: &str) -> Result<OrgRow, OrgError> {
    match state.store.user_can_create_orgs(user_id).await? {
        None => Err(OrgError::UserNotFound),
        Some(false) => Err(OrgError::Forbidden("your account is not allowed to create organizations".into())),
        Some(true) => create(state, NewOrg { name: name.into(), ..Default::default() }, Some(user_id)).await,
    }
}

async fn insert(state: &AppState, org_id: &str, user_id: &str, role: &str, additional: &[String]) -> Result<(), OrgError> {
    let row = MembershipRow {
        org_id: org_id.into(),
        user_id: user_id.into(),
        role: role.into(),
        additional_roles: serde_json::to_string(additional).unwrap_or_else(|_| "[]".into()),
        created_at: state.clock.now(),
    };
    state.store.insert_membership(&row).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => OrgError::Invalid("the user is already a member of this organization".into()),
        other => other.into(),
    })
}

/// Checks a role (and additional roles) against the org's structure.
pub fn check_roles(structure: &RoleStructure, role: &str, additional: &[String]) -> Result<(), OrgError> {
    if structure.rank(role).is_none() {
        return Err(OrgError::Invalid(format!("`{role}` is not a role in this organization")));
    }
    if !additional.is_empty() && !structure.multi_role {
        return Err(OrgError::Invalid("additional roles need the multi-role structure".into()));
    }
    if let Some(bad) = additional.iter().find(|a| structure.rank(a).is_none()) {
        return Err(OrgError::Invalid(format!("`{bad}` is not a role in this organization")));
    }
    Ok(())
}

/// The acting user's membership and permission, or a 403 explaining what is missing.
pub(super) async fn require_permission(
    state: &AppState,
    structure: &RoleStructure,
    org_id: &str,
    actor_id: &str,
    permission: &str,
    what: &str,
) -> Result<MembershipRow, OrgError> {
    let m = state
        .store
        .membership(org_id, actor_id)
        .await?
        .ok_or_else(|| OrgError::Forbidden("you are not a member of this organization".into()))?;
    if !structure.permissions(&m.role, &parse_list(&m.additional_roles)).iter().any(|p| p == permission) {
        return Err(OrgError::Forbidden(format!("your role ({}) does not allow you to {what}", m.role)));
    }
    Ok(m)
}

pub(super) fn require_at_or_above(structure: &RoleStructure, actor: &MembershipRow, role: &str, what: &str) -> Result<(), OrgError> {
    if structure.at_or_above(&actor.role, &parse_list(&actor.additional_roles), role) {
        Ok(())
    } else {
        Err(OrgError::Forbidden(format!("you cannot {what} the {role} role: it is above your own ({})", actor.role)))
    }
}

pub(super) async fn check_capacity(state: &AppState, org: &OrgRow, extra_pending: i64) -> Result<(), OrgError> {
    if let Some(max) = org.max_users
        && state.store.count_members(&org.id).await? + extra_pending >= max
    {
        return Err(OrgError::Invalid(format!("the organization has reached its limit of {max} users")));
    }
    Ok(())
}

/// Adds an existing user to an org (backend API, CLI, invitations, domain auto-join).
pub async fn add_member(state: &AppState, org_id: &str, user_id: &str, role: &str, additional: &[String]) -> Result<(), OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let user = state.store.user_by_id(user_id).await?.ok_or(OrgError::UserNotFound)?;
    let structure = structure_of(&state.store, &org).await?;
    check_roles(&structure, role, additional)?;
    if state.store.membership(org_id, user_id).await?.is_some() {
        return Err(OrgError::Invalid("the user is already a member of this organization".into()));
    }
    if !org.email_allowed(&user.email) {
        return Err(OrgError::Invalid("this organization only accepts members from its own email domain".into()));
    }
    check_capacity(state, &org, 0).await?;
    insert(state, org_id, user_id, role, additional).await
}

/// Applies a membership change, refusing to leave an org without anyone in its top role. The
/// system (the backend API, the CLI) is exempt: it is the administrator, it creates orgs with
/// no members at all, and an offboarding script must be able to remove whoever it needs to.
/// The check and the change are one transaction (`Store::change_membership_keeping_owner`).
async fn change_keeping_an_owner(
    state: &AppState,
    actor: Actor<'_>,
    structure: &RoleStructure,
    target: &MembershipRow,
    change: MembershipChange<'_>,
) -> Result<(), OrgError> {
    let top = structure.top_role();
    let guard = matches!(actor, Actor::User(_)).then_some(top);
    match state.store.change_membership_keeping_owner(&target.org_id, &target.user_id, change, guard).await? {
        OwnerGuarded::Done => Ok(()),
        OwnerGuarded::NotAMember => Err(OrgError::NotAMember),
        OwnerGuarded::LastOwner => {
            Err(OrgError::Forbidden(format!("an organization must keep at least one {top}; make someone else {top} first")))
        }
    }
}

/// Every role a member holds: the primary one and, in multi-role mappings, the additional ones.
fn roles_of(m: &MembershipRow) -> Vec<String> {
    std::iter::once(m.role.clone()).chain(parse_list(&m.additional_roles)).collect()
}

/// Sets a member's primary role and, when `additional` is given, their additional roles;
/// `None` keeps the additional roles they have (the hosted pages set only the primary one).
pub async fn change_role(
    state: &AppState,
    actor: Actor<'_>,
    org_id: &str,
    user_id: &str,
    role: &str,
    additional: Option<&[String]>,
) -> Result<(), OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let structure = structure_of(&state.store, &org).await?;
    check_roles(&structure, role, additional.unwrap_or_default())?;
    // The actor's own rights first: someone without them learns nothing about the target.
    let me = match actor {
        Actor::User(actor_id) => Some(require_permission(state, &structure, org_id, actor_id, CAN_CHANGE_ROLES, "change roles").await?),
        Actor::System => None,
    };
    let target = state.store.membership(org_id, user_id).await?.ok_or(OrgError::NotAMember)?;
    let additional: Vec<String> = match additional {
        Some(a) => a.to_vec(),
        None => parse_list(&target.additional_roles).into_iter().filter(|r| r != role).collect(),
    };
    if let Some(me) = me {
        // Judged by the highest role the target holds, additional roles included.
        for held in roles_of(&target) {
            require_at_or_above(&structure, &me, &held, "change a member with")?;
        }
        require_at_or_above(&structure, &me, role, "assign")?;
        for a in &additional {
            require_at_or_above(&structure, &me, a, "assign")?;
        }
    }
    let additional = serde_json::to_string(&additional).unwrap_or_else(|_| "[]".into());
    change_keeping_an_owner(state, actor, &structure, &target, MembershipChange::Role { role, additional: &additional }).await
}

pub async fn remove_member(state: &AppState, actor: Actor<'_>, org_id: &str, user_id: &str) -> Result<(), OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let structure = structure_of(&state.store, &org).await?;
    let me = match actor {
        Actor::User(actor_id) if actor_id != user_id => {
            Some(require_permission(state, &structure, org_id, actor_id, CAN_REMOVE_USERS, "remove members").await?)
        }
        _ => None,
    };
    let target = state.store.membership(org_id, user_id).await?.ok_or(OrgError::NotAMember)?;
    if let Some(me) = me {
        for held in roles_of(&target) {
            require_at_or_above(&structure, &me, &held, "remove a member with")?;
        }
    }
    change_keeping_an_owner(state, actor, &structure, &target, MembershipChange::Remove).await
}

/// What members with `gatehouse::can_manage_org` may change on the hosted pages.
#[derive(Debug)]
pub struct OrgSettings {
    pub name: String,
    pub domain: Option<String>,
    pub autojoin_by_domain: bool,
    pub restrict_to_domain: bool,
    /// Members must use MFA from now on (they enrol at their next login).
    pub require_mfa: bool,
}

pub async fn update_settings(state: &AppState, actor: Actor<'_>, org_id: &str, input: OrgSettings) -> Result<OrgRow, OrgError> {
    let mut org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    let mut actor_domain = None;
    if let Actor::User(actor_id) = actor {
        let structure = structure_of(&state.store, &org).await?;
        require_permission(state, &structure, org_id, actor_id, CAN_MANAGE_ORG, "manage the organization's settings").await?;
        let me = state.store.user_by_id(actor_id).await?.ok_or(OrgError::UserNotFound)?;
        actor_domain = me.email_verified.then(|| super::email_domain(&me.email).to_string());
    }
    org.name = validate_name(&input.name)?;
    let domain = validate_domain(input.domain)?;
    if (input.autojoin_by_domain || input.restrict_to_domain) && domain.is_none() {
        return Err(OrgError::Invalid("domain auto-join and domain restriction need a domain".into()));
    }
    // Auto-join offers the org to everyone at the domain, so a member may only open it to
    // their own (verified) domain, not claim someone else's. The backend API and CLI may.
    if let (Actor::User(_), true, Some(d)) = (actor, input.autojoin_by_domain, &domain)
        && actor_domain.as_deref() != Some(d.as_str())
    {
        return Err(OrgError::Forbidden(format!("auto-join can only be turned on for your own verified email domain, not {d}")));
    }
    org.domain = domain;
    org.domain_autojoin = input.autojoin_by_domain;
    org.domain_restrict = input.restrict_to_domain;
    org.require_2fa_by = match (input.require_mfa, org.require_2fa_by) {
        (true, Some(since)) => Some(since),
        (true, None) => Some(state.clock.now()),
        (false, _) => None,
    };
    state.store.update_org(&org).await?;
    Ok(org)
}

/// Orgs a user may join because their verified email's domain matches and the org
/// allows auto-join.
pub async fn joinable(state: &AppState, user_id: &str) -> Result<Vec<OrgRow>, OrgError> {
    let user = state.store.user_by_id(user_id).await?.ok_or(OrgError::UserNotFound)?;
    if !user.email_verified {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for org in state.store.autojoin_orgs_for_domain(super::email_domain(&user.email)).await? {
        if state.store.membership(&org.id, user_id).await?.is_none() {
            out.push(org);
        }
    }
    Ok(out)
}

pub async fn join_by_domain(state: &AppState, org_id: &str, user_id: &str) -> Result<(), OrgError> {
    let org = joinable(state, user_id)
        .await?
        .into_iter()
        .find(|o| o.id == org_id)
        .ok_or_else(|| OrgError::Forbidden("you cannot join this organization by email domain".into()))?;
    let structure = structure_of(&state.store, &org).await?;
    add_member(state, &org.id, user_id, structure.bottom_role(), &[]).await
}

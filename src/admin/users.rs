//! Instance administration of users, shared by the admin dashboard and the CLI: search,
//! the user's whole picture, and every lifecycle action. Each action is audited here (so the
//! dashboard and the CLI record the same thing), never with a secret. The last admin who can
//! sign in cannot be demoted, disabled or deleted.

use crate::auth::account_tokens::MFA_DEVICE;
use crate::auth::audit::{self, Event};
use crate::auth::magic_link::{self, MagicLinkError};
use crate::orgs::OrgError;
use crate::state::AppState;
use crate::store::{
    AdminChange, AdminGuarded, AuditRow, ListCursor, Matching, MembershipRow, OrgRow, SessionRow, Store, StoreError, UserRow,
};
use crate::users::account::{self, AccountError, ProfileUpdate};
use crate::users::{self, CreateUser, UserError};
use serde::Serialize;
use serde_json::json;

/// Rows per page in the dashboard and the CLI's default.
pub const PAGE_SIZE: i64 = 50;

/// Who acts, for the audit log: an admin's user id and address, or the CLI.
#[derive(Clone, Copy, Debug)]
pub struct By<'a> {
    pub actor: &'a str,
    pub ip: Option<&'a str>,
}

impl By<'static> {
    pub const CLI: By<'static> = By { actor: "cli", ip: None };
}

impl By<'_> {
    pub(crate) async fn record(&self, state: &AppState, action: &str, subject: &str, detail: serde_json::Value) -> Result<(), StoreError> {
        let e = Event { actor: self.actor, action, subject, ip: self.ip };
        audit::record_event(&state.store, &state.clock, e, &detail).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("there is no user with this id")]
    UserNotFound,
    #[error("there is no organization with this id")]
    OrgNotFound,
    /// Bad input, with what would be valid.
    #[error("{0}")]
    Invalid(String),
    /// A rule says no (the last admin, a disabled account).
    #[error("{0}")]
    Refused(String),
    #[error("the email could not be queued: {0}")]
    Email(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UserError> for AdminError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Invalid(m) => AdminError::Invalid(m),
            UserError::WeakPassword(w) => AdminError::Invalid(w.to_string()),
            UserError::EmailTaken => AdminError::Invalid("another user already has this email address".into()),
            UserError::UsernameTaken => AdminError::Invalid("another user already has this username".into()),
            UserError::Password(p) => AdminError::Store(StoreError::Setup(p.to_string())),
            UserError::Store(s) => AdminError::Store(s),
        }
    }
}

impl From<AccountError> for AdminError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(m) => AdminError::Invalid(m),
            AccountError::UsernameTaken => AdminError::Invalid("another user already has this username".into()),
            AccountError::EmailUnavailable => AdminError::Invalid("another user already has this email address".into()),
            AccountError::User(u) => u.into(),
            AccountError::Email(m) => AdminError::Email(m.to_string()),
            AccountError::Store(s) => AdminError::Store(s),
            other @ (AccountError::SignupClosed
            | AccountError::DomainNotAllowed
            | AccountError::LinkInvalid
            | AccountError::WrongPassword
            | AccountError::RateLimited(_)) => AdminError::Refused(other.to_string()),
        }
    }
}

impl From<OrgError> for AdminError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::OrgNotFound => AdminError::OrgNotFound,
            OrgError::UserNotFound => AdminError::Invalid("there is no user with this email address".into()),
            OrgError::NotAMember => AdminError::Invalid("the user is not a member of this organization".into()),
            OrgError::Invalid(m) => AdminError::Invalid(m),
            OrgError::Forbidden(m) => AdminError::Refused(m),
            OrgError::InviteInvalid => AdminError::Invalid("this invitation is invalid, expired, or was already used".into()),
            OrgError::Email(m) => AdminError::Email(m.to_string()),
            OrgError::Store(s) => AdminError::Store(s),
        }
    }
}

/// One page of a list; `exact` when the text was a whole id or email address.
#[derive(Debug)]
pub struct Found<T> {
    pub rows: Vec<T>,
    pub next: Option<String>,
    pub exact: bool,
}

pub(crate) fn parse_after(after: Option<&str>) -> Result<Option<ListCursor>, AdminError> {
    match after.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => ListCursor::parse(a)
            .map(Some)
            .ok_or_else(|| AdminError::Invalid("that page link is not valid; start again from the first page".into())),
    }
}

/// Users matching `q` (an id, an email address, or part of an email, username or name),
/// newest first, `limit` at a time after the cursor `after`.
pub async fn search(store: &Store, q: &str, after: Option<&str>, limit: i64) -> Result<Found<UserRow>, AdminError> {
    let after = parse_after(after)?;
    let q = q.trim();
    if after.is_none() && !q.is_empty() {
        let mut exact = store.user_by_id(q).await?;
        if exact.is_none()
            && let Ok(email) = users::normalize_email(q)
        {
            exact = store.user_by_email(&email).await?;
        }
        if let Some(u) = exact {
            return Ok(Found { rows: vec![u], next: None, exact: true });
        }
    }
    let page = store.admin_users_page(&Matching::of(q), after.as_ref(), limit).await?;
    Ok(Found { rows: page.rows, next: page.next.map(|c| c.encode()), exact: false })
}

/// Everything the user page shows.
#[derive(Debug)]
pub struct UserDetail {
    pub user: UserRow,
    pub orgs: Vec<(OrgRow, MembershipRow)>,
    pub sessions: Vec<SessionRow>,
    pub mfa_enabled: bool,
    pub recovery_codes_left: i64,
    /// Consecutive failed sign-ins and the end of a lock in force.
    pub failures: i64,
    pub locked_until: Option<i64>,
    pub audit: Vec<AuditRow>,
}

pub async fn require(store: &Store, id: &str) -> Result<UserRow, AdminError> {
    store.user_by_id(id).await?.ok_or(AdminError::UserNotFound)
}

pub async fn detail(state: &AppState, id: &str) -> Result<UserDetail, AdminError> {
    let user = require(&state.store, id).await?;
    let now = state.clock.now();
    let (failures, locked_until) = state.store.lockout_state(&user.email).await?.unwrap_or((0, None));
    Ok(UserDetail {
        orgs: state.store.memberships_of_user(&user.id).await?,
        sessions: state.store.sessions_for_user(&user.id, now).await?,
        mfa_enabled: state.store.user_mfa_enabled(&user.id).await?,
        recovery_codes_left: state.store.unused_recovery_codes(&user.id).await?,
        failures,
        locked_until: locked_until.filter(|u| *u > now),
        audit: state.store.audit_of_user(&user.id, &user.email, 25).await?,
        user,
    })
}

/// The dashboard's "new user" form (admins are promoted afterwards, with a recent sign-in).
#[derive(Default)]
pub struct NewUser {
    pub email: String,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub email_verified: bool,
}

pub async fn create(state: &AppState, by: By<'_>, input: NewUser) -> Result<UserRow, AdminError> {
    let has_password = input.password.as_deref().is_some_and(|p| !p.is_empty());
    let create = CreateUser {
        email: input.email,
        password: input.password.filter(|p| !p.is_empty()),
        first_name: input.first_name,
        last_name: input.last_name,
        username: input.username,
        email_verified: input.email_verified,
        ..Default::default()
    };
    let id = users::create(&state.store, &state.hasher, &state.clock, create).await?;
    let user = require(&state.store, &id).await?;
    let detail = json!({ "email": user.email, "email_verified": user.email_verified, "password_set": has_password });
    by.record(state, "user.created", &id, detail).await?;
    Ok(user)
}

/// Profile fields an admin edits; a changed email address must be confirmed again.
#[derive(Debug, Default)]
pub struct ProfileEdit {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub picture_url: String,
}

pub async fn update_profile(state: &AppState, by: By<'_>, id: &str, edit: ProfileEdit) -> Result<UserRow, AdminError> {
    let user = require(&state.store, id).await?;
    let email = users::normalize_email(&edit.email)?;
    let update =
        ProfileUpdate { first_name: edit.first_name, last_name: edit.last_name, username: edit.username, picture_url: edit.picture_url };
    account::update_profile(state, &user.id, &update).await?;
    if email != user.email {
        state.store.change_user_email(&user.id, &email, false, state.clock.now()).await.map_err(|e| match e {
            StoreError::Conflict(_) => AdminError::Invalid("another user already has this email address".into()),
            other => other.into(),
        })?;
    }
    let after = require(&state.store, id).await?;
    let changed: Vec<&str> = [
        ("email", user.email != after.email),
        ("first_name", user.first_name != after.first_name),
        ("last_name", user.last_name != after.last_name),
        ("username", user.username != after.username),
        ("picture_url", user.picture_url != after.picture_url),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    by.record(state, "user.updated", &after.id, json!({ "fields": changed })).await?;
    Ok(after)
}

pub async fn verify_email(state: &AppState, by: By<'_>, id: &str) -> Result<(), AdminError> {
    let user = require(&state.store, id).await?;
    state.store.set_user_email_verified(&user.id, state.clock.now()).await?;
    by.record(state, "user.email_verified", &user.id, json!({ "email": user.email })).await?;
    Ok(())
}

/// Demotes, disables or deletes `user` unless they are the last admin who can sign in (checked
/// and done in one transaction, so two admins demoting each other at once cannot both succeed).
async fn change_keeping_an_admin(state: &AppState, user: &UserRow, change: AdminChange) -> Result<(), AdminError> {
    match state.store.change_user_keeping_admin(&user.id, change, state.clock.now()).await? {
        AdminGuarded::Done => Ok(()),
        AdminGuarded::NotFound => Err(AdminError::UserNotFound),
        AdminGuarded::LastAdmin => {
            let what = match change {
                AdminChange::Demote => "demoted",
                AdminChange::Disable => "disabled",
                AdminChange::Delete => "deleted",
            };
            Err(AdminError::Refused(format!(
                "{} is the last admin who can sign in, so they cannot be {what}; make someone else an admin first",
                user.email
            )))
        }
    }
}

/// Ends every session and revokes every grant (refresh tokens, introspected access tokens).
async fn end_sessions(state: &AppState, user_id: &str) -> Result<u64, AdminError> {
    let n = state.store.delete_user_sessions(user_id).await?;
    state.store.revoke_user_grants(user_id, state.clock.now()).await?;
    Ok(n)
}

/// Disabling also signs the user out everywhere: a disabled user is out at once.
pub async fn set_enabled(state: &AppState, by: By<'_>, id: &str, enabled: bool) -> Result<(), AdminError> {
    let user = require(&state.store, id).await?;
    if enabled {
        state.store.set_user_enabled(&user.id, true, state.clock.now()).await?;
    } else {
        change_keeping_an_admin(state, &user, AdminChange::Disable).await?;
    }
    let ended = if enabled { 0 } else { end_sessions(state, &user.id).await? };
    let action = if enabled { "user.enabled" } else { "user.disabled" };
    by.record(state, action, &user.id, json!({ "email": user.email, "sessions_ended": ended })).await?;
    Ok(())
}

pub async fn delete(state: &AppState, by: By<'_>, id: &str) -> Result<(), AdminError> {
    let user = require(&state.store, id).await?;
    change_keeping_an_admin(state, &user, AdminChange::Delete).await?;
    by.record(state, "user.deleted", &user.id, json!({ "email": user.email })).await?;
    Ok(())
}

/// Lifts a login lockout; returns whether one was in force.
pub async fn unlock(state: &AppState, by: By<'_>, id: &str) -> Result<bool, AdminError> {
    let user = require(&state.store, id).await?;
    let was_locked = state.store.clear_all_login_failures(&user.email, state.clock.now()).await?;
    by.record(state, "login.unlock", &user.email, json!({ "user_id": user.id, "was_locked": was_locked })).await?;
    Ok(was_locked)
}

/// Removes TOTP, recovery codes and remembered devices: the user enrols again if required.
pub async fn reset_mfa(state: &AppState, by: By<'_>, id: &str) -> Result<bool, AdminError> {
    let user = require(&state.store, id).await?;
    let had = state.store.disable_user_mfa(&user.id).await?;
    state.store.retire_account_tokens(&user.id, MFA_DEVICE, state.clock.now()).await?;
    by.record(state, "user.mfa_reset", &user.id, json!({ "had_mfa": had })).await?;
    Ok(had)
}

async fn require_enabled(store: &Store, id: &str) -> Result<UserRow, AdminError> {
    let user = require(store, id).await?;
    if !user.enabled {
        return Err(AdminError::Refused("this account is disabled; enable it first".into()));
    }
    Ok(user)
}

pub async fn send_password_reset(state: &AppState, by: By<'_>, id: &str) -> Result<(), AdminError> {
    let user = require_enabled(&state.store, id).await?;
    let look = crate::admin_settings::load(&state.store).await?;
    account::send_reset_link(state, &user, &look.product_name).await?;
    by.record(state, "user.password_reset_sent", &user.id, json!({ "email": user.email })).await?;
    Ok(())
}

pub async fn send_magic_link(state: &AppState, by: By<'_>, id: &str) -> Result<(), AdminError> {
    let user = require_enabled(&state.store, id).await?;
    magic_link::request_from_login(state, &user.email, None).await.map_err(|e| match e {
        MagicLinkError::Store(s) => AdminError::Store(s),
        other @ (MagicLinkError::InvalidEmail(_)
        | MagicLinkError::InvalidExpiry
        | MagicLinkError::InvalidRedirect
        | MagicLinkError::UserNotFound
        | MagicLinkError::Invalid
        | MagicLinkError::Disabled
        | MagicLinkError::User(_)) => AdminError::Refused(other.to_string()),
    })?;
    by.record(state, "user.magic_link_sent", &user.id, json!({ "email": user.email })).await?;
    Ok(())
}

/// Signs the user out of every browser and revokes the tokens apps hold.
pub async fn sign_out_everywhere(state: &AppState, by: By<'_>, id: &str) -> Result<u64, AdminError> {
    let user = require(&state.store, id).await?;
    let ended = end_sessions(state, &user.id).await?;
    by.record(state, "user.signed_out", &user.id, json!({ "sessions_ended": ended })).await?;
    Ok(ended)
}

pub async fn set_admin(state: &AppState, by: By<'_>, id: &str, admin: bool) -> Result<(), AdminError> {
    let user = require(&state.store, id).await?;
    if user.is_admin == admin {
        return Ok(());
    }
    if admin {
        state.store.set_user_admin(&user.id, true, state.clock.now()).await?;
    } else {
        change_keeping_an_admin(state, &user, AdminChange::Demote).await?;
    }
    let action = if admin { "user.admin_granted" } else { "user.admin_revoked" };
    by.record(state, action, &user.id, json!({ "email": user.email })).await?;
    Ok(())
}

/// A user in the CLI's JSON (never the password hash).
#[derive(Debug, Serialize)]
pub struct UserSummary {
    pub user_id: String,
    pub email: String,
    pub email_verified: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub is_admin: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl From<&UserRow> for UserSummary {
    fn from(u: &UserRow) -> Self {
        Self {
            user_id: u.id.clone(),
            email: u.email.clone(),
            email_verified: u.email_verified,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            username: u.username.clone(),
            is_admin: u.is_admin,
            enabled: u.enabled,
            created_at: u.created_at,
            last_login_at: u.last_active_at,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct MembershipSummary {
    pub org_id: String,
    pub org_name: String,
    pub role: String,
    pub additional_roles: Vec<String>,
}

/// `user show` in the CLI.
#[derive(Debug, Serialize)]
pub struct UserReport {
    #[serde(flatten)]
    pub user: UserSummary,
    pub orgs: Vec<MembershipSummary>,
    pub mfa_enabled: bool,
    pub active_sessions: usize,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

impl From<&UserDetail> for UserReport {
    fn from(d: &UserDetail) -> Self {
        Self {
            user: UserSummary::from(&d.user),
            orgs: d
                .orgs
                .iter()
                .map(|(o, m)| MembershipSummary {
                    org_id: o.id.clone(),
                    org_name: o.name.clone(),
                    role: m.role.clone(),
                    additional_roles: crate::orgs::parse_list(&m.additional_roles),
                })
                .collect(),
            mfa_enabled: d.mfa_enabled,
            active_sessions: d.sessions.len(),
            failed_logins: d.failures,
            locked_until: d.locked_until,
        }
    }
}

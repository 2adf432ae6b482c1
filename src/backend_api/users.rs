//! §7.1 users and §7.3 user migration.

use super::wire::object;
use super::{BackendError, FieldErrors, PageQuery};
use crate::auth::password;
use crate::state::AppState;
use crate::store::{NewUser, StoreError, UserFilter, UserOrder, UserProfile, UserRow};
use crate::users::{self, UserError};
use serde::Deserialize;
use serde_json::{Value, json};

/// UserMetadata JSON (§4.1). `orgs` is `org_id_to_org_info`: sent only with `include_orgs`.
pub fn user_json(u: &UserRow, orgs: Option<Value>, mfa_enabled: bool) -> Value {
    json!({
        "user_id": u.id,
        "email": u.email,
        "email_confirmed": u.email_verified,
        "has_password": u.password_hash.is_some(),
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "picture_url": u.picture_url,
        "locked": false,
        "enabled": u.enabled,
        "mfa_enabled": mfa_enabled,
        "can_create_orgs": u.can_create_orgs,
        "created_at": u.created_at,
        "last_active_at": u.last_active_at.unwrap_or(u.created_at),
        "org_id_to_org_info": orgs,
        "legacy_user_id": u.legacy_user_id,
        "impersonator_user_id": null,
        "metadata": object(&u.metadata),
        "properties": object(&u.properties),
        "update_password_required": u.update_password_required,
    })
}

/// The user's orgs in OrgMemberInfo shape, when asked for.
async fn orgs_of(state: &AppState, user: &UserRow, include: bool) -> Result<Option<Value>, BackendError> {
    if !include {
        return Ok(None);
    }
    Ok(Some(Value::Object(crate::orgs::user_orgs(&state.store, &user.id).await?.by_id)))
}

pub async fn render(state: &AppState, u: &UserRow, include_orgs: bool) -> Result<Value, BackendError> {
    let orgs = orgs_of(state, u, include_orgs).await?;
    let mfa = state.store.user_mfa_enabled(&u.id).await?;
    Ok(user_json(u, orgs, mfa))
}

pub async fn require(state: &AppState, id: &str) -> Result<UserRow, BackendError> {
    state.store.user_by_id(id).await?.ok_or(BackendError::NotFound)
}

pub enum Lookup<'a> {
    Id(&'a str),
    Email(&'a str),
    Username(&'a str),
}

pub async fn find(state: &AppState, by: Lookup<'_>) -> Result<Option<UserRow>, BackendError> {
    Ok(match by {
        Lookup::Id(id) => state.store.user_by_id(id).await?,
        Lookup::Email(e) => match users::normalize_email(e) {
            Ok(e) => state.store.user_by_email(&e).await?,
            Err(_) => None,
        },
        Lookup::Username(u) => state.store.user_by_username(u).await?,
    })
}

pub async fn fetch(state: &AppState, by: Lookup<'_>, include_orgs: bool) -> Result<Value, BackendError> {
    let u = find(state, by).await?.ok_or(BackendError::NotFound)?;
    render(state, &u, include_orgs).await
}

pub async fn signup_query_parameters(state: &AppState, id: &str) -> Result<Value, BackendError> {
    let u = require(state, id).await?;
    Ok(json!({ "user_signup_query_parameters": object(&u.signup_query_parameters) }))
}

pub const MAX_BATCH: usize = 500;

/// The batch fetches answer a JSON array of the users found; unknown keys are skipped.
#[derive(Clone, Copy, Debug)]
pub enum BatchKind {
    Ids,
    Emails,
    Usernames,
}

pub async fn fetch_batch(state: &AppState, keys: &[String], kind: BatchKind, include_orgs: bool) -> Result<Value, BackendError> {
    if keys.len() > MAX_BATCH {
        return Err(BackendError::Fields(FieldErrors::from([("body".to_string(), vec![format!("at most {MAX_BATCH} values")])])));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for k in keys {
        let by = match kind {
            BatchKind::Ids => Lookup::Id(k),
            BatchKind::Emails => Lookup::Email(k),
            BatchKind::Usernames => Lookup::Username(k),
        };
        if let Some(u) = find(state, by).await?
            && seen.insert(u.id.clone())
        {
            out.push(render(state, &u, include_orgs).await?);
        }
    }
    Ok(Value::Array(out))
}

#[derive(Debug, Deserialize)]
pub struct UserQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub order_by: Option<String>,
    pub email_or_username: Option<String>,
    pub include_orgs: Option<bool>,
    pub legacy_user_id: Option<String>,
}

fn user_order(s: Option<&str>) -> Result<UserOrder, BackendError> {
    Ok(match s.unwrap_or("CREATED_AT_ASC") {
        "CREATED_AT_ASC" => UserOrder::CreatedAtAsc,
        "CREATED_AT_DESC" => UserOrder::CreatedAtDesc,
        "LAST_ACTIVE_AT_ASC" => UserOrder::LastActiveAtAsc,
        "LAST_ACTIVE_AT_DESC" => UserOrder::LastActiveAtDesc,
        "EMAIL" => UserOrder::Email,
        "USERNAME" => UserOrder::Username,
        other => return Err(BackendError::field("order_by", format!("unknown order `{other}`"))),
    })
}

pub async fn query(state: &AppState, q: UserQuery) -> Result<Value, BackendError> {
    let page = PageQuery { page_size: q.page_size, page_number: q.page_number }.page()?;
    let order = user_order(q.order_by.as_deref())?;
    let filter = UserFilter {
        search: q.email_or_username.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()),
        legacy_user_id: q.legacy_user_id.filter(|s| !s.is_empty()),
    };
    let (rows, total) = state.store.query_users(&filter, order, page.size, page.offset()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for u in &rows {
        items.push(render(state, u, q.include_orgs.unwrap_or(false)).await?);
    }
    Ok(page.wrap("users", "total_users", items, total))
}

fn user_error(e: UserError) -> BackendError {
    match e {
        UserError::Invalid(msg) if msg.contains("email") => BackendError::field("email", msg),
        UserError::Invalid(msg) if msg.contains("password") => BackendError::field("password", msg),
        UserError::Invalid(msg) if msg.contains("username") => BackendError::field("username", msg),
        UserError::Invalid(msg) => BackendError::field("body", msg),
        UserError::WeakPassword(w) => BackendError::field("password", w.to_string()),
        UserError::EmailTaken => BackendError::field("email", "Email already in use"),
        UserError::UsernameTaken => BackendError::field("username", "Username already in use"),
        UserError::Password(p) => BackendError::from(p),
        UserError::Store(s) => BackendError::Store(s),
    }
}

fn store_conflict(e: StoreError) -> BackendError {
    user_error(UserError::from(e))
}

fn json_object_field(field: &str, v: Option<Value>) -> Result<Option<String>, BackendError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v.to_string())),
        Some(_) => Err(BackendError::field(field, "must be a JSON object")),
    }
}

fn clean(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[derive(Deserialize)]
pub struct CreateUserRequest {
    pub email: Option<String>,
    #[serde(default)]
    pub email_confirmed: bool,
    #[serde(default)]
    pub send_email_to_confirm_email_address: bool,
    #[serde(default)]
    pub ask_user_to_update_password_on_login: bool,
    pub password: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub properties: Option<Value>,
    #[serde(default)]
    pub ignore_domain_restrictions: bool,
}

pub async fn create(state: &AppState, r: CreateUserRequest) -> Result<Value, BackendError> {
    let email = r.email.ok_or_else(|| BackendError::field("email", "required"))?;
    let properties = json_object_field("properties", r.properties)?;
    let input = users::CreateUser {
        email,
        password: r.password,
        first_name: r.first_name,
        last_name: r.last_name,
        username: r.username,
        email_verified: r.email_confirmed,
        ..Default::default()
    };
    let id = users::create(&state.store, &state.hasher, &state.clock, input).await.map_err(user_error)?;
    if r.send_email_to_confirm_email_address && !r.email_confirmed {
        send_verification(state, &require(state, &id).await?).await?;
    }
    if properties.is_some() || r.ask_user_to_update_password_on_login {
        let u = require(state, &id).await?;
        let mut p = profile_of(&u);
        p.properties = properties.unwrap_or(p.properties);
        p.update_password_required = r.ask_user_to_update_password_on_login;
        state.store.update_user_record(&id, &p, state.clock.now()).await?;
    }
    Ok(json!({ "user_id": id }))
}

fn profile_of(u: &UserRow) -> UserProfile {
    UserProfile {
        username: u.username.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        picture_url: u.picture_url.clone(),
        metadata: u.metadata.clone(),
        properties: u.properties.clone(),
        update_password_required: u.update_password_required,
        legacy_user_id: u.legacy_user_id.clone(),
        enabled: u.enabled,
        signup_query_parameters: u.signup_query_parameters.clone(),
    }
}

#[derive(Deserialize)]
pub struct UpdateUserRequest {
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub metadata: Option<Value>,
    pub properties: Option<Value>,
    pub picture_url: Option<String>,
    pub update_password_required: Option<bool>,
    pub legacy_user_id: Option<String>,
}

pub async fn update(state: &AppState, id: &str, r: UpdateUserRequest) -> Result<(), BackendError> {
    let u = require(state, id).await?;
    let mut p = profile_of(&u);
    let mut errors = FieldErrors::new();
    if let Some(name) = r.username {
        let name = name.trim().to_string();
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_whitespace) {
            errors.entry("username".into()).or_default().push("must be 1 to 64 characters, without spaces".into());
        }
        p.username = Some(name);
    }
    if let Some(v) = r.first_name {
        p.first_name = clean(Some(v));
    }
    if let Some(v) = r.last_name {
        p.last_name = clean(Some(v));
    }
    if let Some(v) = r.picture_url {
        p.picture_url = clean(Some(v));
    }
    match json_object_field("metadata", r.metadata) {
        Ok(Some(m)) => p.metadata = m,
        Ok(None) => {}
        Err(BackendError::Fields(f)) => errors.extend(f),
        Err(e) => return Err(e),
    }
    match json_object_field("properties", r.properties) {
        Ok(Some(m)) => p.properties = m,
        Ok(None) => {}
        Err(BackendError::Fields(f)) => errors.extend(f),
        Err(e) => return Err(e),
    }
    if let Some(b) = r.update_password_required {
        p.update_password_required = b;
    }
    if let Some(l) = r.legacy_user_id {
        p.legacy_user_id = clean(Some(l));
    }
    if !errors.is_empty() {
        return Err(BackendError::Fields(errors));
    }
    state.store.update_user_record(id, &p, state.clock.now()).await.map_err(store_conflict)
}

#[derive(Deserialize)]
pub struct UpdateEmailRequest {
    pub new_email: Option<String>,
    #[serde(default)]
    pub require_email_confirmation: bool,
}

/// Without confirmation the address changes at once and counts as verified (the app vouches
/// for it). With it, nothing changes yet: the new address is mailed a link, and the change
/// happens when the user follows it (and the old address is told).
pub async fn update_email(state: &AppState, id: &str, r: UpdateEmailRequest) -> Result<(), BackendError> {
    let user = require(state, id).await?;
    let raw = r.new_email.ok_or_else(|| BackendError::field("new_email", "required"))?;
    let email = users::normalize_email(&raw).map_err(|e| BackendError::field("new_email", e.to_string()))?;
    let taken = || BackendError::field("new_email", "Email already in use");
    if !r.require_email_confirmation {
        return state.store.change_user_email(id, &email, true, state.clock.now()).await.map_err(|e| match e {
            StoreError::Conflict(_) => taken(),
            other => other.into(),
        });
    }
    if email == user.email {
        return Ok(());
    }
    if state.store.user_by_email(&email).await?.is_some() {
        return Err(taken());
    }
    let look = crate::admin_settings::load(&state.store).await?;
    crate::users::account::send_email_change_link(state, &look, &user, &email).await.map_err(email_not_sent)
}

#[derive(Deserialize)]
pub struct UpdatePasswordRequest {
    pub password: Option<String>,
    #[serde(default)]
    pub ask_user_to_update_password_on_login: bool,
}

/// Sets the password; like every password change it ends the user's sessions and OIDC grants
/// and retires reset and magic links (`users::credentials::password_changed`).
pub async fn update_password(state: &AppState, id: &str, r: UpdatePasswordRequest) -> Result<(), BackendError> {
    let user = require(state, id).await?;
    let pw = r.password.ok_or_else(|| BackendError::field("password", "required"))?;
    users::check_new_password(&state.store, &pw, &users::Personal::of(&user)).await.map_err(user_error)?;
    let hash = state.hasher.hash(&pw).await?;
    state.store.set_user_password(id, Some(&hash), r.ask_user_to_update_password_on_login, state.clock.now()).await?;
    users::credentials::password_changed(state, &user, None).await?;
    Ok(())
}

pub async fn clear_password(state: &AppState, id: &str) -> Result<(), BackendError> {
    state.store.set_user_password(id, None, false, state.clock.now()).await.map_err(not_found)?;
    let user = require(state, id).await?;
    users::credentials::password_changed(state, &user, None).await?;
    Ok(())
}

fn not_found(e: StoreError) -> BackendError {
    match e {
        StoreError::NotFound => BackendError::NotFound,
        other => other.into(),
    }
}

pub async fn delete(state: &AppState, id: &str) -> Result<(), BackendError> {
    state.store.delete_user(id).await.map_err(not_found)
}

/// Disabling also ends every session and refresh token: a disabled user is out at once.
pub async fn set_enabled(state: &AppState, id: &str, enabled: bool) -> Result<(), BackendError> {
    state.store.set_user_enabled(id, enabled, state.clock.now()).await.map_err(not_found)?;
    if !enabled {
        users::credentials::user_disabled(state, id).await?;
    }
    Ok(())
}

pub async fn set_can_create_orgs(state: &AppState, id: &str, allowed: bool) -> Result<(), BackendError> {
    if state.store.set_user_can_create_orgs(id, allowed).await? { Ok(()) } else { Err(BackendError::NotFound) }
}

/// Ends hosted sessions and revokes every grant (refresh and opaque-checked access tokens).
pub async fn logout_all(state: &AppState, id: &str) -> Result<(), BackendError> {
    require(state, id).await?;
    state.store.delete_user_sessions(id).await?;
    state.store.revoke_user_grants(id, state.clock.now()).await?;
    Ok(())
}

/// Gatehouse offers TOTP (no SMS): `{"type": "Totp"}` once enrolment is confirmed.
pub async fn mfa_methods(state: &AppState, id: &str) -> Result<Value, BackendError> {
    require(state, id).await?;
    if state.store.user_mfa_enabled(id).await? { Ok(json!({ "mfa_setup": { "type": "Totp" } })) } else { Ok(json!({ "mfa_setup": null })) }
}

/// Removes TOTP and recovery codes; a success also when the user had none.
pub async fn disable_2fa(state: &AppState, id: &str) -> Result<(), BackendError> {
    require(state, id).await?;
    state.store.disable_user_mfa(id).await?;
    crate::auth::audit::record_quietly(&state.store, &state.clock, "backend-api", "mfa.disabled", id, &json!({})).await;
    Ok(())
}

#[derive(Deserialize)]
pub struct UserIdRequest {
    pub user_id: Option<String>,
}

pub async fn resend_email_confirmation(state: &AppState, r: UserIdRequest) -> Result<(), BackendError> {
    let id = r.user_id.ok_or_else(|| BackendError::field("user_id", "required"))?;
    let u = require(state, &id).await?;
    if u.email_verified {
        return Err(BackendError::UserFacing("This user's email address is already confirmed".into()));
    }
    send_verification(state, &u).await
}

async fn send_verification(state: &AppState, u: &UserRow) -> Result<(), BackendError> {
    crate::users::account::send_verification(state, u).await.map_err(email_not_sent)
}

/// A confirmation email (address check or email change) that could not be queued.
fn email_not_sent(e: crate::users::account::AccountError) -> BackendError {
    tracing::warn!(error = %e, "could not send a confirmation email");
    BackendError::UserFacing("The confirmation email could not be sent".into())
}

#[derive(Deserialize)]
pub struct MigrateUserRequest {
    pub email: Option<String>,
    #[serde(default)]
    pub email_confirmed: bool,
    pub existing_user_id: Option<String>,
    pub existing_password_hash: Option<String>,
    pub existing_mfa_base32_encoded_secret: Option<String>,
    #[serde(default)]
    pub update_password_required: bool,
    pub enabled: Option<bool>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    pub properties: Option<Value>,
}

fn check_import_hash(field: &str, hash: &str) -> Result<(), BackendError> {
    password::check_imported_hash(hash).map_err(|message| BackendError::field(field, message))
}

/// Imports a user from another system, keeping their bcrypt or argon2 password hash (it is
/// upgraded to argon2id at their first login).
pub async fn migrate(state: &AppState, r: MigrateUserRequest) -> Result<Value, BackendError> {
    let raw = r.email.ok_or_else(|| BackendError::field("email", "required"))?;
    let email = users::normalize_email(&raw).map_err(|e| BackendError::field("email", e.to_string()))?;
    // An imported TOTP secret is checked and sealed before anything is written.
    let mfa_secret = match r.existing_mfa_base32_encoded_secret.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            let field = "existing_mfa_base32_encoded_secret";
            let bytes = crate::auth::totp::base32_decode(s)
                .filter(|b| (10..=128).contains(&b.len()))
                .ok_or_else(|| BackendError::field(field, "must be a base32 TOTP secret of at least 80 bits"))?;
            Some(state.master.encrypt(&bytes).map_err(|_| BackendError::field(field, "could not be stored"))?)
        }
    };
    let hash = r.existing_password_hash.filter(|h| !h.is_empty());
    if let Some(h) = &hash {
        check_import_hash("existing_password_hash", h)?;
    }
    let properties = json_object_field("properties", r.properties)?;
    let username = clean(r.username);
    if username.as_deref().is_some_and(|u| u.len() > 64 || u.chars().any(char::is_whitespace)) {
        return Err(BackendError::field("username", "must be at most 64 characters, without spaces"));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let first = clean(r.first_name);
    let last = clean(r.last_name);
    state
        .store
        .insert_user(&NewUser {
            id: &id,
            email: &email,
            email_verified: r.email_confirmed,
            password_hash: hash.as_deref(),
            first_name: first.as_deref(),
            last_name: last.as_deref(),
            username: username.as_deref(),
            is_admin: false,
            signup_query_parameters: "{}",
            now: state.clock.now(),
        })
        .await
        .map_err(store_conflict)?;
    let u = require(state, &id).await?;
    let mut p = profile_of(&u);
    p.picture_url = clean(r.picture_url);
    p.legacy_user_id = clean(r.existing_user_id);
    p.update_password_required = r.update_password_required;
    p.enabled = r.enabled.unwrap_or(true);
    if let Some(props) = properties {
        p.properties = props;
    }
    state.store.update_user_record(&id, &p, state.clock.now()).await?;
    if let Some(sealed) = mfa_secret {
        let now = state.clock.now();
        state.store.begin_mfa_enrolment(&id, &sealed, now).await?;
        state.store.confirm_mfa_enrolment(&id, 0, &[], now).await?;
    }
    Ok(json!({ "user_id": id }))
}

#[derive(Deserialize)]
pub struct MigratePasswordRequest {
    pub user_id: Option<String>,
    pub password_hash: Option<String>,
}

pub async fn migrate_password(state: &AppState, r: MigratePasswordRequest) -> Result<(), BackendError> {
    let id = r.user_id.ok_or_else(|| BackendError::field("user_id", "required"))?;
    let hash = r.password_hash.ok_or_else(|| BackendError::field("password_hash", "required"))?;
    check_import_hash("password_hash", &hash)?;
    let u = require(state, &id).await?;
    state.store.set_user_password(&id, Some(&hash), u.update_password_required, state.clock.now()).await?;
    users::credentials::password_changed(state, &u, None).await?;
    Ok(())
}

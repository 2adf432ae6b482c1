//! §7.5 end-user API keys: personal keys (a user), org keys (an org, optionally a user),
//! and keys imported from another system. Tokens are random, shown once, stored as SHA-256.

use super::users::{self as backend_users, Lookup};
use super::wire::object;
use super::{BackendError, PageQuery};
use crate::crypto;
use crate::state::AppState;
use crate::store::{EndUserKeyRow, KeyFilter, KeyKind};
use serde::Deserialize;
use serde_json::{Value, json};

/// ApiKeyFull JSON (§4.5).
pub fn key_json(k: &EndUserKeyRow) -> Value {
    json!({
        "api_key_id": k.id,
        "created_at": k.created_at,
        "expires_at_seconds": k.expires_at,
        "metadata": object(&k.metadata),
        "user_id": k.user_id,
        "org_id": k.org_id,
        "display_name": k.display_name,
    })
}

fn is_hex_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn live_key(state: &AppState, id: &str) -> Result<EndUserKeyRow, BackendError> {
    if !is_hex_id(id) {
        return Err(BackendError::NotFound);
    }
    match state.store.end_user_key(id).await? {
        Some(k) if k.archived_at.is_none() => Ok(k),
        _ => Err(BackendError::NotFound),
    }
}

pub async fn fetch(state: &AppState, id: &str) -> Result<Value, BackendError> {
    if !is_hex_id(id) {
        return Err(BackendError::NotFound);
    }
    let k = state.store.end_user_key(id).await?.ok_or(BackendError::NotFound)?;
    Ok(key_json(&k))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub page_size: Option<i64>,
    pub page_number: Option<i64>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub api_key_type: Option<String>,
}

pub async fn list(state: &AppState, q: ListQuery, archived: bool) -> Result<Value, BackendError> {
    let page = PageQuery { page_size: q.page_size, page_number: q.page_number }.page()?;
    let kind = match q.api_key_type.as_deref() {
        None | Some("") | Some("all") => KeyKind::All,
        Some("personal") => KeyKind::Personal,
        Some("org") => KeyKind::Org,
        Some(other) => return Err(BackendError::field("api_key_type", format!("`{other}` is not personal, org or all"))),
    };
    let mut user_id = q.user_id.filter(|s| !s.is_empty());
    if let Some(email) = q.user_email.filter(|s| !s.is_empty()) {
        match backend_users::find(state, Lookup::Email(&email)).await? {
            Some(u) if user_id.as_ref().is_none_or(|id| *id == u.id) => user_id = Some(u.id),
            // No such user (or a different one): nothing can match.
            _ => return Ok(page.wrap("api_keys", "total_api_keys", Vec::new(), 0)),
        }
    }
    let filter = KeyFilter { org_id: q.org_id.filter(|s| !s.is_empty()), user_id, kind, archived };
    let (rows, total) = state.store.list_end_user_keys(&filter, state.clock.now(), page.size, page.offset()).await?;
    Ok(page.wrap("api_keys", "total_api_keys", rows.iter().map(key_json).collect(), total))
}

#[derive(Deserialize)]
pub struct CreateKeyRequest {
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub expires_at_seconds: Option<i64>,
    pub metadata: Option<Value>,
    pub display_name: Option<String>,
    /// Only for `import`: the existing token.
    pub imported_api_key: Option<String>,
}

async fn check_owner(state: &AppState, r: &CreateKeyRequest) -> Result<(Option<String>, Option<String>), BackendError> {
    let user_id = r.user_id.clone().filter(|s| !s.is_empty());
    let org_id = r.org_id.clone().filter(|s| !s.is_empty());
    if user_id.is_none() && org_id.is_none() {
        return Err(BackendError::field("user_id", "a key belongs to a user, an org, or both: give user_id or org_id"));
    }
    if let Some(u) = &user_id
        && state.store.user_by_id(u).await?.is_none()
    {
        return Err(BackendError::field("user_id", "user not found"));
    }
    if let Some(o) = &org_id
        && state.store.org_by_id(o).await?.is_none()
    {
        return Err(BackendError::field("org_id", "organization not found"));
    }
    Ok((user_id, org_id))
}

fn metadata_text(v: &Option<Value>) -> Result<String, BackendError> {
    match v {
        None | Some(Value::Null) => Ok("{}".into()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        Some(_) => Err(BackendError::field("metadata", "must be a JSON object")),
    }
}

fn check_expiry(state: &AppState, at: Option<i64>) -> Result<(), BackendError> {
    match at {
        Some(t) if t <= state.clock.now() => Err(BackendError::field("expires_at_seconds", "must be in the future")),
        _ => Ok(()),
    }
}

async fn insert(state: &AppState, r: &CreateKeyRequest, token: &str, imported: bool) -> Result<String, BackendError> {
    let (user_id, org_id) = check_owner(state, r).await?;
    check_expiry(state, r.expires_at_seconds)?;
    let id = crypto::random_hex(16);
    let row = EndUserKeyRow {
        id: id.clone(),
        token_hash: crypto::sha256_hex(token),
        imported,
        user_id,
        org_id,
        display_name: r.display_name.clone().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        metadata: metadata_text(&r.metadata)?,
        expires_at: r.expires_at_seconds,
        created_at: state.clock.now(),
        archived_at: None,
    };
    state.store.insert_end_user_key(&row).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => BackendError::field("imported_api_key", "this key was already imported"),
        other => other.into(),
    })?;
    Ok(id)
}

pub async fn create(state: &AppState, r: CreateKeyRequest) -> Result<Value, BackendError> {
    let token = crypto::random_hex(32);
    let id = insert(state, &r, &token, false).await?;
    Ok(json!({ "api_key_id": id, "api_key_token": token }))
}

pub async fn import(state: &AppState, r: CreateKeyRequest) -> Result<Value, BackendError> {
    let token = r.imported_api_key.clone().unwrap_or_default();
    if token.len() < 16 || token.len() > 512 {
        return Err(BackendError::field("imported_api_key", "must be 16 to 512 characters"));
    }
    let id = insert(state, &r, &token, true).await?;
    Ok(json!({ "api_key_id": id }))
}

#[derive(Deserialize)]
pub struct UpdateKeyRequest {
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub expires_at_seconds: Option<i64>,
    pub metadata: Option<Value>,
    pub set_to_never_expire: Option<bool>,
}

pub async fn update(state: &AppState, id: &str, r: UpdateKeyRequest) -> Result<(), BackendError> {
    let k = live_key(state, id).await?;
    check_expiry(state, r.expires_at_seconds)?;
    let expires = if r.set_to_never_expire == Some(true) { None } else { r.expires_at_seconds.or(k.expires_at) };
    let metadata = if r.metadata.is_some() { metadata_text(&r.metadata)? } else { k.metadata };
    state.store.update_end_user_key(id, expires, &metadata).await?;
    Ok(())
}

/// Deleting archives: the key stops validating and moves to the archived listing.
pub async fn delete(state: &AppState, id: &str) -> Result<(), BackendError> {
    live_key(state, id).await?;
    if !state.store.archive_end_user_key(id, state.clock.now()).await? {
        return Err(BackendError::NotFound);
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct ValidateRequest {
    pub api_key_token: Option<String>,
}

/// The SDK strips `Bearer `; we do too, for callers that don't.
fn bare_token(raw: &str) -> &str {
    let t = raw.trim();
    match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => t[7..].trim(),
        _ => t,
    }
}

/// ApiKeyValidation (§7.5): the key's metadata, its user and org.
pub async fn validate(state: &AppState, r: ValidateRequest, imported: bool) -> Result<Value, BackendError> {
    let raw = r.api_key_token.unwrap_or_default();
    let token = bare_token(&raw);
    if token.is_empty() {
        return Err(BackendError::field("api_key_token", "required"));
    }
    let hash = crypto::sha256_hex(token);
    let now = state.clock.now();
    let k = match state.store.end_user_key_by_hash(&hash).await? {
        Some(k)
            if k.imported == imported
                && k.archived_at.is_none()
                && k.expires_at.is_none_or(|t| t > now)
                && crypto::constant_time_eq(k.token_hash.as_bytes(), hash.as_bytes()) =>
        {
            k
        }
        _ => return Err(BackendError::NotFound),
    };
    let user = match &k.user_id {
        Some(id) => match state.store.user_by_id(id).await? {
            Some(u) if u.enabled => Some(backend_users::render(state, &u, true).await?),
            // A key of a disabled or deleted user is not valid.
            _ => return Err(BackendError::NotFound),
        },
        None => None,
    };
    let org = match &k.org_id {
        Some(org_id) => match state.store.org_by_id(org_id).await? {
            Some(o) => Some(super::orgs::org_list_json(&o)),
            // The org was deleted: its keys die with it.
            None => return Err(BackendError::NotFound),
        },
        None => None,
    };
    let user_in_org = match (&k.org_id, &k.user_id) {
        // A key bound to an org and a user speaks for that user in that org: once they are no
        // longer a member it grants nothing.
        (Some(o), Some(u)) => Some(super::orgs::member_info(state, o, u).await?.ok_or(BackendError::NotFound)?),
        _ => None,
    };
    let day = chrono::DateTime::from_timestamp(now, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    state.store.count_end_user_key_use(&k.id, &day).await?;
    Ok(json!({ "metadata": object(&k.metadata), "user": user, "org": org, "user_in_org": user_in_org }))
}

#[derive(Debug, Deserialize)]
pub struct UsageQuery {
    pub date: Option<String>,
    pub org_id: Option<String>,
    pub user_id: Option<String>,
    pub api_key_id: Option<String>,
}

pub async fn usage(state: &AppState, q: UsageQuery) -> Result<Value, BackendError> {
    let date = q.date.unwrap_or_default();
    if chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").is_err() {
        return Err(BackendError::field("date", "expected YYYY-MM-DD"));
    }
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let count = state
        .store
        .end_user_key_usage(&date, nonempty(&q.org_id).as_deref(), nonempty(&q.user_id).as_deref(), nonempty(&q.api_key_id).as_deref())
        .await?;
    Ok(json!({ "count": count }))
}

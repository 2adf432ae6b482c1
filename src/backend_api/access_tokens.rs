//! `create_access_token` (§7.3): an access token minted for a user by the app's server.

use super::BackendError;
use super::wire::object;
use crate::state::AppState;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// One year: a backend-minted token cannot be revoked (it is a self-contained JWT).
pub const MAX_DURATION_MINUTES: i64 = 60 * 24 * 365;

#[derive(Deserialize)]
pub struct CreateAccessTokenRequest {
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub duration_in_minutes: Option<i64>,
    pub active_org_id: Option<String>,
}

pub async fn create(state: &AppState, r: CreateAccessTokenRequest) -> Result<Value, BackendError> {
    let minutes = r.duration_in_minutes.ok_or_else(|| BackendError::field("duration_in_minutes", "required"))?;
    if !(1..=MAX_DURATION_MINUTES).contains(&minutes) {
        return Err(BackendError::field("duration_in_minutes", format!("must be between 1 and {MAX_DURATION_MINUTES}")));
    }
    let user_id = r.user_id.unwrap_or_default();
    let user = match state.store.user_by_id(&user_id).await? {
        Some(u) if u.enabled => u,
        _ => return Err(BackendError::UserNotFoundForToken),
    };
    // An active-org token carries only that org, as `org_member_info` (wire spec §3.2).
    let active = match r.active_org_id.as_deref().filter(|o| !o.is_empty()) {
        Some(org_id) => Some(
            super::orgs::member_info(state, org_id, &user.id)
                .await?
                .ok_or_else(|| BackendError::field("active_org_id", "the user is not a member of this organization"))?,
        ),
        None => None,
    };
    let now = state.clock.now();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(state.settings.issuer));
    claims.insert("sub".into(), json!(user.id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + minutes * 60));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    claims.insert("user_id".into(), json!(user.id));
    claims.insert("email".into(), json!(user.email));
    for (k, v) in [("first_name", &user.first_name), ("last_name", &user.last_name), ("username", &user.username)] {
        if let Some(v) = v {
            claims.insert(k.into(), json!(v));
        }
    }
    if let Some(l) = &user.legacy_user_id {
        claims.insert("legacy_user_id".into(), json!(l));
    }
    match active {
        Some(info) => {
            claims.insert("org_member_info".into(), info);
        }
        None => {
            let orgs = crate::orgs::user_orgs(&state.store, &user.id).await?;
            claims.insert("org_id_to_org_member_info".into(), Value::Object(orgs.by_id));
        }
    }
    claims.insert("login_method".into(), json!({ "login_method": "generated_from_backend_api" }));
    claims.insert("properties".into(), object(&user.properties));
    let token = state.keys.sign(&Value::Object(claims)).await?;
    Ok(json!({ "access_token": token }))
}

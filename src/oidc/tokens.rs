//! Minting ID and access tokens (contract §6). The access token is both an OAuth access
//! token and a PropelAuth access token, so the PropelAuth SDKs can validate it.

use super::scope;
use crate::crypto;
use crate::keys::KeyError;
use crate::orgs::UserOrgs;
use crate::state::AppState;
use crate::store::UserRow;
use serde_json::{Map, Value, json};

pub struct AccessToken {
    pub token: String,
    pub jti: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("jti", &self.jti).finish_non_exhaustive()
    }
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.into(), Value::String(v.to_string()));
    }
}

/// Which org claims an access token carries.
pub enum OrgClaims<'a> {
    /// `org_id_to_org_member_info` for every org the user belongs to.
    All(&'a UserOrgs),
    /// An active-org token: `org_member_info` for that org only.
    Active(&'a Value),
}

/// An access token for a user, valid for `ttl` seconds (the client's lifetime).
#[allow(clippy::too_many_arguments)]
pub async fn user_access_token(
    state: &AppState,
    user: &UserRow,
    client_id: &str,
    scope: &str,
    login_method: &str,
    orgs: OrgClaims<'_>,
    ttl: i64,
) -> Result<AccessToken, KeyError> {
    let now = state.clock.now();
    let exp = now + ttl;
    let jti = uuid::Uuid::new_v4().to_string();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(state.settings.issuer));
    claims.insert("sub".into(), json!(user.id));
    claims.insert("client_id".into(), json!(client_id));
    // RFC 9068 §2.2: the audience is the client the token was issued to, so an app can refuse
    // a token issued to another client (propelauth-py ≥ 4 does not check `aud`).
    claims.insert("aud".into(), json!(client_id));
    claims.insert("scope".into(), json!(scope));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(exp));
    claims.insert("jti".into(), json!(jti));
    claims.insert("user_id".into(), json!(user.id));
    claims.insert("email".into(), json!(user.email));
    insert_opt(&mut claims, "first_name", user.first_name.as_deref());
    insert_opt(&mut claims, "last_name", user.last_name.as_deref());
    insert_opt(&mut claims, "username", user.username.as_deref());
    match orgs {
        OrgClaims::All(o) => claims.insert("org_id_to_org_member_info".into(), Value::Object(o.by_id.clone())),
        OrgClaims::Active(info) => claims.insert("org_member_info".into(), info.clone()),
    };
    claims.insert("login_method".into(), json!({ "login_method": login_method }));
    let properties: Value = serde_json::from_str(&user.properties).unwrap_or_else(|_| json!({}));
    claims.insert("properties".into(), properties);
    let token = state.keys.sign(&Value::Object(claims)).await?;
    Ok(AccessToken { token, jti, expires_at: exp })
}

/// An access token for a client acting on its own behalf: no user claims.
pub async fn client_access_token(state: &AppState, client_id: &str, scope: &str, ttl: i64) -> Result<AccessToken, KeyError> {
    let now = state.clock.now();
    let exp = now + ttl;
    let jti = uuid::Uuid::new_v4().to_string();
    let claims = json!({
        "iss": state.settings.issuer, "sub": client_id, "client_id": client_id, "aud": client_id, "scope": scope,
        "iat": now, "exp": exp, "jti": jti,
    });
    let token = state.keys.sign(&claims).await?;
    Ok(AccessToken { token, jti, expires_at: exp })
}

/// The profile and email claims a scope grants (ID token and userinfo share them).
pub fn user_claims(state: &AppState, user: &UserRow, granted_scope: &str, orgs: Option<&UserOrgs>) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("sub".into(), json!(user.id));
    if scope::has(granted_scope, "profile") {
        // `name`, `preferred_username`, `profile` and `picture` are always present: Gradio's
        // OAuthProfile reads all four and fails on a missing one.
        c.insert("name".into(), json!(user.full_name().unwrap_or_else(|| user.username.clone().unwrap_or_else(|| user.email.clone()))));
        insert_opt(&mut c, "given_name", user.first_name.as_deref());
        insert_opt(&mut c, "family_name", user.last_name.as_deref());
        c.insert("preferred_username".into(), json!(user.username.clone().unwrap_or_else(|| user.email.clone())));
        let picture = user.picture_url.clone().unwrap_or_else(|| format!("{}/static/img/avatar.svg", state.settings.issuer));
        c.insert("picture".into(), json!(picture));
        c.insert("profile".into(), json!(format!("{}/account", state.settings.issuer)));
        c.insert("updated_at".into(), json!(user.updated_at));
    }
    if scope::has(granted_scope, "email") {
        c.insert("email".into(), json!(user.email));
        c.insert("email_verified".into(), json!(user.email_verified));
    }
    // A compact list, not the full OrgMemberInfo: ID tokens end up in cookies.
    if let Some(o) = orgs.filter(|_| scope::has(granted_scope, "orgs")) {
        c.insert("orgs".into(), o.compact());
    }
    c
}

pub struct IdTokenInput<'a> {
    pub user: &'a UserRow,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub auth_time: i64,
    pub nonce: Option<&'a str>,
    pub access_token: &'a str,
    pub orgs: Option<&'a UserOrgs>,
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token (RS256).
pub fn at_hash(access_token: &str) -> String {
    crypto::b64url(&crypto::sha256(access_token.as_bytes())[..16])
}

pub async fn id_token(state: &AppState, input: IdTokenInput<'_>) -> Result<String, KeyError> {
    let now = state.clock.now();
    let mut claims = user_claims(state, input.user, input.scope, input.orgs);
    claims.insert("iss".into(), json!(state.settings.issuer));
    claims.insert("aud".into(), json!(input.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + state.lifetimes.get().id_token));
    claims.insert("auth_time".into(), json!(input.auth_time));
    insert_opt(&mut claims, "nonce", input.nonce);
    claims.insert("at_hash".into(), json!(at_hash(input.access_token)));
    state.keys.sign(&Value::Object(claims)).await
}

/// The claims of an `id_token_hint`: an ID token this issuer signed. Expired ones are
/// accepted (OIDC Core §3.1.2.1; Streamlit sends old ones). Access tokens are signed with the
/// same key, so the shape decides: an ID token has an `aud` and neither `jti` nor
/// `client_id` (access tokens have both), and anything else is refused.
pub fn verify_id_token_hint(state: &AppState, hint: &str) -> Option<Map<String, Value>> {
    let claims = state.keys.verify(hint).ok()?;
    let from_us = claims.get("iss").and_then(Value::as_str) == Some(state.settings.issuer.as_str());
    let is_id_token = claims.contains_key("aud") && !claims.contains_key("jti") && !claims.contains_key("client_id");
    let has_sub = claims.get("sub").is_some_and(Value::is_string);
    (from_us && is_id_token && has_sub).then_some(claims)
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core A.3 example token and its at_hash.
        assert_eq!(super::at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
    }
}

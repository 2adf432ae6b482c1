//! Reading back tokens we issued: userinfo (OIDC Core §5.3), introspection (RFC 7662)
//! and revocation (RFC 7009).

use super::clients::AuthenticatedClient;
use super::error::{ErrorCode, OAuthError};
use super::tokens;
use crate::crypto;
use crate::state::AppState;
use crate::store::GrantRow;
use serde_json::{Map, Value, json};

/// A verified, unexpired, unrevoked access token and the grant behind it.
pub struct LiveAccessToken {
    pub claims: Map<String, Value>,
    pub grant: GrantRow,
}

/// The claims of an access token this issuer signed that has not expired, with its `jti`
/// and `client_id`; `None` for anything else (ID tokens carry neither).
fn signed_access_token(state: &AppState, token: &str) -> Option<(Map<String, Value>, String, String)> {
    let claims = state.keys.verify(token).ok()?;
    let now = state.clock.now();
    let iss_ok = claims.get("iss").and_then(Value::as_str) == Some(state.settings.issuer.as_str());
    let exp_ok = claims.get("exp").and_then(Value::as_i64).is_some_and(|exp| exp > now);
    let jti = claims.get("jti").and_then(Value::as_str)?.to_string();
    let client_id = claims.get("client_id").and_then(Value::as_str).filter(|_| iss_ok && exp_ok)?.to_string();
    Some((claims, jti, client_id))
}

pub async fn verify_access_token(state: &AppState, token: &str) -> Result<Option<LiveAccessToken>, OAuthError> {
    let Some((claims, jti, client_id)) = signed_access_token(state, token) else {
        return Ok(None);
    };
    let (jti, client_id) = (jti.as_str(), client_id.as_str());
    if is_client_token(&claims) {
        // Client credentials: no row (see `grants::client_credentials`); the signature and
        // expiry are checked above, the client's existence and the revocation list here.
        if !state.store.client_token_live(jti, client_id).await? {
            return Ok(None);
        }
        let grant = GrantRow {
            id: String::new(),
            client_id: client_id.to_string(),
            user_id: None,
            scope: claims.get("scope").and_then(Value::as_str).unwrap_or("").to_string(),
            auth_time: None,
            login_method: None,
            active_org_id: None,
            created_at: claims.get("iat").and_then(Value::as_i64).unwrap_or(0),
            revoked_at: None,
        };
        return Ok(Some(LiveAccessToken { claims, grant }));
    }
    let Some(grant) = state.store.live_access_token_grant(jti).await? else {
        return Ok(None);
    };
    Ok(Some(LiveAccessToken { claims, grant }))
}

/// A client-credentials access token: the client is its own subject.
fn is_client_token(claims: &Map<String, Value>) -> bool {
    matches!((claims.get("sub"), claims.get("client_id")), (Some(Value::String(s)), Some(Value::String(c))) if s == c)
}

pub async fn userinfo(state: &AppState, token: &str) -> Result<Map<String, Value>, OAuthError> {
    let invalid = || OAuthError::new(ErrorCode::InvalidToken, "the access token is invalid, expired or revoked");
    // A user's token only (a client's has no user to describe); the grant and its user are
    // read in one statement (issue 12).
    let (claims, jti, _) = signed_access_token(state, token).filter(|(c, _, _)| !is_client_token(c)).ok_or_else(invalid)?;
    let (_grant, user) = state.store.live_access_token_grant_with_user(&jti).await?.ok_or_else(invalid)?;
    // The token's own scope decides (a refresh may have narrowed it below the grant's).
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !super::scope::has(scope, "openid") {
        return Err(OAuthError::new(ErrorCode::InsufficientScope, "the access token was not issued for scope openid"));
    }
    if !user.enabled {
        return Err(invalid());
    }
    let orgs = if super::scope::has(scope, "orgs") { Some(crate::orgs::user_orgs(&state.store, &user.id).await?) } else { None };
    Ok(tokens::user_claims(state, &user, scope, orgs.as_ref()))
}

/// RFC 7662 response. Inactive tokens, and tokens of other clients, say only `{"active": false}`.
pub async fn introspect(state: &AppState, caller: &AuthenticatedClient, token: &str) -> Result<Value, OAuthError> {
    if caller.client.is_public {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot introspect tokens"));
    }
    let inactive = json!({ "active": false });
    // A client learns only about its own tokens: another client's look like unknown ones.
    if let Some(live) = verify_access_token(state, token).await?.filter(|l| l.grant.client_id == caller.client.id) {
        let c = &live.claims;
        let mut out = json!({
            "active": true, "token_type": "Bearer", "client_id": live.grant.client_id,
            "scope": c.get("scope"), "sub": c.get("sub"), "iss": c.get("iss"),
            "exp": c.get("exp"), "iat": c.get("iat"), "jti": c.get("jti"),
        });
        if let (Some(email), Some(map)) = (c.get("email"), out.as_object_mut()) {
            map.insert("username".into(), email.clone());
        }
        return Ok(out);
    }
    let hash = crypto::sha256_hex(token);
    if let Some(row) = state.store.refresh_token(&hash).await?
        && let Some(grant) = state.store.grant_by_id(&row.grant_id).await?
    {
        // Refresh tokens are shown only to the client that holds them.
        let now = state.clock.now();
        if grant.client_id == caller.client.id && grant.revoked_at.is_none() && row.rotated_at.is_none() && row.expires_at > now {
            return Ok(json!({
                "active": true, "token_type": "refresh_token", "client_id": grant.client_id, "scope": grant.scope,
                "sub": grant.user_id, "iss": state.settings.issuer, "exp": row.expires_at, "iat": row.created_at,
            }));
        }
    }
    Ok(inactive)
}

/// RFC 7009: revoking a refresh token ends its grant; revoking an access token ends that
/// token. Unknown tokens and other clients' tokens are silently ignored (200).
pub async fn revoke(state: &AppState, caller: &AuthenticatedClient, token: &str) -> Result<(), OAuthError> {
    let now = state.clock.now();
    let hash = crypto::sha256_hex(token);
    if let Some(row) = state.store.refresh_token(&hash).await? {
        if let Some(grant) = state.store.grant_by_id(&row.grant_id).await?
            && grant.client_id == caller.client.id
        {
            state.store.revoke_grant(&grant.id, now).await?;
        }
        return Ok(());
    }
    if let Ok(claims) = state.keys.verify(token)
        && claims.get("client_id").and_then(Value::as_str) == Some(caller.client.id.as_str())
        && let Some(jti) = claims.get("jti").and_then(Value::as_str)
    {
        if is_client_token(&claims) {
            let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
            state.store.revoke_client_token(jti, &caller.client.id, exp, now).await?;
        } else {
            state.store.revoke_access_token(jti, now).await?;
        }
    }
    Ok(())
}

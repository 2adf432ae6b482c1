//! The token endpoint (RFC 6749 §4.1.3, §4.4, §6; RFC 7636 §4.6): one function per grant.

use super::clients::AuthenticatedClient;
use super::error::{ErrorCode, OAuthError};
use super::scope;
use super::tokens::{self, IdTokenInput, OrgClaims};
use crate::crypto;
use crate::state::AppState;
use crate::store::{ClientRow, GrantRow, IssuedTokens, RefreshTokenRow, UserRow};
use serde::Serialize;

#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse").field("scope", &self.scope).finish_non_exhaustive()
    }
}

use super::param as get;

pub async fn exchange(state: &AppState, client: &AuthenticatedClient, params: &[(String, String)]) -> Result<TokenResponse, OAuthError> {
    if let Some(k) = super::repeated_param(params) {
        return Err(OAuthError::invalid_request(format!("parameter `{k}` is repeated")));
    }
    if let Some(g @ ("authorization_code" | "refresh_token" | "client_credentials")) = get(params, "grant_type")
        && !client.client.allows_grant(g)
    {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, format!("this client is not allowed the {g} grant")));
    }
    match get(params, "grant_type") {
        Some("authorization_code") => authorization_code(state, client, params).await,
        Some("refresh_token") => refresh_token(state, client, params).await,
        Some("client_credentials") => client_credentials(state, client, params).await,
        Some(other) => Err(OAuthError::new(ErrorCode::UnsupportedGrantType, format!("grant_type `{other}` is not supported"))),
        None => Err(OAuthError::invalid_request("grant_type is missing")),
    }
}

/// The grant's user, if still enabled (a deleted user takes their grants with them).
fn live_user(user: UserRow) -> Result<UserRow, OAuthError> {
    if user.enabled { Ok(user) } else { Err(OAuthError::invalid_grant("the user no longer exists or is disabled")) }
}

/// Mints the access token (and ID token, refresh token) for a user grant.
async fn issue_for_user(
    state: &AppState,
    client: &ClientRow,
    grant: &GrantRow,
    user: &UserRow,
    nonce: Option<&str>,
    with_refresh: bool,
) -> Result<TokenResponse, OAuthError> {
    let login_method = grant.login_method.as_deref().unwrap_or("password");
    let orgs = crate::orgs::user_orgs(&state.store, &user.id).await?;
    let org_claims = match &grant.active_org_id {
        Some(org_id) => OrgClaims::Active(
            orgs.by_id
                .get(org_id)
                .ok_or_else(|| OAuthError::invalid_grant("the user is no longer a member of the requested organization"))?,
        ),
        None => OrgClaims::All(&orgs),
    };
    let access_ttl = client.access_ttl(&state.lifetimes.get());
    let access = tokens::user_access_token(state, user, &grant.client_id, &grant.scope, login_method, org_claims, access_ttl).await?;
    let id_token = if scope::has(&grant.scope, "openid") {
        Some(
            tokens::id_token(
                state,
                IdTokenInput {
                    user,
                    client_id: &grant.client_id,
                    scope: &grant.scope,
                    auth_time: grant.auth_time.unwrap_or(grant.created_at),
                    nonce,
                    access_token: &access.token,
                    orgs: Some(&orgs),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let with_refresh = with_refresh && client.allows_grant("refresh_token");
    let refresh = (with_refresh && scope::has(&grant.scope, "offline_access")).then(|| {
        let token = crypto::random_secret();
        let now = state.clock.now();
        let row = RefreshTokenRow {
            token_hash: crypto::sha256_hex(&token),
            grant_id: grant.id.clone(),
            created_at: now,
            expires_at: now + client.refresh_ttl(&state.lifetimes.get()),
            rotated_at: None,
        };
        (token, row)
    });
    state
        .store
        .record_issued_tokens(&IssuedTokens {
            new_grant: None,
            grant_id: &grant.id,
            access_jti: &access.jti,
            access_expires_at: access.expires_at,
            refresh: refresh.as_ref().map(|(_, row)| row),
        })
        .await?;
    let refresh_token = refresh.map(|(token, _)| token);
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access_ttl,
        scope: grant.scope.clone(),
        id_token,
        refresh_token,
    })
}

async fn authorization_code(
    state: &AppState,
    client: &AuthenticatedClient,
    params: &[(String, String)],
) -> Result<TokenResponse, OAuthError> {
    let code = get(params, "code").ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let redirect_uri = get(params, "redirect_uri").ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
    let hash = crypto::sha256_hex(code);
    let now = state.clock.now();
    // Marked used before any other check (a wrong verifier spends the code too); only the
    // client it was issued to can spend it.
    let Some(row) = state.store.redeem_auth_code(&hash, &client.client.id, now).await? else {
        return Err(refused_code(state, &hash, &client.client.id, now).await?);
    };
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the authorization code has expired"));
    }
    if row.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    match (&row.code_challenge, get(params, "code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let computed = crypto::b64url(&crypto::sha256(verifier.as_bytes()));
            if !super::authorize::valid_pkce_value(verifier) || !crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
                return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
            }
        }
        (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required (PKCE was used)")),
        (None, Some(_)) => return Err(OAuthError::invalid_grant("code_verifier given but PKCE was not used")),
        (None, None) if client.client.is_public => return Err(OAuthError::invalid_grant("public clients must use PKCE")),
        (None, None) => {}
    }
    let (grant, user) =
        state.store.grant_with_user(&row.grant_id).await?.ok_or_else(|| OAuthError::invalid_grant("the authorization code is invalid"))?;
    if grant.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("the grant has been revoked"));
    }
    let user = live_user(user)?;
    issue_for_user(state, &client.client, &grant, &user, row.nonce.as_deref(), true).await
}

/// Why a code could not be redeemed: unknown, another client's, or already used (a replay,
/// which revokes what its first redemption issued: RFC 6749 §4.1.2).
async fn refused_code(state: &AppState, hash: &str, client_id: &str, now: i64) -> Result<OAuthError, OAuthError> {
    let Some(row) = state.store.auth_code(hash).await? else {
        return Ok(OAuthError::invalid_grant("the authorization code is invalid"));
    };
    if row.client_id != client_id {
        return Ok(OAuthError::invalid_grant("the authorization code was issued to another client"));
    }
    state.store.revoke_grant(&row.grant_id, now).await?;
    tracing::warn!(client_id = %row.client_id, "authorization code replayed; grant revoked");
    Ok(OAuthError::invalid_grant("the authorization code has already been used"))
}

async fn refresh_token(state: &AppState, client: &AuthenticatedClient, params: &[(String, String)]) -> Result<TokenResponse, OAuthError> {
    let token = get(params, "refresh_token").ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let hash = crypto::sha256_hex(token);
    let row = state.store.refresh_token(&hash).await?.ok_or_else(|| OAuthError::invalid_grant("the refresh token is invalid"))?;
    let (grant, user) =
        state.store.grant_with_user(&row.grant_id).await?.ok_or_else(|| OAuthError::invalid_grant("the refresh token is invalid"))?;
    if grant.client_id != client.client.id {
        return Err(OAuthError::invalid_grant("the refresh token was issued to another client"));
    }
    let now = state.clock.now();
    if grant.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("the refresh token has been revoked"));
    }
    // RFC 6749 §6: only scopes of the original grant, checked before the token is rotated so
    // a refused request does not cost the client its refresh token.
    let narrowed = match get(params, "scope") {
        None => None,
        Some(raw) => {
            if raw.split(' ').filter(|s| !s.is_empty()).any(|s| !scope::has(&grant.scope, s)) {
                return Err(OAuthError::new(ErrorCode::InvalidScope, "the requested scope exceeds the original grant"));
            }
            Some(scope::parse(raw))
        }
    };
    if row.rotated_at.is_some() || !state.store.mark_refresh_token_rotated(&hash, now).await? {
        // Presented again: a retry (lost response, double submit) within the grace period gets
        // a fresh pair in the same grant; later, reuse means the token leaked: end the grant.
        let rotated_at = match row.rotated_at {
            Some(at) => Some(at),
            None => state.store.refresh_token(&hash).await?.and_then(|r| r.rotated_at),
        };
        let grace = state.settings.tokens.refresh_token_reuse_grace;
        if !rotated_at.is_some_and(|at| grace > 0 && now - at <= grace) {
            state.store.revoke_grant(&grant.id, now).await?;
            tracing::warn!(client_id = %grant.client_id, "rotated refresh token reused; grant revoked");
            return Err(OAuthError::invalid_grant("the refresh token has already been used"));
        }
        tracing::info!(client_id = %grant.client_id, "rotated refresh token presented again within the grace period");
    }
    if row.expires_at <= now {
        return Err(OAuthError::invalid_grant("the refresh token has expired"));
    }
    let mut grant = grant;
    if let Some(requested) = narrowed {
        // The narrowing applies to this response; the grant keeps its scope.
        grant.scope = scope::join(&requested);
        if !scope::has(&grant.scope, "offline_access") {
            grant.scope.push_str(if grant.scope.is_empty() { "offline_access" } else { " offline_access" });
        }
    }
    let user = live_user(user)?;
    issue_for_user(state, &client.client, &grant, &user, None, true).await
}

async fn client_credentials(
    state: &AppState,
    client: &AuthenticatedClient,
    params: &[(String, String)],
) -> Result<TokenResponse, OAuthError> {
    if client.client.is_public {
        return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "public clients cannot use client_credentials"));
    }
    // User-facing scopes mean nothing without a user.
    let requested = get(params, "scope").unwrap_or("");
    let scopes: Vec<String> = requested
        .split(' ')
        .filter(|s| !s.is_empty() && !matches!(*s, "openid" | "offline_access" | "profile" | "email"))
        .map(str::to_string)
        .collect();
    if scopes.iter().any(|s| !scope::valid_custom_scope(s)) {
        return Err(OAuthError::new(ErrorCode::InvalidScope, "scope contains invalid characters"));
    }
    // Each scope must be registered for the client (`client create --client-credentials-scope`).
    if let Some(s) = scopes.iter().find(|s| !client.client.allows_client_scope(s)) {
        return Err(OAuthError::new(ErrorCode::InvalidScope, format!("scope `{s}` is not allowed for this client")));
    }
    let scope = scope::join(&scopes);
    // No grant or token row: a client-credentials token is answered from its signature, the
    // client's existence and a small revocation list (`access::verify_access_token`). The two
    // inserts per token were most of this endpoint's cost after the RSA signature (issue 12).
    let access_ttl = client.client.access_ttl(&state.lifetimes.get());
    let access = tokens::client_access_token(state, &client.client.id, &scope, access_ttl).await?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access_ttl,
        scope,
        id_token: None,
        refresh_token: None,
    })
}

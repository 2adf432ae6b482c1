//! The authorization endpoint (OIDC Core §3.1.2, RFC 6749 §4.1, RFC 7636, RFC 9207).
//! Validation order matters: until the client and redirect URI are known to be good,
//! errors are shown to the user and never redirected.

use super::error::{ErrorCode, OAuthError};
use super::scope;
use crate::auth::session::Session;
use crate::crypto;
use crate::state::AppState;
use crate::store::{AuthCodeRow, AuthRequestRow, ClientRow, GrantRow};
use serde::{Deserialize, Serialize};

/// How long a parked request waits for the user to log in or consent.
const PARKED_REQUEST_TTL: i64 = 30 * 60;

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A request that passed validation; parked in the database while the user logs in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ValidRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint_sub: Option<String>,
    pub code_challenge: Option<String>,
    /// PropelAuth-style active org: the token then carries only that org.
    #[serde(default)]
    pub org_id: Option<String>,
}

/// Where to send the browser with a code or an error.
#[derive(Clone, Debug)]
pub struct ClientResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(String, String)>,
}

impl ClientResponse {
    /// The redirect URL for `query` mode.
    pub fn query_url(&self) -> String {
        let mut url = self.redirect_uri.clone();
        let encoded = serde_urlencoded::to_string(&self.params).unwrap_or_default();
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&encoded);
        url
    }
}

#[derive(Debug)]
pub enum Outcome {
    /// Client or redirect URI cannot be trusted: show this, never redirect.
    ErrorPage(OAuthError),
    Respond(ClientResponse),
    Login {
        request_id: String,
        login_hint: Option<String>,
    },
    Consent {
        request_id: String,
        /// Shown beside the name: two clients may share a name.
        client_id: String,
        client_name: String,
        scopes: Vec<String>,
    },
}

use super::param as get;

fn error_response(req_redirect: &str, mode: ResponseMode, state: Option<&str>, issuer: &str, err: &OAuthError) -> Outcome {
    let mut params = vec![("error".to_string(), err.code.as_str().to_string()), ("error_description".into(), err.description.clone())];
    if let Some(s) = state {
        params.push(("state".into(), s.to_string()));
    }
    params.push(("iss".into(), issuer.to_string()));
    Outcome::Respond(ClientResponse { redirect_uri: req_redirect.to_string(), mode, params })
}

/// RFC 7636 §4.1/§4.2: 43-128 characters of the unreserved set (challenges and verifiers alike).
pub fn valid_pkce_value(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Validates a fresh request from the client (GET query or POST form).
pub async fn start(state: &AppState, params: &[(String, String)], session: Option<Session>) -> Outcome {
    let issuer = &state.settings.issuer;
    if let Some(k) = super::repeated_param(params) {
        let err = OAuthError::invalid_request(format!("parameter `{k}` is repeated"));
        return match (get(params, "client_id"), get(params, "redirect_uri")) {
            (Some(_), Some(_)) if k != "client_id" && k != "redirect_uri" && k != "response_mode" => {
                // The target is trusted and unambiguous: answer the client there, echoing `state`
                // (RFC 6749 §4.1.2.1) unless `state` itself is the repeated parameter.
                let client_state = if k == "state" { None } else { get(params, "state") };
                let mode = if get(params, "response_mode") == Some("form_post") { ResponseMode::FormPost } else { ResponseMode::Query };
                match trusted_target(state, params).await {
                    Ok((_, redirect)) => error_response(&redirect, mode, client_state, issuer, &err),
                    Err(e) => Outcome::ErrorPage(e),
                }
            }
            _ => Outcome::ErrorPage(err),
        };
    }
    let (client, redirect_uri) = match trusted_target(state, params).await {
        Ok(t) => t,
        Err(e) => return Outcome::ErrorPage(e),
    };
    let client_state = get(params, "state").map(str::to_string);
    let (mode, mode_error) = match get(params, "response_mode") {
        None | Some("query") => (ResponseMode::Query, None),
        Some("form_post") => (ResponseMode::FormPost, None),
        Some(other) => (ResponseMode::Query, Some(OAuthError::invalid_request(format!("response_mode `{other}` is not supported")))),
    };
    let fail = |err: OAuthError| error_response(&redirect_uri, mode, client_state.as_deref(), issuer, &err);
    if let Some(err) = mode_error {
        return fail(err);
    }
    match validate(state, params, &client, &redirect_uri, mode) {
        Ok(req) => decide(state, req, &client, session, None).await,
        Err(err) => fail(err),
    }
}

fn disabled() -> OAuthError {
    OAuthError::new(ErrorCode::UnauthorizedClient, "this application has been disabled by the administrator")
}

/// Finds the client and checks the redirect URI against its registration.
async fn trusted_target(state: &AppState, params: &[(String, String)]) -> Result<(ClientRow, String), OAuthError> {
    let client_id = get(params, "client_id").ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    let client =
        state.store.client_for_request(client_id).await?.ok_or_else(|| OAuthError::new(ErrorCode::InvalidClient, "unknown client_id"))?;
    if !client.enabled {
        return Err(disabled());
    }
    let redirect_uri = get(params, "redirect_uri").ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
    if !client.accepts_redirect_uri(redirect_uri) {
        if let Some(param) = super::clients::injected_response_param(redirect_uri) {
            return Err(OAuthError::invalid_request(format!(
                "redirect_uri must not carry `{param}` in its query: the server adds the response parameters itself"
            )));
        }
        return Err(OAuthError::invalid_request("redirect_uri is not registered for this client"));
    }
    Ok((client, redirect_uri.to_string()))
}

fn validate(
    state: &AppState,
    params: &[(String, String)],
    client: &ClientRow,
    redirect_uri: &str,
    mode: ResponseMode,
) -> Result<ValidRequest, OAuthError> {
    if get(params, "request").is_some() {
        return Err(OAuthError::new(ErrorCode::RequestNotSupported, "request objects are not supported"));
    }
    if get(params, "request_uri").is_some() {
        return Err(OAuthError::new(ErrorCode::RequestUriNotSupported, "request_uri is not supported"));
    }
    match get(params, "response_type") {
        None => return Err(OAuthError::invalid_request("response_type is missing")),
        Some("code") if !client.allows_grant("authorization_code") => {
            return Err(OAuthError::new(ErrorCode::UnauthorizedClient, "this client is not allowed to sign users in (authorization_code)"));
        }
        Some("code") => {}
        Some(other) => {
            return Err(OAuthError::new(ErrorCode::UnsupportedResponseType, format!("response_type `{other}` is not supported; use code")));
        }
    }
    let scopes = scope::parse(get(params, "scope").unwrap_or(""));
    let prompt: Vec<String> = get(params, "prompt").unwrap_or("").split(' ').filter(|p| !p.is_empty()).map(str::to_string).collect();
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(OAuthError::invalid_request("prompt=none cannot be combined with other prompt values"));
    }
    if let Some(p) = prompt.iter().find(|p| !matches!(p.as_str(), "none" | "login" | "consent" | "select_account")) {
        return Err(OAuthError::invalid_request(format!("prompt value `{p}` is not supported")));
    }
    let max_age = match get(params, "max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| OAuthError::invalid_request("max_age must be a non-negative integer"))?,
        ),
    };
    let code_challenge = get(params, "code_challenge");
    match (code_challenge, get(params, "code_challenge_method")) {
        (Some(_), None) => return Err(OAuthError::invalid_request("code_challenge_method is required; only S256 is supported")),
        (Some(_), Some("S256")) | (None, None) => {}
        (Some(_), Some(m)) => return Err(OAuthError::invalid_request(format!("code_challenge_method `{m}` is not supported; use S256"))),
        (None, Some(_)) => return Err(OAuthError::invalid_request("code_challenge_method given without code_challenge")),
    }
    if let Some(c) = code_challenge
        && !valid_pkce_value(c)
    {
        return Err(OAuthError::invalid_request("code_challenge must be 43-128 characters of [A-Za-z0-9-._~]"));
    }
    if client.is_public && code_challenge.is_none() {
        return Err(OAuthError::invalid_request("public clients must use PKCE (code_challenge with S256)"));
    }
    let id_token_hint_sub = match get(params, "id_token_hint") {
        None => None,
        Some(hint) => {
            let claims = super::tokens::verify_id_token_hint(state, hint)
                .ok_or_else(|| OAuthError::invalid_request("id_token_hint is not a valid ID token from this issuer"))?;
            claims.get("sub").and_then(|v| v.as_str()).map(str::to_string)
        }
    };
    Ok(ValidRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_string(),
        response_mode: mode,
        scope: scope::join(&scopes),
        state: get(params, "state").map(str::to_string),
        nonce: get(params, "nonce").map(str::to_string),
        prompt,
        max_age,
        login_hint: get(params, "login_hint").map(|s| s.chars().take(254).collect()),
        id_token_hint_sub,
        code_challenge: code_challenge.map(str::to_string),
        org_id: get(params, "org_id").map(str::to_string),
    })
}

impl ValidRequest {
    fn prompts(&self, p: &str) -> bool {
        self.prompt.iter().any(|x| x == p)
    }

    fn error(&self, issuer: &str, err: OAuthError) -> Outcome {
        error_response(&self.redirect_uri, self.response_mode, self.state.as_deref(), issuer, &err)
    }
}

async fn park(state: &AppState, req: &ValidRequest, existing: Option<&AuthRequestRow>) -> Result<String, OAuthError> {
    if let Some(row) = existing {
        return Ok(row.id.clone());
    }
    let now = state.clock.now();
    let id = crypto::random_secret();
    let params = serde_json::to_string(req).map_err(|e| OAuthError::server(&e))?;
    state
        .store
        .insert_auth_request(&AuthRequestRow {
            id: id.clone(),
            client_id: req.client_id.clone(),
            params,
            created_at: now,
            expires_at: now + PARKED_REQUEST_TTL,
        })
        .await?;
    Ok(id)
}

/// Loads a parked request (after login or consent). `None` if expired or unknown.
pub async fn load_parked(state: &AppState, request_id: &str) -> Result<Option<(AuthRequestRow, ValidRequest, ClientRow)>, OAuthError> {
    let Some(row) = state.store.auth_request(request_id, state.clock.now()).await? else {
        return Ok(None);
    };
    let req: ValidRequest = serde_json::from_str(&row.params).map_err(|e| OAuthError::server(&e))?;
    let Some(client) = state.store.client_for_request(&req.client_id).await? else {
        return Ok(None);
    };
    if !client.enabled {
        return Err(disabled());
    }
    Ok(Some((row, req, client)))
}

/// Continues a parked request once the user has logged in.
pub async fn resume(state: &AppState, request_id: &str, session: Option<Session>) -> Outcome {
    match load_parked(state, request_id).await {
        Ok(Some((row, req, client))) => decide(state, req, &client, session, Some(&row)).await,
        Ok(None) => {
            Outcome::ErrorPage(OAuthError::invalid_request("this sign-in request has expired; go back to the application and start again"))
        }
        Err(e) => Outcome::ErrorPage(e),
    }
}

/// Applies the user's consent decision to a parked request.
pub async fn consent_decision(state: &AppState, request_id: &str, session: Option<Session>, allow: bool) -> Outcome {
    let (row, req, client) = match load_parked(state, request_id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Outcome::ErrorPage(OAuthError::invalid_request(
                "this sign-in request has expired; go back to the application and start again",
            ));
        }
        Err(e) => return Outcome::ErrorPage(e),
    };
    let issuer = &state.settings.issuer;
    let Some(session) = session else {
        return decide(state, req, &client, None, Some(&row)).await;
    };
    if !allow {
        return finish(state, &row, req.error(issuer, OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"))).await;
    }
    if let Err(e) = state.store.save_consent(&session.user_id, &client.id, &req.scope, state.clock.now()).await {
        return Outcome::ErrorPage(e.into());
    }
    let mut req = req;
    req.prompt.retain(|p| p != "consent");
    decide(state, req, &client, Some(session), Some(&row)).await
}

/// Drops the parked request (single use) before answering the client.
async fn finish(state: &AppState, parked: &AuthRequestRow, outcome: Outcome) -> Outcome {
    match state.store.take_auth_request(&parked.id).await {
        Ok(true) => outcome,
        Ok(false) => Outcome::ErrorPage(OAuthError::invalid_request("this sign-in request was already completed")),
        Err(e) => Outcome::ErrorPage(e.into()),
    }
}

/// The heart of the endpoint: log in, consent, or issue a code.
async fn decide(
    state: &AppState,
    req: ValidRequest,
    client: &ClientRow,
    session: Option<Session>,
    parked: Option<&AuthRequestRow>,
) -> Outcome {
    let issuer = state.settings.issuer.clone();
    let now = state.clock.now();
    let respond = |outcome: Outcome| async move {
        match parked {
            Some(p) => finish(state, p, outcome).await,
            None => outcome,
        }
    };
    let login = |req: ValidRequest| async move {
        let hint = req.login_hint.clone();
        match park(state, &req, parked).await {
            Ok(request_id) => Outcome::Login { request_id, login_hint: hint },
            Err(e) => Outcome::ErrorPage(e),
        }
    };
    // A session is only found for an enabled user (`Store::session_by_hash` joins the user),
    // so its user is live: no second read of the user here (issue 12).
    let Some(session) = session else {
        if req.prompts("none") {
            return respond(req.error(&issuer, OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in"))).await;
        }
        return login(req).await;
    };
    // A login that happened after this request was parked satisfies every freshness rule.
    let fresh = parked.is_some_and(|p| session.auth_time >= p.created_at);
    // max_age=0 demands a fresh login, like prompt=login.
    let too_old = req.max_age.is_some_and(|max| max == 0 || now - session.auth_time > max);
    let user_id = session.user_id.clone();
    let wrong_user = req.id_token_hint_sub.as_deref().is_some_and(|sub| sub != user_id);
    if fresh && wrong_user {
        // OIDC Core §3.1.2.1: the user who just logged in is not the one the client asked for.
        let err = OAuthError::new(ErrorCode::LoginRequired, "the user who logged in is not the one in id_token_hint");
        return respond(req.error(&issuer, err)).await;
    }
    if !fresh && (req.prompts("login") || too_old || wrong_user) {
        if req.prompts("none") {
            let why = if wrong_user { "the logged-in user is not the one in id_token_hint" } else { "the login is older than max_age" };
            return respond(req.error(&issuer, OAuthError::new(ErrorCode::LoginRequired, why))).await;
        }
        return login(req).await;
    }
    if client.require_consent {
        let granted = match state.store.consented_scope(&user_id, &client.id).await {
            Ok(g) => g,
            Err(e) => return Outcome::ErrorPage(e.into()),
        };
        let covered = granted.is_some_and(|g| req.scope.split(' ').filter(|s| !s.is_empty()).all(|s| scope::has(&g, s)));
        if !covered || req.prompts("consent") {
            if req.prompts("none") {
                return respond(
                    req.error(&issuer, OAuthError::new(ErrorCode::ConsentRequired, "the user has not consented to this client")),
                )
                .await;
            }
            return match park(state, &req, parked).await {
                Ok(request_id) => Outcome::Consent {
                    request_id,
                    client_id: client.id.clone(),
                    client_name: client.name.clone(),
                    scopes: req.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                },
                Err(e) => Outcome::ErrorPage(e),
            };
        }
    }
    if let Some(org_id) = &req.org_id {
        match state.store.membership(org_id, &user_id).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let err = OAuthError::new(ErrorCode::AccessDenied, "the user is not a member of the requested organization");
                return respond(req.error(&issuer, err)).await;
            }
            Err(e) => return Outcome::ErrorPage(e.into()),
        }
    }
    let outcome = match issue_code(state, &req, &user_id, &session).await {
        Ok(code) => {
            let mut params = vec![("code".to_string(), code)];
            if let Some(s) = &req.state {
                params.push(("state".into(), s.clone()));
            }
            params.push(("iss".into(), issuer.clone()));
            Outcome::Respond(ClientResponse { redirect_uri: req.redirect_uri.clone(), mode: req.response_mode, params })
        }
        Err(e) => req.error(&issuer, e),
    };
    respond(outcome).await
}

async fn issue_code(state: &AppState, req: &ValidRequest, user_id: &str, session: &Session) -> Result<String, OAuthError> {
    let now = state.clock.now();
    // The grant remembers the session it came from: signing that session out revokes it.
    let grant = GrantRow {
        id: uuid::Uuid::new_v4().to_string(),
        client_id: req.client_id.clone(),
        user_id: Some(user_id.to_string()),
        scope: req.scope.clone(),
        auth_time: Some(session.auth_time),
        login_method: Some(session.login_method.clone()),
        active_org_id: req.org_id.clone(),
        created_at: now,
        revoked_at: None,
    };
    let code = crypto::random_secret();
    let row = AuthCodeRow {
        code_hash: crypto::sha256_hex(&code),
        grant_id: grant.id.clone(),
        client_id: req.client_id.clone(),
        redirect_uri: req.redirect_uri.clone(),
        nonce: req.nonce.clone(),
        code_challenge: req.code_challenge.clone(),
        created_at: now,
        expires_at: now + state.settings.tokens.auth_code_ttl,
        used_at: None,
    };
    state.store.insert_grant_with_code(&grant, &session.id_hash, &row).await?;
    Ok(code)
}

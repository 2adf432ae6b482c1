//! Protocol endpoints: thin wrappers over `crate::oidc`.

use super::error::{bearer_error, oauth_json, oauth_page};
use super::forms::{self, Params};
use super::pages::{self, current_session};
use super::{csrf, render};
use crate::oidc::authorize::{self, Outcome, ResponseMode};
use crate::oidc::clients::{self, PresentedCredentials};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::{access, end_session as logout, grants};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub async fn discovery(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(state.discovery_json.to_string())
}

pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .content_type("application/json")
        .body(state.keys.jwks_json().await.to_string())
}

#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage<'a> {
    action: &'a str,
    params: &'a [(String, String)],
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    look: &'a pages::hosted::Look,
    client_id: &'a str,
    client_name: &'a str,
    email: &'a str,
    scopes: &'a [String],
    csrf_token: &'a str,
    request_id: &'a str,
}

/// Turns the protocol's decision into a browser response.
async fn render_outcome(req: &HttpRequest, state: &AppState, outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::ErrorPage(err) => oauth_page(&err),
        Outcome::Respond(resp) => match resp.mode {
            ResponseMode::Query => render::redirect(&resp.query_url(), StatusCode::FOUND, Vec::new()),
            ResponseMode::FormPost => {
                render::page(StatusCode::OK, &FormPostPage { action: &resp.redirect_uri, params: &resp.params }, Vec::new())
            }
        },
        Outcome::Login { request_id, login_hint } => {
            let mut q = vec![("request", request_id)];
            if let Some(h) = login_hint {
                q.push(("login_hint", h));
            }
            render::redirect(&format!("/login?{}", serde_urlencoded::to_string(q).unwrap_or_default()), StatusCode::FOUND, Vec::new())
        }
        Outcome::Consent { request_id, client_id, client_name, scopes } => {
            let Some(session) = current_session(req, state).await else {
                return pages::internal_error(&"consent without a session");
            };
            let email = match state.store.user_by_id(&session.user_id).await {
                Ok(u) => u.map(|u| u.email).unwrap_or_default(),
                Err(e) => return pages::internal_error(&e),
            };
            let token = csrf::issue(req, state);
            let look = pages::hosted::Look::from(&pages::hosted::admin(state).await);
            let page = ConsentPage {
                look: &look,
                client_id: &client_id,
                client_name: &client_name,
                email: &email,
                scopes: &scopes,
                csrf_token: &token.form_value,
                request_id: &request_id,
            };
            render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
        }
    }
}

async fn authorize_with(req: HttpRequest, state: web::Data<AppState>, params: Option<Params>) -> HttpResponse {
    let Some(params) = params else {
        return oauth_page(&OAuthError::invalid_request("the request parameters could not be parsed"));
    };
    let session = current_session(&req, &state).await;
    let outcome = authorize::start(&state, &params, session).await;
    render_outcome(&req, &state, outcome).await
}

pub async fn authorize_get(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = forms::query(&req);
    authorize_with(req, state, params).await
}

pub async fn authorize_post(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let params = if forms::is_form(&req) { forms::parse(&body) } else { None };
    authorize_with(req, state, params).await
}

pub async fn authorize_resume(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let params = forms::query(&req).unwrap_or_default();
    let request_id = forms::get(&params, "request").unwrap_or("");
    let session = current_session(&req, &state).await;
    let outcome = authorize::resume(&state, request_id, session).await;
    render_outcome(&req, &state, outcome).await
}

pub async fn consent(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let params = forms::parse(&body).unwrap_or_default();
    if !csrf::verify(&req, &state, forms::get(&params, "csrf_token")) {
        return pages::csrf_failure();
    }
    let allow = forms::get(&params, "decision") == Some("allow");
    let request_id = forms::get(&params, "request").unwrap_or("");
    let session = current_session(&req, &state).await;
    let outcome = authorize::consent_decision(&state, request_id, session, allow).await;
    render_outcome(&req, &state, outcome).await
}

/// Reads client credentials from the Basic header and the form body.
fn credentials(req: &HttpRequest, params: &Params) -> Result<PresentedCredentials, OAuthError> {
    let basic = forms::basic_credentials(req).map_err(|_| OAuthError::invalid_client("malformed Basic authorization header"))?;
    Ok(PresentedCredentials {
        basic,
        body_client_id: forms::get(params, "client_id").filter(|s| !s.is_empty()).map(str::to_string),
        body_client_secret: forms::get(params, "client_secret").filter(|s| !s.is_empty()).map(str::to_string),
    })
}

fn client_error(err: &OAuthError, used_basic: bool) -> HttpResponse {
    let mut res = oauth_json(err);
    if err.code == ErrorCode::InvalidClient && used_basic {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"gatehouse\""));
    }
    res
}

/// Parses a token-style request body and authenticates the client.
async fn authenticated_form(
    req: &HttpRequest,
    state: &AppState,
    body: &[u8],
) -> Result<(clients::AuthenticatedClient, Params), HttpResponse> {
    if !forms::is_form(req) {
        return Err(oauth_json(&OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")));
    }
    let params = forms::parse(body).ok_or_else(|| oauth_json(&OAuthError::invalid_request("the body could not be parsed")))?;
    let creds = credentials(req, &params).map_err(|e| client_error(&e, true))?;
    let client = clients::authenticate(&state.store, &state.clock, &creds).await.map_err(|e| client_error(&e.error, e.used_basic))?;
    Ok((client, params))
}

pub async fn token(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let (client, params) = match authenticated_form(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    match grants::exchange(&state, &client, &params).await {
        Ok(tokens) => {
            HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache")).json(tokens)
        }
        Err(err) => oauth_json(&err),
    }
}

pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let from_body =
        if forms::is_form(&req) { forms::parse(&body).and_then(|p| forms::get(&p, "access_token").map(str::to_string)) } else { None };
    let token = match (forms::bearer_token(&req), from_body) {
        (Some(_), Some(_)) => return bearer_error(&OAuthError::invalid_request("send the access token in one place only")),
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"gatehouse\""))
                .json(serde_json::json!({ "error": "invalid_token", "error_description": "an access token is required" }));
        }
    };
    match access::userinfo(&state, &token).await {
        Ok(claims) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(claims),
        Err(err) => bearer_error(&err),
    }
}

pub async fn revoke(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let (client, params) = match authenticated_form(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some(token) = forms::get(&params, "token").filter(|t| !t.is_empty()) else {
        return oauth_json(&OAuthError::invalid_request("token is missing"));
    };
    match access::revoke(&state, &client, token).await {
        Ok(()) => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({})),
        Err(err) => oauth_json(&err),
    }
}

pub async fn introspect(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let (client, params) = match authenticated_form(&req, &state, &body).await {
        Ok(x) => x,
        Err(res) => return res,
    };
    let Some(token) = forms::get(&params, "token").filter(|t| !t.is_empty()) else {
        return oauth_json(&OAuthError::invalid_request("token is missing"));
    };
    match access::introspect(&state, &client, token).await {
        Ok(answer) => HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(answer),
        Err(err) => oauth_json(&err),
    }
}

/// RP-initiated logout, by GET or POST.
pub async fn end_session(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let params = if req.method() == actix_web::http::Method::POST { forms::parse(&body) } else { forms::query(&req) };
    let Some(params) = params else {
        return oauth_page(&OAuthError::invalid_request("the request parameters could not be parsed"));
    };
    let plan = match logout::plan(&state, &params).await {
        Ok(p) => p,
        Err(err) => {
            return render::error_page(StatusCode::BAD_REQUEST, "Sign-out request not valid", &err.description, Some(err.code.as_str()));
        }
    };
    let confirmed_form = forms::get(&params, "confirm") == Some("yes");
    if confirmed_form && !csrf::verify(&req, &state, forms::get(&params, "csrf_token")) {
        return pages::csrf_failure();
    }
    let session = current_session(&req, &state).await;
    let mut cookies = Vec::new();
    if let Some(s) = session {
        let hint_matches = plan.hint_sub.as_deref() == Some(s.user_id.as_str());
        if !(confirmed_form || hint_matches) {
            // Without proof the user asked for this, ask them (RP-Initiated Logout §2).
            let email = state.store.user_by_id(&s.user_id).await.ok().flatten().map(|u| u.email).unwrap_or_default();
            let token = csrf::issue(&req, &state);
            let carry: Vec<(String, String)> = params.iter().filter(|(k, _)| k != "csrf_token" && k != "confirm").cloned().collect();
            let look = pages::hosted::Look::from(&pages::hosted::admin(&state).await);
            let page = pages::LogoutConfirm {
                look: &look,
                email: &email,
                csrf_token: &token.form_value,
                action: crate::oidc::discovery::END_SESSION_PATH,
                carry,
            };
            return render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect());
        }
        match pages::end_current_session(&req, &state).await {
            Ok(c) => cookies.push(c),
            Err(e) => return pages::internal_error(&e),
        }
    }
    match plan.redirect {
        Some(url) => render::redirect(&url, StatusCode::FOUND, cookies),
        None => pages::signed_out(cookies),
    }
}

use super::super::{cookies, csrf, render};
use super::{csrf_failure, current_session, internal_error};
use crate::auth::session::{self, SessionContext};
use crate::oidc::authorize;
use crate::state::AppState;
use crate::users::{self, LoginError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf_token: &'a str,
    request_id: Option<&'a str>,
    return_to: Option<&'a str>,
    client_name: Option<&'a str>,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    request: Option<String>,
    return_to: Option<String>,
    login_hint: Option<String>,
}

async fn client_name(state: &AppState, request_id: Option<&str>) -> Option<String> {
    let (_, _, client) = authorize::load_parked(state, request_id?).await.ok()??;
    Some(client.name)
}

/// Only same-site paths are followed after login: no open redirects.
fn safe_return_to(path: Option<&str>) -> Option<&str> {
    path.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control))
}

/// Where the login form leads: a parked authorization request or a local page.
#[derive(Clone, Copy)]
struct LoginTarget<'a> {
    request_id: Option<&'a str>,
    return_to: Option<&'a str>,
}

fn render_login(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    target: LoginTarget<'_>,
    client: Option<&str>,
    email: &str,
    error: Option<&str>,
) -> HttpResponse {
    let token = csrf::issue(req, state);
    let page = LoginPage {
        csrf_token: &token.form_value,
        request_id: target.request_id,
        return_to: target.return_to,
        client_name: client,
        email,
        error,
    };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

pub async fn login_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<LoginQuery>) -> HttpResponse {
    let request_id = query.request.as_deref().filter(|r| !r.is_empty());
    let return_to = safe_return_to(query.return_to.as_deref());
    let client = client_name(&state, request_id).await;
    if request_id.is_none() && current_session(&req, &state).await.is_some() {
        return render::redirect(return_to.unwrap_or("/"), StatusCode::SEE_OTHER, Vec::new());
    }
    let email = query.login_hint.as_deref().unwrap_or("");
    render_login(&req, &state, StatusCode::OK, LoginTarget { request_id, return_to }, client.as_deref(), email, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    csrf_token: Option<String>,
    request: Option<String>,
    return_to: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login_submit(req: HttpRequest, state: web::Data<AppState>, form: web::Form<LoginForm>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let request_id = form.request.as_deref().filter(|r| !r.is_empty());
    let return_to = safe_return_to(form.return_to.as_deref());
    let user = match users::authenticate(&state.store, &state.hasher, &form.email, &form.password).await {
        Ok(u) => u,
        Err(e @ (LoginError::BadCredentials | LoginError::Disabled)) => {
            let message = match e {
                LoginError::Disabled => "This account is disabled. Contact your administrator.",
                _ => "Incorrect email or password.",
            };
            let client = client_name(&state, request_id).await;
            let target = LoginTarget { request_id, return_to };
            return render_login(&req, &state, StatusCode::UNAUTHORIZED, target, client.as_deref(), form.email.trim(), Some(message));
        }
        Err(e @ (LoginError::Password(_) | LoginError::Store(_))) => return internal_error(&e),
    };
    // A new session id on every login (no fixation); the old session ends.
    if let Some(old) = cookies::read(&req, &state.settings, cookies::SESSION)
        && let Err(e) = session::end(&state.store, &old).await
    {
        return internal_error(&e);
    }
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let ctx = SessionContext { user_agent: req.headers().get("user-agent").and_then(|v| v.to_str().ok()), ip: ip.as_deref() };
    let new = match session::create(&state.store, &state.clock, state.settings.session_ttl, &user.id, "password", ctx).await {
        Ok(s) => s,
        Err(e) => return internal_error(&e),
    };
    let cookie = cookies::build(&state.settings, cookies::SESSION, new.cookie_value.clone(), Some(state.settings.session_ttl));
    let target = match request_id {
        Some(id) => format!("/oauth2/authorize/resume?{}", serde_urlencoded::to_string([("request", id)]).unwrap_or_default()),
        None => return_to.unwrap_or("/").to_string(),
    };
    render::redirect(&target, StatusCode::SEE_OTHER, vec![cookie])
}

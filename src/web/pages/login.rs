use super::super::gate::CsrfForm;
use super::super::{cookies, csrf, render};
use super::hosted::{self, Look};
use super::{current_session, internal_error};
use crate::admin_settings::SignupPolicy;
use crate::auth::abuse::{self, AbuseError};
use crate::auth::login::{self, Continuation};
use crate::oidc::authorize;
use crate::state::AppState;
use crate::users::LoginError;
use crate::users::account::{self, PasswordLoginError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    request_id: Option<&'a str>,
    return_to: Option<&'a str>,
    client_name: Option<&'a str>,
    email: &'a str,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    signup_open: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    request: Option<String>,
    return_to: Option<String>,
    login_hint: Option<String>,
    notice: Option<String>,
}

async fn client_name(state: &AppState, request_id: Option<&str>) -> Option<String> {
    let (_, _, client) = authorize::load_parked(state, request_id?).await.ok()??;
    Some(client.name)
}

/// Only same-site paths are followed after login: no open redirects.
pub(super) fn safe_return_to(path: Option<&str>) -> Option<&str> {
    path.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control))
}

pub struct LoginView<'a> {
    pub request_id: Option<&'a str>,
    /// A local page to return to after login (the org invitation flow uses it).
    pub return_to: Option<&'a str>,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
}

pub async fn render_login(req: &HttpRequest, state: &AppState, status: StatusCode, view: LoginView<'_>) -> HttpResponse {
    let a = hosted::admin(state).await;
    let client = client_name(state, view.request_id).await;
    let token = csrf::issue(req, state);
    let page = LoginPage {
        look: &Look::from(&a),
        csrf_token: &token.form_value,
        request_id: view.request_id,
        return_to: view.return_to,
        client_name: client.as_deref(),
        email: view.email,
        error: view.error,
        notice: view.notice,
        signup_open: a.signup_policy != SignupPolicy::InviteOnly,
    };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

/// Fixed notices other pages send the user back with (never free text from the URL).
fn notice_text(key: Option<&str>) -> Option<&'static str> {
    match key? {
        "password_reset" => Some("Your password was changed. Sign in with the new one."),
        "link_sent" => Some("If an account exists for that address, we sent it an email."),
        _ => None,
    }
}

pub async fn login_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<LoginQuery>) -> HttpResponse {
    let request_id = query.request.as_deref().filter(|r| !r.is_empty());
    let return_to = safe_return_to(query.return_to.as_deref());
    if request_id.is_none() && current_session(&req, &state).await.is_some() {
        let a = hosted::admin(&state).await;
        let cont = Continuation { request: None, redirect: return_to.map(str::to_string) };
        return render::redirect(&cont.target(&a), StatusCode::SEE_OTHER, Vec::new());
    }
    let email = query.login_hint.as_deref().unwrap_or("");
    let view = LoginView { request_id, return_to, email, error: None, notice: notice_text(query.notice.as_deref()) };
    render_login(&req, &state, StatusCode::OK, view).await
}

#[derive(Deserialize)]
pub struct LoginForm {
    request: Option<String>,
    return_to: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn login_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<LoginForm>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let request_id = form.request.as_deref().filter(|r| !r.is_empty());
    let return_to = safe_return_to(form.return_to.as_deref());
    let ip = hosted::client_ip(&req);
    let device = cookies::read(&req, &state.settings, cookies::DEVICE);
    let user = match account::password_login(&state, &a, &form.email, &form.password, ip.as_deref(), device.as_deref()).await {
        Ok(u) => u,
        Err(e) => {
            let (status, message) = match e {
                PasswordLoginError::Login(LoginError::BadCredentials) => {
                    (StatusCode::UNAUTHORIZED, "Incorrect email or password.".to_string())
                }
                PasswordLoginError::Login(LoginError::Disabled) => {
                    (StatusCode::UNAUTHORIZED, "This account is disabled. Contact your administrator.".to_string())
                }
                PasswordLoginError::Locked(until) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many failed sign-in attempts. Try again {}, or reset your password.",
                        abuse::retry_phrase(state.clock.now(), until)
                    ),
                ),
                PasswordLoginError::RateLimited(AbuseError::RateLimited { retry_after }) => {
                    return hosted::rate_limited(&Look::from(&a), retry_after);
                }
                PasswordLoginError::Unverified => (
                    StatusCode::FORBIDDEN,
                    "Please confirm your email address first. We just sent you a new confirmation link.".to_string(),
                ),
                PasswordLoginError::RateLimited(AbuseError::Store(e)) => return internal_error(&e),
                PasswordLoginError::Login(LoginError::Password(p)) => return super::password_failure(&p),
                PasswordLoginError::Login(e @ LoginError::Store(_)) => return internal_error(&e),
            };
            let view = LoginView { request_id, return_to, email: form.email.trim(), error: Some(&message), notice: None };
            return render_login(&req, &state, status, view).await;
        }
    };
    let cont = Continuation { request: request_id.map(str::to_string), redirect: return_to.map(str::to_string) };
    hosted::continue_login(&req, &state, &a, &user, login::PASSWORD, &cont).await
}

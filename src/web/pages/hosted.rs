//! Shared pieces of the hosted pages: Look & Feel, the theme stylesheet, client context,
//! finishing a login, and the common notice / rate-limit pages.

use super::super::{cookies, render};
use super::internal_error;
use crate::admin_settings::{self, AdminSettings};
use crate::auth::login::{self, Continuation, LoginStep};
use crate::auth::session::SessionContext;
use crate::state::AppState;
use crate::store::UserRow;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

/// What every hosted template needs from the Look & Feel settings.
pub struct Look {
    pub product_name: String,
    pub logo_url: Option<String>,
    pub support_email: Option<String>,
    pub show_sidebar: bool,
    /// The shortest password accepted (`password_min_length`), for the forms' hints.
    pub password_min: usize,
}

impl From<&AdminSettings> for Look {
    fn from(a: &AdminSettings) -> Self {
        Self {
            product_name: a.product_name.clone(),
            logo_url: a.logo_url.clone(),
            support_email: a.support_email.clone(),
            show_sidebar: a.show_sidebar,
            password_min: a.password_min_length,
        }
    }
}

impl Look {
    /// The Look & Feel with nothing configured (before the settings are read).
    pub fn fallback() -> Self {
        Self::from(&admin_settings::load_defaults())
    }
}

/// The admin settings, or defaults when the database cannot be read (pages still render).
pub async fn admin(state: &AppState) -> AdminSettings {
    match admin_settings::load(&state.store).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "cannot load admin settings; using defaults");
            admin_settings::load_defaults()
        }
    }
}

/// `/theme.css`: the Look & Feel colour as CSS variables (no inline styles under our CSP).
pub async fn theme_css(state: web::Data<AppState>) -> HttpResponse {
    let a = admin(&state).await;
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(format!(":root {{ --primary: {}; }}\n", a.primary_color))
}

/// The client's address (see `net::client_ip` for when `X-Forwarded-For` is believed).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<web::Data<AppState>>().map(|s| s.settings.trusted_proxies.as_slice()).unwrap_or_default();
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    Some(crate::net::client_ip(peer, forwarded, trusted).to_string())
}

pub fn session_context<'a>(req: &'a HttpRequest, ip: Option<&'a str>) -> SessionContext<'a> {
    SessionContext { user_agent: req.headers().get("user-agent").and_then(|v| v.to_str().ok()), ip }
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage<'a> {
    pub look: &'a Look,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

pub fn notice(status: StatusCode, look: &Look, title: &str, message: &str, link: Option<(&str, &str)>) -> HttpResponse {
    render::page(status, &NoticePage { look, title, message, link }, Vec::new())
}

pub fn rate_limited(look: &Look, retry_after: i64) -> HttpResponse {
    let message = format!("Too many attempts. Please wait {retry_after} seconds and try again.");
    let mut res = notice(StatusCode::TOO_MANY_REQUESTS, look, "Slow down", &message, None);
    if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    res
}

/// The rest of every hosted login once `user` has passed a first factor (`method`): the
/// MFA step (skipped on a device remembered for this user) or a new session, then `cont`.
pub async fn continue_login(
    req: &HttpRequest,
    state: &AppState,
    a: &AdminSettings,
    user: &UserRow,
    method: &str,
    cont: &Continuation,
) -> HttpResponse {
    let ip = client_ip(req);
    let device = cookies::read(req, &state.settings, cookies::MFA_DEVICE);
    let ctx = session_context(req, ip.as_deref());
    match login::after_first_factor(state, a, user, method, cont, device.as_deref(), ctx).await {
        Ok(step) => finish_login(req, state, a, step, cont).await,
        Err(e) => internal_error(&e),
    }
}

/// Turns a login step into the response: a session cookie and the next page, or the MFA step.
pub async fn finish_login(req: &HttpRequest, state: &AppState, a: &AdminSettings, step: LoginStep, cont: &Continuation) -> HttpResponse {
    match step {
        LoginStep::Session(new) => {
            // A new session id on every login (no fixation); the old session ends.
            if let Some(old) = cookies::read(req, &state.settings, cookies::SESSION)
                && let Err(e) = crate::auth::session::end(&state.store, &old).await
            {
                return internal_error(&e);
            }
            let session = cookies::build(&state.settings, cookies::SESSION, new.cookie_value.clone(), Some(state.lifetimes.get().session));
            let pending = cookies::removal(&state.settings, cookies::MFA_PENDING);
            let device = crate::auth::abuse::device_cookie(state, &new.session.user_id);
            let device = cookies::build(&state.settings, cookies::DEVICE, device, Some(crate::auth::abuse::DEVICE_COOKIE_DAYS * 24 * 3600));
            render::redirect(&cont.target(a), StatusCode::SEE_OTHER, vec![session, pending, device])
        }
        LoginStep::Challenge(t) => {
            let c = cookies::build(&state.settings, cookies::MFA_PENDING, t.0, Some(600));
            render::redirect("/login/mfa", StatusCode::SEE_OTHER, vec![c])
        }
        LoginStep::Enrol(t) => {
            let c = cookies::build(&state.settings, cookies::MFA_PENDING, t.0, Some(600));
            render::redirect("/login/mfa/enrol", StatusCode::SEE_OTHER, vec![c])
        }
    }
}

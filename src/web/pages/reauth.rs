//! `/reauth`: "confirm it's you" before a sensitive action (admin secrets, deletes,
//! promotions, security settings). Re-entering the password or a TOTP code renews the
//! session's sign-in time, then the browser returns to the page it came from.

use super::super::gate::{CsrfForm, SignedIn};
use super::super::{csrf, render};
use super::hosted::{self, Look};
use super::internal_error;
use crate::auth::reauth::{self, Proof, ReauthError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "reauth.html")]
struct ReauthPage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    email: &'a str,
    return_to: &'a str,
    cancel_to: &'a str,
    has_password: bool,
    has_totp: bool,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct ReauthQuery {
    return_to: Option<String>,
}

/// Same-site paths only (no open redirect, the login page's rule); the account page otherwise.
fn local(path: Option<&str>) -> &str {
    super::login::safe_return_to(path).unwrap_or("/account")
}

async fn render_page(
    req: &HttpRequest,
    state: &AppState,
    who: &SignedIn,
    return_to: &str,
    status: StatusCode,
    error: Option<&str>,
) -> HttpResponse {
    let a = hosted::admin(state).await;
    let f = match reauth::factors(state, &who.user).await {
        Ok(f) => f,
        Err(e) => return internal_error(&e),
    };
    let token = csrf::issue(req, state);
    // Cancelling goes back to the section the action was on, never into the action itself.
    let cancel_to = if return_to.starts_with("/admin") { "/admin" } else { "/account" };
    let page = ReauthPage {
        look: &Look::from(&a),
        csrf_token: &token.form_value,
        email: &who.user.email,
        return_to,
        cancel_to,
        has_password: f.password,
        has_totp: f.totp,
        error,
    };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

pub async fn form(req: HttpRequest, state: web::Data<AppState>, who: SignedIn, q: web::Query<ReauthQuery>) -> HttpResponse {
    render_page(&req, &state, &who, local(q.return_to.as_deref()), StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct ReauthForm {
    return_to: Option<String>,
    password: Option<String>,
    code: Option<String>,
}

pub async fn submit(req: HttpRequest, state: web::Data<AppState>, who: SignedIn, CsrfForm(form): CsrfForm<ReauthForm>) -> HttpResponse {
    let return_to = local(form.return_to.as_deref()).to_string();
    let proof = match (form.code.as_deref().filter(|c| !c.trim().is_empty()), form.password.as_deref()) {
        (Some(code), _) => Proof::Code(code),
        (None, Some(p)) => Proof::Password(p),
        (None, None) => Proof::Password(""),
    };
    let a = hosted::admin(&state).await;
    let ip = hosted::client_ip(&req);
    let message = match reauth::confirm(&state, &a, &who.user, &who.session, proof, ip.as_deref()).await {
        Ok(()) => return render::redirect(&return_to, StatusCode::SEE_OTHER, Vec::new()),
        Err(ReauthError::Wrong) => "That is not correct. Try again.".to_string(),
        Err(ReauthError::RateLimited { retry_after }) => return hosted::rate_limited(&Look::from(&a), retry_after),
        Err(ReauthError::Locked(until)) => {
            format!("Too many failed attempts. Try again {}.", crate::auth::abuse::retry_phrase(state.clock.now(), until))
        }
        Err(ReauthError::NoFactor) => "Your account has no password or authenticator app; sign in again with an email link.".to_string(),
        Err(e @ (ReauthError::Mfa(_) | ReauthError::Store(_) | ReauthError::Password(_))) => return internal_error(&e),
    };
    render_page(&req, &state, &who, &return_to, StatusCode::UNAUTHORIZED, Some(&message)).await
}

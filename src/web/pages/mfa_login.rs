//! The second step of a login: `/login/mfa` (TOTP or recovery code) and `/login/mfa/enrol`
//! (first enrolment when an administrator requires MFA).

use super::super::gate::CsrfForm;
use super::super::{cookies, csrf, render};
use super::hosted::{self, Look};
use super::internal_error;
use crate::auth::abuse::{self, AbuseError};
use crate::auth::account_tokens::{MFA_ENROL_PENDING, MFA_PENDING};
use crate::auth::login::{self, MfaLoginError};
use crate::auth::mfa::{self, Enrolment, MfaError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "mfa_challenge.html")]
struct ChallengePage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    remember_days: i64,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "mfa_enrol_login.html")]
struct EnrolPage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    enrol: &'a Enrolment,
    enrol_action: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub look: &'a Look,
    pub codes: &'a [String],
    pub next: &'a str,
}

fn expired() -> HttpResponse {
    render::redirect("/login", StatusCode::SEE_OTHER, vec![])
}

async fn render_challenge(req: &HttpRequest, state: &AppState, status: StatusCode, error: Option<&str>) -> HttpResponse {
    let a = hosted::admin(state).await;
    let token = csrf::issue(req, state);
    let page = ChallengePage { look: &Look::from(&a), csrf_token: &token.form_value, remember_days: a.remember_device_days, error };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

pub async fn challenge_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(pending) = cookies::read(&req, &state.settings, cookies::MFA_PENDING) else { return expired() };
    match login::pending_user(&state, &pending, MFA_PENDING).await {
        Ok(Some(_)) => render_challenge(&req, &state, StatusCode::OK, None).await,
        Ok(None) => expired(),
        Err(e) => internal_error(&e),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    remember: Option<String>,
}

pub async fn challenge_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<CodeForm>) -> HttpResponse {
    let Some(pending) = cookies::read(&req, &state.settings, cookies::MFA_PENDING) else { return expired() };
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let ip = hosted::client_ip(&req);
    let ctx = hosted::session_context(&req, ip.as_deref());
    let remember = form.remember.as_deref() == Some("yes");
    match login::complete_challenge(&state, &a, &pending, &form.code, remember, ip.as_deref(), ctx).await {
        Ok(done) => {
            let device =
                done.device.map(|d| cookies::build(&state.settings, cookies::MFA_DEVICE, d.0, Some(a.remember_device_days * 24 * 3600)));
            let mut res = hosted::finish_login(&req, &state, &a, login::LoginStep::Session(done.session), &done.continuation).await;
            if let Some(c) = device
                && let Err(e) = res.add_cookie(&c)
            {
                tracing::warn!(error = %e, "cannot set the remembered-device cookie");
            }
            res
        }
        Err(MfaLoginError::WrongCode) => {
            render_challenge(&req, &state, StatusCode::UNAUTHORIZED, Some("That code is not correct. Try again.")).await
        }
        Err(MfaLoginError::Expired) => expired(),
        Err(MfaLoginError::Locked(until)) => {
            let msg = format!("Too many failed attempts. Try again {}.", abuse::retry_phrase(state.clock.now(), until));
            hosted::notice(StatusCode::TOO_MANY_REQUESTS, &look, "Account locked", &msg, Some(("/login", "Back to sign in")))
        }
        Err(MfaLoginError::RateLimited(AbuseError::RateLimited { retry_after })) => hosted::rate_limited(&look, retry_after),
        Err(e @ (MfaLoginError::RateLimited(AbuseError::Store(_)) | MfaLoginError::Mfa(_) | MfaLoginError::Store(_))) => internal_error(&e),
    }
}

async fn render_enrol(req: &HttpRequest, state: &AppState, pending: &str, status: StatusCode, error: Option<&str>) -> HttpResponse {
    let a = hosted::admin(state).await;
    let user = match login::pending_user(state, pending, MFA_ENROL_PENDING).await {
        Ok(Some(u)) => u,
        Ok(None) => return expired(),
        Err(e) => return internal_error(&e),
    };
    let enrolment = match mfa::pending(state, &user, &a.product_name).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) => mfa::begin(state, &user, &a.product_name).await,
        Err(e) => Err(e),
    };
    let enrol = match enrolment {
        Ok(e) => e,
        Err(
            e @ (MfaError::AlreadyEnabled
            | MfaError::WrongCode
            | MfaError::NoEnrolment
            | MfaError::Secret
            | MfaError::TooManyAttempts { .. }
            | MfaError::Store(_)),
        ) => {
            return internal_error(&e);
        }
    };
    let token = csrf::issue(req, state);
    let page = EnrolPage { look: &Look::from(&a), csrf_token: &token.form_value, enrol: &enrol, enrol_action: "/login/mfa/enrol", error };
    render::page(status, &page, token.new_cookie.into_iter().collect())
}

pub async fn enrol_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(pending) = cookies::read(&req, &state.settings, cookies::MFA_PENDING) else { return expired() };
    render_enrol(&req, &state, &pending, StatusCode::OK, None).await
}

pub async fn enrol_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<CodeForm>) -> HttpResponse {
    let Some(pending) = cookies::read(&req, &state.settings, cookies::MFA_PENDING) else { return expired() };
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let ip = hosted::client_ip(&req);
    let ctx = hosted::session_context(&req, ip.as_deref());
    let previous = cookies::read(&req, &state.settings, cookies::SESSION);
    match login::complete_enrolment(&state, &a, &pending, &form.code, ip.as_deref(), ctx, previous.as_deref()).await {
        Ok((new, cont, codes)) => {
            let session = cookies::build(&state.settings, cookies::SESSION, new.cookie_value.clone(), Some(state.lifetimes.get().session));
            let clear = cookies::removal(&state.settings, cookies::MFA_PENDING);
            let next = cont.target(&a);
            render::page(StatusCode::OK, &RecoveryCodesPage { look: &look, codes: &codes, next: &next }, vec![session, clear])
        }
        Err(MfaLoginError::WrongCode) => {
            render_enrol(&req, &state, &pending, StatusCode::UNAUTHORIZED, Some("That code is not correct. Try again.")).await
        }
        Err(MfaLoginError::Expired | MfaLoginError::Locked(_)) => expired(),
        Err(MfaLoginError::RateLimited(AbuseError::RateLimited { retry_after })) => hosted::rate_limited(&look, retry_after),
        Err(e @ (MfaLoginError::RateLimited(AbuseError::Store(_)) | MfaLoginError::Mfa(_) | MfaLoginError::Store(_))) => internal_error(&e),
    }
}

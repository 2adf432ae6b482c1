//! `/account/mfa`: turn TOTP on (QR code, first code, recovery codes) or off. Starting an
//! enrolment needs a recent sign-in: a stolen, old session must not bind its own authenticator.

use super::super::csrf::CsrfOnly;
use super::super::gate::{CsrfForm, Recent, SignedIn};
use super::super::render;
use super::account::{Render, render_account};
use super::hosted::{self, Look};
use super::internal_error;
use super::mfa_login::RecoveryCodesPage;
use crate::auth::mfa::{self, MfaError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

fn section<'a>(status: StatusCode, notice: Option<&'a str>, error: Option<&'a str>, enrolment: Option<mfa::Enrolment>) -> Render<'a> {
    Render { section: "mfa", status, notice, error, enrolment }
}

pub async fn mfa_page(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    let SignedIn { session: s, user: u } = who;
    let a = hosted::admin(&state).await;
    let enrolment = match mfa::pending(&state, &u, &a.product_name).await {
        Ok(e) => e,
        Err(e) => return internal_error(&e),
    };
    render_account(&req, &state, &s, &u, section(StatusCode::OK, None, None, enrolment)).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn mfa_start(
    req: HttpRequest,
    state: web::Data<AppState>,
    Recent(SignedIn { session: s, user: u }): Recent,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> HttpResponse {
    let a = hosted::admin(&state).await;
    match mfa::begin(&state, &u, &a.product_name).await {
        Ok(e) => render_account(&req, &state, &s, &u, section(StatusCode::OK, None, None, Some(e))).await,
        Err(MfaError::AlreadyEnabled) => {
            render_account(&req, &state, &s, &u, section(StatusCode::OK, Some("Two-factor authentication is already on."), None, None))
                .await
        }
        Err(
            e @ (MfaError::WrongCode | MfaError::NoEnrolment | MfaError::Secret | MfaError::TooManyAttempts { .. } | MfaError::Store(_)),
        ) => internal_error(&e),
    }
}

pub async fn mfa_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> HttpResponse {
    let a = hosted::admin(&state).await;
    match mfa::confirm(&state, &u.id, &form.code).await {
        Ok(codes) => {
            let look = Look::from(&a);
            render::page(StatusCode::OK, &RecoveryCodesPage { look: &look, codes: &codes, next: "/account/mfa" }, Vec::new())
        }
        Err(MfaError::WrongCode) => {
            let enrolment = mfa::pending(&state, &u, &a.product_name).await.ok().flatten();
            let r = section(
                StatusCode::UNAUTHORIZED,
                None,
                Some("That code is not correct. Check the time on your device and try again."),
                enrolment,
            );
            render_account(&req, &state, &s, &u, r).await
        }
        Err(MfaError::NoEnrolment) => render::redirect("/account/mfa", StatusCode::SEE_OTHER, Vec::new()),
        Err(e @ (MfaError::AlreadyEnabled | MfaError::Secret | MfaError::TooManyAttempts { .. } | MfaError::Store(_))) => {
            internal_error(&e)
        }
    }
}

pub async fn mfa_disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let ip = hosted::client_ip(&req);
    let wait;
    let r = match mfa::disable(&state, &a, &u, &form.code, ip.as_deref()).await {
        Ok(()) => section(StatusCode::OK, Some("Two-factor authentication is off."), None, None),
        Err(MfaError::WrongCode) => section(StatusCode::UNAUTHORIZED, None, Some("That code is not correct."), None),
        Err(MfaError::TooManyAttempts { retry_after }) => {
            let now = state.clock.now();
            wait = format!("Too many attempts. Try again {}.", crate::auth::abuse::retry_phrase(now, now + retry_after));
            section(StatusCode::TOO_MANY_REQUESTS, None, Some(&wait), None)
        }
        Err(MfaError::NoEnrolment) => section(StatusCode::OK, None, None, None),
        Err(e @ (MfaError::AlreadyEnabled | MfaError::Secret | MfaError::Store(_))) => return internal_error(&e),
    };
    render_account(&req, &state, &s, &u, r).await
}

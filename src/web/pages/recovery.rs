//! `/forgot-password` and `/reset-password`.

use super::super::gate::CsrfForm;
use super::super::{csrf, render};
use super::hosted::{self, Look};
use super::internal_error;
use super::signup::{TokenQuery, capitalise, link_invalid};
use crate::auth::abuse::AbuseError;
use crate::state::AppState;
use crate::users::account::{self, AccountError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "email_form.html")]
pub struct EmailFormPage<'a> {
    pub look: &'a Look,
    pub csrf_token: &'a str,
    pub title: &'a str,
    pub intro: &'a str,
    pub form_id: &'a str,
    pub action: &'a str,
    pub submit_id: &'a str,
    pub submit_label: &'a str,
    pub request_id: Option<&'a str>,
    pub email: &'a str,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    token: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    pub email: String,
    pub request: Option<String>,
}

pub async fn forgot_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let look = Look::from(&hosted::admin(&state).await);
    let token = csrf::issue(&req, &state);
    let page = EmailFormPage {
        look: &look,
        csrf_token: &token.form_value,
        title: "Reset your password",
        intro: "Enter the email address of your account. We will send you a link to choose a new password.",
        form_id: "forgot-form",
        action: "/forgot-password",
        submit_id: "forgot-submit",
        submit_label: "Send reset link",
        request_id: None,
        email: "",
        error: None,
    };
    render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
}

pub fn link_sent(look: &Look) -> HttpResponse {
    hosted::notice(
        StatusCode::OK,
        look,
        "Check your email",
        "If an account exists for that address, we sent it an email with a link. It may take a minute to arrive.",
        Some(("/login", "Back to sign in")),
    )
}

pub async fn forgot_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<EmailForm>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let ip = hosted::client_ip(&req);
    match account::forgot_password(&state, &a, &form.email, ip.as_deref()).await {
        Ok(()) => link_sent(&look),
        Err(AccountError::RateLimited(AbuseError::RateLimited { retry_after })) => hosted::rate_limited(&look, retry_after),
        Err(e) => internal_error(&e),
    }
}

fn render_reset(req: &HttpRequest, state: &AppState, look: &Look, status: StatusCode, token: &str, error: Option<&str>) -> HttpResponse {
    let csrf = csrf::issue(req, state);
    render::page(status, &ResetPage { look, csrf_token: &csrf.form_value, token, error }, csrf.new_cookie.into_iter().collect())
}

/// Shows the form without using the link, so mail scanners that fetch it do not burn it.
pub async fn reset_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<TokenQuery>) -> HttpResponse {
    let look = Look::from(&hosted::admin(&state).await);
    match account::reset_link_valid(&state, &query.token).await {
        Ok(true) => render_reset(&req, &state, &look, StatusCode::OK, &query.token, None),
        Ok(false) => link_invalid(&look, "password reset", ("/forgot-password", "Ask for a new link")),
        Err(e) => internal_error(&e),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<ResetForm>) -> HttpResponse {
    let look = Look::from(&hosted::admin(&state).await);
    match account::reset_password(&state, &form.token, &form.password).await {
        Ok(_) => render::redirect("/login?notice=password_reset", StatusCode::SEE_OTHER, Vec::new()),
        Err(AccountError::Invalid(msg)) => render_reset(&req, &state, &look, StatusCode::BAD_REQUEST, &form.token, Some(&capitalise(&msg))),
        Err(AccountError::LinkInvalid) => link_invalid(&look, "password reset", ("/forgot-password", "Ask for a new link")),
        Err(e) => internal_error(&e),
    }
}

//! First-run set-up: the one-time link printed at start-up creates the first admin.

use super::super::gate::CsrfForm;
use super::super::{csrf, render};
use super::hosted;
use super::internal_error;
use crate::admin::setup::{self, SetupError};
use crate::auth::login::{self, Continuation};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    look: &'a hosted::Look,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

fn invalid_link() -> HttpResponse {
    render::error_page(
        StatusCode::NOT_FOUND,
        "This set-up link is not valid",
        "It was already used or has expired. Restart the server to print a new one if no admin exists yet.",
        None,
    )
}

pub async fn setup_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<SetupQuery>) -> HttpResponse {
    let token = query.token.clone().unwrap_or_default();
    match setup::link_is_live(&state, &token).await {
        Ok(true) => {}
        Ok(false) => return invalid_link(),
        Err(e) => return internal_error(&e),
    }
    let csrf = csrf::issue(&req, &state);
    let a = hosted::admin(&state).await;
    let page = SetupPage { look: &hosted::Look::from(&a), csrf_token: &csrf.form_value, token: &token, email: "", error: None };
    render::page(StatusCode::OK, &page, csrf.new_cookie.into_iter().collect())
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn setup_refused(req: &HttpRequest, state: &AppState, form: &SetupForm, message: &str) -> HttpResponse {
    let csrf = csrf::issue(req, state);
    let a = hosted::admin(state).await;
    let page = SetupPage {
        look: &hosted::Look::from(&a),
        csrf_token: &csrf.form_value,
        token: &form.token,
        email: form.email.trim(),
        error: Some(message),
    };
    render::page(StatusCode::BAD_REQUEST, &page, csrf.new_cookie.into_iter().collect())
}

/// Creates the first admin and signs them in through the login steps, so an MFA requirement
/// set before the first admin exists (`gatehouse settings set require_mfa true`) applies too.
pub async fn setup_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<SetupForm>) -> HttpResponse {
    let user = match setup::create_first_admin(&state, &form.token, &form.email, &form.password).await {
        Ok(u) => u,
        Err(SetupError::LinkInvalid) => return invalid_link(),
        Err(SetupError::Refused(message)) => return setup_refused(&req, &state, &form, &message).await,
        Err(SetupError::User(crate::users::UserError::Password(p))) => return super::password_failure(&p),
        Err(e @ (SetupError::User(_) | SetupError::Store(_))) => return internal_error(&e),
    };
    let a = hosted::admin(&state).await;
    let cont = Continuation { request: None, redirect: Some("/admin".into()) };
    hosted::continue_login(&req, &state, &a, &user, login::PASSWORD, &cont).await
}

/// Prints a one-time set-up link when no admin exists yet.
pub async fn announce_setup_link(state: &AppState) -> Result<Option<String>, crate::store::StoreError> {
    setup::announce_link(state).await
}

//! First-run set-up: the one-time link printed at start-up creates the first admin.

use super::super::{csrf, render};
use super::hosted;
use super::{csrf_failure, internal_error};
use crate::auth::login::{self, Continuation};
use crate::crypto;
use crate::state::AppState;
use crate::users::{self, CreateUser, UserError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub const SETUP_PURPOSE: &str = "admin_setup";

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
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

async fn token_is_live(state: &AppState, token: &str) -> Result<bool, crate::store::StoreError> {
    Ok(state.store.live_one_time_token(&crypto::sha256_hex(token), SETUP_PURPOSE, state.clock.now()).await?.is_some())
}

pub async fn setup_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<SetupQuery>) -> HttpResponse {
    let token = query.token.clone().unwrap_or_default();
    match token_is_live(&state, &token).await {
        Ok(true) => {}
        Ok(false) => return invalid_link(),
        Err(e) => return internal_error(&e),
    }
    let csrf = csrf::issue(&req, &state);
    render::page(
        StatusCode::OK,
        &SetupPage { csrf_token: &csrf.form_value, token: &token, email: "", error: None },
        csrf.new_cookie.into_iter().collect(),
    )
}

#[derive(Deserialize)]
pub struct SetupForm {
    csrf_token: Option<String>,
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn setup_refused(req: &HttpRequest, state: &AppState, form: &SetupForm, message: &str) -> HttpResponse {
    let csrf = csrf::issue(req, state);
    let page = SetupPage { csrf_token: &csrf.form_value, token: &form.token, email: form.email.trim(), error: Some(message) };
    render::page(StatusCode::BAD_REQUEST, &page, csrf.new_cookie.into_iter().collect())
}

/// Creates the first admin. The link is taken before the account is created, so two
/// submissions cannot both create an admin; a refused account gives the link back.
pub async fn setup_submit(req: HttpRequest, state: web::Data<AppState>, form: web::Form<SetupForm>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    if let Err(e) = users::normalize_email(&form.email).and_then(|_| users::check_password_policy(&form.password)) {
        return setup_refused(&req, &state, &form, &e.to_string());
    }
    let token_hash = crypto::sha256_hex(&form.token);
    match state.store.use_one_time_token(&token_hash, SETUP_PURPOSE, state.clock.now()).await {
        Ok(true) => {}
        Ok(false) => return invalid_link(),
        Err(e) => return internal_error(&e),
    }
    let input = CreateUser {
        email: form.email.clone(),
        password: Some(form.password.clone()),
        email_verified: true,
        is_admin: true,
        ..Default::default()
    };
    let user = match users::create(&state.store, &state.hasher, &state.clock, input).await {
        Ok(id) => match state.store.user_by_id(&id).await {
            Ok(Some(u)) => u,
            Ok(None) => return internal_error(&"the new admin vanished"),
            Err(e) => return internal_error(&e),
        },
        Err(e @ (UserError::Invalid(_) | UserError::EmailTaken | UserError::UsernameTaken)) => {
            if let Err(release) = state.store.release_one_time_token(&token_hash, SETUP_PURPOSE).await {
                return internal_error(&release);
            }
            return setup_refused(&req, &state, &form, &e.to_string());
        }
        Err(UserError::Password(p)) => return super::password_failure(&p),
        Err(e @ UserError::Store(_)) => return internal_error(&e),
    };
    // The same steps as any password login, so an MFA requirement set before the first
    // admin exists (`gatehouse settings set require_mfa true`) applies to it too.
    let a = hosted::admin(&state).await;
    let cont = Continuation { request: None, redirect: Some("/account".into()) };
    hosted::continue_login(&req, &state, &a, &user, login::PASSWORD, &cont).await
}

/// Prints a one-time set-up link when no admin exists yet.
pub async fn announce_setup_link(state: &AppState) -> Result<Option<String>, crate::store::StoreError> {
    if state.store.count_admins().await? > 0 {
        return Ok(None);
    }
    let token = crypto::random_secret();
    let now = state.clock.now();
    state
        .store
        .insert_one_time_token(&crate::store::OneTimeTokenRow {
            token_hash: crypto::sha256_hex(&token),
            purpose: SETUP_PURPOSE.into(),
            subject: None,
            created_at: now,
            expires_at: now + 24 * 3600,
            used_at: None,
        })
        .await?;
    Ok(Some(format!("{}/setup?token={token}", state.settings.issuer)))
}

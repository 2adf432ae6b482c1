//! Magic links: requested on the login page (`/login/magic-link`) and redeemed at
//! `/magic-link`, directly or through a "click to continue" page when the link was minted with
//! `requires_interstitial` (mail scanners that prefetch links then cannot use them up).

use super::super::gate::CsrfForm;
use super::super::{csrf, render};
use super::hosted::{self, Look};
use super::recovery::{EmailForm, EmailFormPage, link_sent};
use super::signup::link_invalid;
use super::{current_session, internal_error};
use crate::auth::abuse::{self, AbuseError, Action};
use crate::auth::login::{self, Continuation};
use crate::auth::magic_link::{self, MagicLinkError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "magic_link_continue.html")]
struct ContinuePage<'a> {
    look: &'a Look,
    csrf_token: &'a str,
    token: &'a str,
    email: &'a str,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    request: Option<String>,
}

pub async fn request_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<RequestQuery>) -> HttpResponse {
    let look = Look::from(&hosted::admin(&state).await);
    let token = csrf::issue(&req, &state);
    let page = EmailFormPage {
        look: &look,
        csrf_token: &token.form_value,
        title: "Sign in with a link",
        intro: "Enter your email address and we will send you a link that signs you in.",
        form_id: "magic-link-form",
        action: "/login/magic-link",
        submit_id: "magic-link-submit",
        submit_label: "Email me a link",
        request_id: query.request.as_deref().filter(|r| !r.is_empty()),
        email: "",
        error: None,
    };
    render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
}

pub async fn request_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<EmailForm>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    let ip = hosted::client_ip(&req);
    match abuse::check_rate(&state, &a, Action::MagicLink, ip.as_deref(), Some(&form.email)).await {
        Ok(()) => {}
        Err(AbuseError::RateLimited { retry_after }) => return hosted::rate_limited(&look, retry_after),
        Err(AbuseError::Store(e)) => return internal_error(&e),
    }
    let cont = Continuation { request: form.request.clone().filter(|r| !r.is_empty()), redirect: None };
    let target = cont.request.is_some().then(|| cont.target(&a));
    let (state, email) = (state.get_ref().clone(), form.email.clone());
    // Off the request: the answer and its timing are the same whether or not the account exists.
    tokio::spawn(async move {
        if let Err(e) = magic_link::request_from_login(&state, &email, target.as_deref()).await {
            tracing::error!(error = %e, "magic link request failed");
        }
    });
    link_sent(&look)
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
}

pub async fn open_link(req: HttpRequest, state: web::Data<AppState>, query: web::Query<LinkQuery>) -> HttpResponse {
    let a = hosted::admin(&state).await;
    let look = Look::from(&a);
    match magic_link::peek(&state, &query.token).await {
        // Ask first when the link says so, and when this browser is signed in as someone
        // else: a link mailed to another account must not silently swap the session (a
        // planted link would otherwise log the victim into the sender's account).
        Ok(Some(link)) if link.interstitial || signed_in_as_someone_else(&req, &state, &link.email).await => {
            let token = csrf::issue(&req, &state);
            let page = ContinuePage { look: &look, csrf_token: &token.form_value, token: &query.token, email: &link.email };
            render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
        }
        Ok(Some(_)) => redeem(&req, &state, &query.token).await,
        Ok(None) => link_invalid(&look, "sign-in", ("/login/magic-link", "Ask for a new link")),
        Err(e) => internal_error(&e),
    }
}

async fn signed_in_as_someone_else(req: &HttpRequest, state: &AppState, email: &str) -> bool {
    let Some(session) = current_session(req, state).await else { return false };
    // A failed lookup counts as "someone else": asking is the safe side.
    !matches!(state.store.user_by_id(&session.user_id).await, Ok(Some(u)) if u.email == email)
}

#[derive(Deserialize)]
pub struct ContinueForm {
    #[serde(default)]
    token: String,
}

pub async fn continue_link(req: HttpRequest, state: web::Data<AppState>, CsrfForm(form): CsrfForm<ContinueForm>) -> HttpResponse {
    redeem(&req, &state, &form.token).await
}

async fn redeem(req: &HttpRequest, state: &AppState, token: &str) -> HttpResponse {
    let a = hosted::admin(state).await;
    let look = Look::from(&a);
    let (user, redirect) = match magic_link::redeem(state, token).await {
        Ok(r) => r,
        Err(MagicLinkError::Invalid) => return link_invalid(&look, "sign-in", ("/login/magic-link", "Ask for a new link")),
        Err(MagicLinkError::Disabled) => {
            return hosted::notice(
                StatusCode::FORBIDDEN,
                &look,
                "Account disabled",
                "This account is disabled. Contact your administrator.",
                None,
            );
        }
        Err(
            e @ (MagicLinkError::InvalidEmail(_)
            | MagicLinkError::InvalidExpiry
            | MagicLinkError::InvalidRedirect
            | MagicLinkError::UserNotFound
            | MagicLinkError::User(_)
            | MagicLinkError::Store(_)),
        ) => return internal_error(&e),
    };
    let cont = Continuation { request: None, redirect };
    hosted::continue_login(req, state, &a, &user, login::MAGIC_LINK, &cont).await
}

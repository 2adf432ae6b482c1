use super::super::csrf::{self, CsrfOnly};
use super::super::gate::CsrfForm;
use super::super::{cookies, render};
use super::{current_session, internal_error};
use crate::auth::session;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "logout_confirm.html")]
pub struct LogoutConfirm<'a> {
    pub look: &'a super::hosted::Look,
    pub email: &'a str,
    pub csrf_token: &'a str,
    pub action: &'a str,
    pub carry: Vec<(String, String)>,
}

/// The site root: the account area for a signed-in user, else the login page.
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let target = if current_session(&req, &state).await.is_some() { "/account" } else { "/login" };
    render::redirect(target, StatusCode::SEE_OTHER, Vec::new())
}

/// Ends this browser's session (if any) and returns the cookie that clears it.
pub async fn end_current_session(
    req: &HttpRequest,
    state: &AppState,
) -> Result<actix_web::cookie::Cookie<'static>, crate::store::StoreError> {
    if let Some(value) = cookies::read(req, &state.settings, cookies::SESSION) {
        session::end(&state.store, &value).await?;
    }
    Ok(cookies::removal(&state.settings, cookies::SESSION))
}

pub async fn logout_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(s) = current_session(&req, &state).await else {
        return signed_out(Vec::new());
    };
    let email = match state.store.user_by_id(&s.user_id).await {
        Ok(u) => u.map(|u| u.email).unwrap_or_default(),
        Err(e) => return internal_error(&e),
    };
    let token = csrf::issue(&req, &state);
    let look = super::hosted::Look::from(&super::hosted::admin(&state).await);
    let page = LogoutConfirm { look: &look, email: &email, csrf_token: &token.form_value, action: "/logout", carry: Vec::new() };
    render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
}

pub async fn logout_submit(req: HttpRequest, state: web::Data<AppState>, CsrfForm(_): CsrfForm<CsrfOnly>) -> HttpResponse {
    let cookie = match end_current_session(&req, &state).await {
        Ok(cookie) => cookie,
        Err(e) => return internal_error(&e),
    };
    // Look & Feel "default redirect after logout", else the signed-out page.
    match super::hosted::admin(&state).await.redirect_after_logout {
        Some(target) => render::redirect(&target, StatusCode::SEE_OTHER, vec![cookie]),
        None => signed_out(vec![cookie]),
    }
}

pub fn signed_out(cookies: Vec<actix_web::cookie::Cookie<'static>>) -> HttpResponse {
    render::message_page(StatusCode::OK, "Signed out", "You have been signed out.", Some(("/login", "Sign in again")), cookies)
}

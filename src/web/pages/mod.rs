//! Hosted pages: login (password, magic link, MFA), signup and email verification, password
//! reset, the account area, logout, the signed-in home page and first-run admin set-up.

mod account;
mod account_mfa;
pub(crate) mod hosted;
mod login;
mod logout;
mod magic_link;
mod mfa_login;
pub mod orgs;
pub mod reauth;
mod recovery;
mod setup;
mod signup;

pub use account::{
    email_confirm, email_page, email_submit, password_page, password_submit, profile, profile_submit, revoke_others, revoke_session,
    sessions_page,
};
pub use account_mfa::{mfa_confirm, mfa_disable, mfa_page, mfa_start};
pub use hosted::theme_css;
pub use login::{login_form, login_submit};
pub use logout::{LogoutConfirm, end_current_session, home, logout_form, logout_submit, signed_out};
pub use magic_link::{
    continue_link as magic_link_continue, open_link as magic_link_open, request_form as magic_link_request_form,
    request_submit as magic_link_request_submit,
};
pub use mfa_login::{
    challenge_form as mfa_challenge_form, challenge_submit as mfa_challenge_submit, enrol_form as mfa_enrol_form,
    enrol_submit as mfa_enrol_submit,
};
pub use recovery::{forgot_form, forgot_submit, reset_form, reset_submit};
pub use setup::{announce_setup_link, setup_form, setup_submit};
pub use signup::{signup_form, signup_submit, verify_email};

use super::{cookies, render};
use crate::auth::session::{self, Session};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

/// The live session behind this browser's cookie, if any. A database failure is logged
/// and treated as "not logged in" rather than failing the page.
pub async fn current_session(req: &HttpRequest, state: &AppState) -> Option<Session> {
    let value = cookies::read(req, &state.settings, cookies::SESSION)?;
    match session::lookup(&state.store, &state.clock, &value).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            None
        }
    }
}

pub async fn not_found() -> HttpResponse {
    render::error_page(StatusCode::NOT_FOUND, "Page not found", "There is nothing at this address.", None)
}

pub fn csrf_failure() -> HttpResponse {
    render::error_page(
        StatusCode::FORBIDDEN,
        "Please try again",
        "This form expired or was not sent from this site. Go back, reload the page and submit it again.",
        None,
    )
}

/// 503 "try again" with `Retry-After` when every password-hashing slot is taken: a login
/// storm (or a hostile hash) gets a clear answer, never a hang.
pub fn busy() -> HttpResponse {
    let mut res = render::error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "We are handling a lot of sign-ins right now. Wait a few seconds and submit the form again.",
        None,
    );
    let wait = crate::auth::password::BUSY_RETRY_AFTER_SECONDS.to_string();
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&wait) {
        res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, v);
    }
    res
}

/// The page for a password-hashing failure: `busy()` when no slot was free, else a 500.
pub fn password_failure(e: &crate::auth::password::PasswordError) -> HttpResponse {
    use crate::auth::password::PasswordError;
    match e {
        PasswordError::Busy => busy(),
        PasswordError::Hash | PasswordError::Join => internal_error(e),
    }
}

pub fn internal_error(e: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "page request failed");
    render::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.", None)
}

//! Hosted pages: login, logout, the signed-in home page and first-run admin set-up.

mod login;
mod logout;
pub mod orgs;
mod setup;

pub use login::{login_form, login_submit};
pub use logout::{LogoutConfirm, end_current_session, home, logout_form, logout_submit, signed_out};
pub use setup::{announce_setup_link, setup_form, setup_submit};

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

pub fn internal_error(e: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(error = %e, "page request failed");
    render::error_page(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "Please try again in a moment.", None)
}

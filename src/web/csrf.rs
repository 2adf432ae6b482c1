//! CSRF protection for hosted forms: a signed double-submit token. The cookie holds a
//! random value; the form carries HMAC(master-derived key, value). Stateless, so every
//! replica sharing the master key accepts it.

use super::cookies;
use crate::crypto;
use crate::state::AppState;
use actix_web::HttpRequest;
use actix_web::cookie::Cookie;

/// The body of a form whose only field is its CSRF token (a button that does one thing);
/// `gate::CsrfForm<CsrfOnly>` checks the token.
#[derive(serde::Deserialize)]
pub struct CsrfOnly {}

pub struct CsrfToken {
    /// Goes into the hidden `csrf_token` input.
    pub form_value: String,
    /// Set when the browser had no CSRF cookie yet.
    pub new_cookie: Option<Cookie<'static>>,
}

fn sign(state: &AppState, cookie_value: &str) -> String {
    crypto::b64url(&crypto::hmac_sha256(&state.master.derive("csrf"), cookie_value.as_bytes()))
}

/// The token for a form about to be rendered.
pub fn issue(req: &HttpRequest, state: &AppState) -> CsrfToken {
    match cookies::read(req, &state.settings, cookies::CSRF) {
        Some(value) => CsrfToken { form_value: sign(state, &value), new_cookie: None },
        None => {
            let value = crypto::random_secret();
            CsrfToken { form_value: sign(state, &value), new_cookie: Some(cookies::build(&state.settings, cookies::CSRF, value, None)) }
        }
    }
}

/// True when a submitted form carries the token matching this browser's cookie.
pub fn verify(req: &HttpRequest, state: &AppState, submitted: Option<&str>) -> bool {
    match (cookies::read(req, &state.settings, cookies::CSRF), submitted) {
        (Some(value), Some(token)) => crypto::constant_time_eq(sign(state, &value).as_bytes(), token.as_bytes()),
        _ => false,
    }
}

//! One cookie builder: HttpOnly, SameSite=Lax, and `Secure` plus the `__Host-` prefix
//! whenever the issuer is https.

use crate::settings::Settings;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

pub const SESSION: &str = "gh_session";
pub const CSRF: &str = "gh_csrf";
/// A login waiting for its second factor (or for a required MFA enrolment).
pub const MFA_PENDING: &str = "gh_mfa_pending";
/// "Remember this device": skips the MFA challenge until it expires.
pub const MFA_DEVICE: &str = "gh_mfa_device";
/// Set at every successful login: lockout counts this browser apart from unknown clients.
pub const DEVICE: &str = "gh_device";

pub fn name(settings: &Settings, base: &str) -> String {
    if settings.is_https() { format!("__Host-{base}") } else { base.to_string() }
}

pub fn build(settings: &Settings, base: &str, value: String, max_age_seconds: Option<i64>) -> Cookie<'static> {
    let mut c =
        Cookie::build(name(settings, base), value).path("/").http_only(true).secure(settings.is_https()).same_site(SameSite::Lax).finish();
    if let Some(s) = max_age_seconds {
        c.set_max_age(Duration::seconds(s));
    }
    c
}

pub fn removal(settings: &Settings, base: &str) -> Cookie<'static> {
    let mut c = build(settings, base, String::new(), Some(0));
    c.make_removal();
    c
}

pub fn read(req: &HttpRequest, settings: &Settings, base: &str) -> Option<String> {
    req.cookie(&name(settings, base)).map(|c| c.value().to_string()).filter(|v| !v.is_empty() && v.len() <= 128)
}

//! What every admin page shares: the frame (navigation, product name, who is signed in),
//! the CSRF token for its forms, and the one-line result of the last action.

use super::super::gate::Admin;
use super::super::pages::hosted::Look;
use super::super::{csrf, render};
use crate::state::AppState;
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

/// The admin sections, in navigation order: (id, path, label).
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("overview", "/admin", "Overview"),
    ("clients", "/admin/clients", "OAuth clients"),
    ("users", "/admin/users", "Users"),
    ("orgs", "/admin/orgs", "Organizations"),
    ("roles", "/admin/roles", "Roles & permissions"),
    ("api-keys", "/admin/api-keys", "API keys"),
    ("look-and-feel", "/admin/look-and-feel", "Look & Feel"),
    ("keys", "/admin/keys", "Signing keys"),
    ("settings", "/admin/settings", "Settings"),
    ("audit", "/admin/audit", "Audit log"),
];

/// A result line shown at the top of a page after an action.
#[derive(Clone, Debug)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Flash {
    pub fn ok(text: impl Into<String>) -> Self {
        Self { ok: true, text: text.into() }
    }
    pub fn error(text: impl Into<String>) -> Self {
        Self { ok: false, text: text.into() }
    }
}

/// The frame around every admin page. Templates use `chrome.look`, `chrome.section`,
/// `chrome.csrf_token`, `chrome.admin_email`, `chrome.flash` and `chrome.sections`.
pub struct Chrome {
    pub look: Look,
    pub section: &'static str,
    pub csrf_token: String,
    pub admin_email: String,
    pub flash: Option<Flash>,
    pub sections: &'static [(&'static str, &'static str, &'static str)],
    cookie: Option<Cookie<'static>>,
}

impl Chrome {
    pub fn new(req: &HttpRequest, state: &AppState, admin: &Admin, section: &'static str) -> Self {
        let token = csrf::issue(req, state);
        Self {
            look: admin.look(),
            section,
            csrf_token: token.form_value,
            admin_email: admin.who.user.email.clone(),
            flash: None,
            sections: SECTIONS,
            cookie: token.new_cookie,
        }
    }

    pub fn with_flash(mut self, flash: Option<Flash>) -> Self {
        self.flash = flash;
        self
    }

    /// Renders an admin page (it must hold this `Chrome` as `chrome`).
    pub fn render(&self, status: StatusCode, page: &impl askama::Template) -> HttpResponse {
        render::page(status, page, self.cookie.clone().into_iter().collect())
    }
}

/// The `?done=key` an action redirects with (see `done`); each page maps the key to its text.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// After a successful action: back to `path` (POST/redirect/GET), with a fixed message key
/// that the page maps to text (never free text from the URL).
pub fn done(path: &str, key: &str) -> HttpResponse {
    let sep = if path.contains('?') { '&' } else { '?' };
    render::redirect(&format!("{path}{sep}done={key}"), StatusCode::SEE_OTHER, Vec::new())
}

/// Formats a unix time for tables (UTC).
pub fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// An internal failure on an admin page (logged; a plain page for the admin).
pub fn failed(e: &dyn std::fmt::Display) -> HttpResponse {
    super::super::pages::internal_error(e)
}

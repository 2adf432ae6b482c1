//! `/admin/settings`: signup policy, MFA, lockout and rate limits, remember-device days,
//! magic-link lifetime, session and token lifetimes. Saving needs a recent sign-in.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::view::{self, Chrome, Flash};
use crate::admin_settings::{self, SaveError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::HashMap;

/// One form field: the setting's key is its name, `input` the control to draw.
pub struct Field {
    pub key: &'static str,
    pub id: String,
    pub label: &'static str,
    pub hint: String,
    pub input: &'static str,
    pub value: String,
    pub checked: bool,
    pub error: Option<String>,
}

/// (key, label, control, hint)
type Spec = (&'static str, &'static str, &'static str, &'static str);

const GROUPS: &[(&str, &[Spec])] = &[
    (
        "Sign-up",
        &[
            ("signup_policy", "Who may sign up", "select", "Anyone, only people who were invited, or only addresses at the domains below."),
            (
                "signup_allowed_domains",
                "Allowed email domains",
                "text",
                "Comma-separated, e.g. example.com, example.org (for \"allowed domains\").",
            ),
        ],
    ),
    (
        "Two-factor authentication",
        &[
            (
                "require_mfa",
                "Require two-factor authentication for every user",
                "checkbox",
                "Users without an authenticator set one up at their next sign-in.",
            ),
            (
                "require_mfa_for_admins",
                "Require two-factor authentication for admins",
                "checkbox",
                "Admins without it cannot open this dashboard.",
            ),
            ("remember_device_days", "Remember a device for (days)", "number", "How long \"remember this device\" skips the code."),
        ],
    ),
    (
        "Lockout and rate limits",
        &[
            ("lockout_threshold", "Failed sign-ins before an account locks", "number", ""),
            ("lockout_seconds", "Lock duration (seconds)", "number", ""),
            ("rate_limit_ip_per_minute", "Attempts per address per minute", "number", "Per action (sign-in, reset, magic link)."),
            ("rate_limit_account_per_minute", "Attempts per account per minute", "number", ""),
        ],
    ),
    (
        "Sessions and tokens",
        &[
            ("magic_link_hours", "Magic link lifetime (hours)", "number", ""),
            ("session_ttl", "Session lifetime (seconds)", "number", ""),
            ("access_token_ttl", "Access token lifetime (seconds)", "number", ""),
            ("id_token_ttl", "ID token lifetime (seconds)", "number", ""),
            ("refresh_token_ttl", "Refresh token lifetime (seconds)", "number", ""),
        ],
    ),
];

pub struct Group {
    pub title: &'static str,
    pub id: String,
    pub fields: Vec<Field>,
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    groups: Vec<Group>,
    policy_options: &'static [(&'static str, &'static str)],
}

const POLICIES: &[(&str, &str)] =
    &[("open", "Anyone"), ("invite_only", "Invited people only"), ("allowed_domains", "Allowed domains only")];

/// The server's default for a lifetime the admin left empty.
fn env_default(state: &AppState, key: &str) -> Option<i64> {
    let env = state.lifetimes.env();
    match key {
        "session_ttl" => Some(env.session),
        "access_token_ttl" => Some(env.access_token),
        "id_token_ttl" => Some(env.id_token),
        "refresh_token_ttl" => Some(env.refresh_token),
        _ => None,
    }
}

pub fn field(key: &'static str, label: &'static str, input: &'static str, hint: String, value: &str, error: Option<String>) -> Field {
    Field {
        key,
        id: format!("setting-{}", key.replace('_', "-")),
        label,
        hint,
        input,
        checked: value == "true",
        value: value.to_string(),
        error,
    }
}

fn groups(state: &AppState, values: &HashMap<String, String>, errors: &[(String, String)]) -> Vec<Group> {
    GROUPS
        .iter()
        .map(|(title, specs)| Group {
            title,
            id: format!(
                "settings-{}",
                title.to_ascii_lowercase().replace(' ', "-").replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
            ),
            fields: specs
                .iter()
                .map(|(key, label, input, hint)| {
                    let hint = match env_default(state, key) {
                        Some(d) => format!("Empty: the server's default, {d} seconds (GATEHOUSE_{})", key.to_ascii_uppercase()),
                        None => hint.to_string(),
                    };
                    let error = errors.iter().find(|(k, _)| k == key).map(|(_, p)| p.clone());
                    field(key, label, input, hint, values.get(*key).map(String::as_str).unwrap_or(""), error)
                })
                .collect(),
        })
        .collect()
}

fn render(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    values: &HashMap<String, String>,
    errors: &[(String, String)],
    flash: Option<Flash>,
) -> HttpResponse {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let p = SettingsPage {
        chrome: Chrome::new(req, state, admin, "settings").with_flash(flash),
        groups: groups(state, values, errors),
        policy_options: POLICIES,
    };
    p.chrome.render(status, &p)
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<view::DoneQuery>) -> HttpResponse {
    let values = match admin_settings::values(&state.store).await {
        Ok(v) => v,
        Err(e) => return view::failed(&e),
    };
    let flash = match q.done.as_deref() {
        Some("saved") => Some(Flash::ok("Settings saved.")),
        Some("unchanged") => Some(Flash::ok("Nothing changed.")),
        _ => None,
    };
    render(&req, &state, &admin, &values, &[], flash)
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RecentAdmin,
    form: CsrfForm<HashMap<String, String>>,
) -> HttpResponse {
    let values = admin_settings::form_values(admin_settings::SECURITY_KEYS, &form.0);
    match crate::admin::settings::save_security(&state, admin.event("settings.updated", ""), &values).await {
        Ok(changed) => view::done("/admin/settings", if changed.is_empty() { "unchanged" } else { "saved" }),
        Err(SaveError::Fields(errors)) => {
            let shown: HashMap<String, String> = values.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            render(&req, &state, &admin, &shown, &errors, Some(Flash::error("Nothing was saved: correct the fields marked below.")))
        }
        Err(e @ SaveError::Store(_)) => view::failed(&e),
    }
}

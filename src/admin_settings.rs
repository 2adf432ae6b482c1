//! Settings an administrator changes at run time (signup policy, MFA, lockout and rate limits,
//! Look & Feel, session and token lifetimes), stored in the database so every replica sees the
//! same values. Edited on the admin dashboard (`/admin/settings`, `/admin/look-and-feel`) or
//! with `gatehouse settings set KEY VALUE`. Unset keys use the defaults below.

use crate::auth::audit::{self, Event};
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignupPolicy {
    Open,
    InviteOnly,
    AllowedDomains,
}

#[derive(Clone, Debug)]
pub struct AdminSettings {
    pub signup_policy: SignupPolicy,
    pub signup_allowed_domains: Vec<String>,
    pub require_mfa: bool,
    pub require_mfa_for_admins: bool,
    pub lockout_threshold: i64,
    pub lockout_seconds: i64,
    pub rate_limit_ip_per_minute: i64,
    pub rate_limit_account_per_minute: i64,
    pub remember_device_days: i64,
    pub magic_link_hours: i64,
    pub password_min_length: usize,
    pub show_sidebar: bool,
    pub product_name: String,
    pub logo_url: Option<String>,
    pub primary_color: String,
    pub support_email: Option<String>,
    pub redirect_after_login: Option<String>,
    pub redirect_after_logout: Option<String>,
    /// Session and token lifetimes in seconds; `None`: the environment's (`crate::lifetimes`).
    pub session_ttl: Option<i64>,
    pub access_token_ttl: Option<i64>,
    pub id_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
}

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    /// A whole number >= 1.
    Count,
    /// Minimum password length: 8 to 128.
    PasswordLength,
    Text,
    Color,
    /// https:// URL or a path on this server.
    ImageUrl,
    /// A path on this server or an http(s) URL.
    Redirect,
    Email,
    SignupPolicy,
    Domains,
    /// Seconds from 60 to a year, or empty for the environment's value.
    Seconds,
}

/// (key, default, kind, meaning)
const KEYS: &[(&str, &str, Kind, &str)] = &[
    ("signup_policy", "open", Kind::SignupPolicy, "open | invite_only | allowed_domains"),
    ("signup_allowed_domains", "", Kind::Domains, "comma-separated domains for allowed_domains"),
    ("require_mfa", "false", Kind::Bool, "every user must enrol TOTP at login"),
    ("require_mfa_for_admins", "false", Kind::Bool, "instance admins must have TOTP set up to use the admin dashboard"),
    ("lockout_threshold", "5", Kind::Count, "failed logins before the account locks"),
    ("lockout_seconds", "900", Kind::Count, "how long a lock lasts"),
    ("rate_limit_ip_per_minute", "30", Kind::Count, "attempts per client address per minute and action"),
    ("rate_limit_account_per_minute", "10", Kind::Count, "attempts per account per minute and action"),
    ("remember_device_days", "30", Kind::Count, "how long \"remember this device\" skips MFA"),
    ("magic_link_hours", "1", Kind::Count, "lifetime of magic links requested on the login page"),
    (
        "password_min_length",
        "8",
        Kind::PasswordLength,
        "minimum password length (8 to 128); common and breached passwords are always refused",
    ),
    ("show_sidebar", "true", Kind::Bool, "show the account sidebar (with its Log out button)"),
    ("product_name", "Gatehouse", Kind::Text, "name shown on every page and email"),
    ("logo_url", "", Kind::ImageUrl, "logo image (https:// or /static/...)"),
    ("primary_color", "#1f5fbf", Kind::Color, "primary colour as #rrggbb"),
    ("support_email", "", Kind::Email, "shown on pages and emails"),
    ("redirect_after_login", "", Kind::Redirect, "where to go after a login without an OAuth request (default /account)"),
    ("redirect_after_logout", "", Kind::Redirect, "where to go after hosted logout (default: the signed-out page)"),
    ("session_ttl", "", Kind::Seconds, "sign-in session lifetime in seconds (empty: GATEHOUSE_SESSION_TTL)"),
    ("access_token_ttl", "", Kind::Seconds, "access token lifetime in seconds (empty: GATEHOUSE_ACCESS_TOKEN_TTL)"),
    ("id_token_ttl", "", Kind::Seconds, "ID token lifetime in seconds (empty: GATEHOUSE_ID_TOKEN_TTL)"),
    ("refresh_token_ttl", "", Kind::Seconds, "refresh token lifetime in seconds (empty: GATEHOUSE_REFRESH_TOKEN_TTL)"),
];

/// The settings on the dashboard's Look & Feel page.
pub const LOOK_KEYS: &[&str] =
    &["show_sidebar", "product_name", "logo_url", "primary_color", "support_email", "redirect_after_login", "redirect_after_logout"];

/// The security settings on the dashboard's Settings page.
pub const SECURITY_KEYS: &[&str] = &[
    "signup_policy",
    "signup_allowed_domains",
    "require_mfa",
    "require_mfa_for_admins",
    "lockout_threshold",
    "lockout_seconds",
    "rate_limit_ip_per_minute",
    "rate_limit_account_per_minute",
    "remember_device_days",
    "magic_link_hours",
    "session_ttl",
    "access_token_ttl",
    "id_token_ttl",
    "refresh_token_ttl",
];

/// The longest lifetime a `Kind::Seconds` setting may have (a year).
const MAX_SECONDS: i64 = 365 * 24 * 3600;

#[derive(Debug, thiserror::Error)]
pub enum AdminSettingsError {
    #[error("unknown setting `{0}`; known: {1}")]
    UnknownKey(String, String),
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(key: &str, problem: &str) -> AdminSettingsError {
    AdminSettingsError::Invalid { key: key.to_string(), problem: problem.to_string() }
}

fn is_hex_color(v: &str) -> bool {
    v.len() == 7 && v.starts_with('#') && v[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_local_path(v: &str) -> bool {
    v.starts_with('/') && !v.starts_with("//") && !v.contains('\\') && !v.chars().any(char::is_whitespace)
}

fn is_http_url(v: &str) -> bool {
    url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

/// Checks and normalises one value.
pub fn validate(key: &str, raw: &str) -> Result<String, AdminSettingsError> {
    let Some((_, _, kind, _)) = KEYS.iter().find(|(k, ..)| *k == key) else {
        let known = KEYS.iter().map(|(k, ..)| *k).collect::<Vec<_>>().join(", ");
        return Err(AdminSettingsError::UnknownKey(key.to_string(), known));
    };
    let v = raw.trim();
    // Each refusal says what would be valid (and, for URLs, why the value is refused).
    let refusal = match kind {
        Kind::Bool => match v.to_ascii_lowercase().as_str() {
            "true" | "on" | "yes" | "1" => return Ok("true".into()),
            "false" | "off" | "no" | "0" => return Ok("false".into()),
            _ => format!("`{v}` is not true or false (on/off, yes/no and 1/0 work too)"),
        },
        Kind::Count if v.parse::<i64>().is_ok_and(|n| (1..=10_000_000).contains(&n)) => return Ok(v.to_string()),
        Kind::Count => format!("`{v}` is not a whole number from 1 to 10000000"),
        Kind::PasswordLength if v.parse::<i64>().is_ok_and(|n| (8..=128).contains(&n)) => return Ok(v.to_string()),
        Kind::PasswordLength => format!("`{v}` is not a whole number from 8 to 128 (NIST SP 800-63B asks for at least 8)"),
        Kind::Text if !v.is_empty() && v.chars().count() <= 80 => return Ok(v.to_string()),
        Kind::Text => "must be 1 to 80 characters".to_string(),
        Kind::Color => {
            return if is_hex_color(v) {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(invalid(key, &format!("`{v}` is not a colour like #1f5fbf (# and six hex digits)")))
            };
        }
        Kind::ImageUrl if v.is_empty() || is_local_path(v) || (v.starts_with("https://") && is_http_url(v)) => return Ok(v.to_string()),
        Kind::ImageUrl if v.starts_with("http://") => format!(
            "`{v}` is refused because it is plain http://: browsers block or flag insecure images on https pages, \
             and the page's security policy allows only https images; use an https:// URL or a path on this server such as /static/img/logo.svg"
        ),
        Kind::ImageUrl => format!("`{v}` is neither an https:// URL nor a path on this server (such as /static/img/logo.svg)"),
        Kind::Redirect if v.is_empty() || is_local_path(v) || is_http_url(v) => return Ok(v.to_string()),
        Kind::Redirect => format!("`{v}` is neither a path on this server (such as /welcome) nor an http:// or https:// URL"),
        Kind::Email if v.is_empty() || crate::users::normalize_email(v).is_ok() => return Ok(v.to_string()),
        Kind::Email => format!("`{v}` is not an email address (or give an empty value to clear it)"),
        Kind::SignupPolicy if matches!(v, "open" | "invite_only" | "allowed_domains") => return Ok(v.to_string()),
        Kind::SignupPolicy => format!("`{v}` is not a signup policy; valid values: open, invite_only, allowed_domains"),
        Kind::Domains => {
            let domains: Vec<String> =
                v.split(',').map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase()).filter(|d| !d.is_empty()).collect();
            match domains.iter().find(|d| !d.contains('.') || d.contains('@') || d.chars().any(char::is_whitespace)) {
                None => return Ok(domains.join(",")),
                Some(bad) => format!("`{bad}` is not a domain; give comma-separated domains such as example.com,example.org"),
            }
        }
        Kind::Seconds if v.is_empty() || v.parse::<i64>().is_ok_and(|n| (60..=MAX_SECONDS).contains(&n)) => return Ok(v.to_string()),
        Kind::Seconds => format!("`{v}` is not a number of seconds from 60 to {MAX_SECONDS} (or empty for the environment's value)"),
    };
    Err(invalid(key, &refusal))
}

fn effective(stored: &[(String, String)]) -> Vec<(&'static str, String)> {
    KEYS.iter()
        .map(|(k, default, ..)| {
            let v = stored.iter().find(|(sk, _)| sk == k).map(|(_, v)| v.clone()).unwrap_or_else(|| default.to_string());
            (*k, v)
        })
        .collect()
}

pub async fn load(store: &Store) -> Result<AdminSettings, StoreError> {
    Ok(from_stored(&store.app_settings().await?))
}

/// The settings with nothing stored.
pub fn load_defaults() -> AdminSettings {
    from_stored(&[])
}

fn from_stored(stored: &[(String, String)]) -> AdminSettings {
    let values = effective(stored);
    let get = |k: &str| values.iter().find(|(key, _)| *key == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let opt = |k: &str| Some(get(k).to_string()).filter(|v| !v.is_empty());
    let seconds = |k: &str| get(k).parse::<i64>().ok().filter(|n| (60..=MAX_SECONDS).contains(n));
    let count = |k: &str, default: i64| get(k).parse::<i64>().ok().filter(|n| *n >= 1).unwrap_or(default);
    AdminSettings {
        signup_policy: match get("signup_policy") {
            "invite_only" => SignupPolicy::InviteOnly,
            "allowed_domains" => SignupPolicy::AllowedDomains,
            _ => SignupPolicy::Open,
        },
        signup_allowed_domains: get("signup_allowed_domains").split(',').filter(|d| !d.is_empty()).map(str::to_string).collect(),
        require_mfa: get("require_mfa") == "true",
        require_mfa_for_admins: get("require_mfa_for_admins") == "true",
        lockout_threshold: count("lockout_threshold", 5),
        lockout_seconds: count("lockout_seconds", 900),
        rate_limit_ip_per_minute: count("rate_limit_ip_per_minute", 30),
        rate_limit_account_per_minute: count("rate_limit_account_per_minute", 10),
        remember_device_days: count("remember_device_days", 30),
        magic_link_hours: count("magic_link_hours", 1),
        password_min_length: get("password_min_length").parse::<usize>().ok().filter(|n| (8..=128).contains(n)).unwrap_or(8),
        show_sidebar: get("show_sidebar") != "false",
        product_name: opt("product_name").unwrap_or_else(|| "Gatehouse".into()),
        logo_url: opt("logo_url"),
        primary_color: Some(get("primary_color").to_string()).filter(|c| is_hex_color(c)).unwrap_or_else(|| "#1f5fbf".into()),
        support_email: opt("support_email"),
        redirect_after_login: opt("redirect_after_login"),
        redirect_after_logout: opt("redirect_after_logout"),
        session_ttl: seconds("session_ttl"),
        access_token_ttl: seconds("access_token_ttl"),
        id_token_ttl: seconds("id_token_ttl"),
        refresh_token_ttl: seconds("refresh_token_ttl"),
    }
}

/// Sets one setting, recorded as `settings.set` by `by`'s actor (its action and subject are
/// set here).
pub async fn set(store: &Store, clock: &Clock, by: Event<'_>, key: &str, value: &str) -> Result<String, AdminSettingsError> {
    let value = validate(key, value)?;
    store.put_app_setting(key, &value, clock.now()).await?;
    audit::record_event(store, clock, Event { action: "settings.set", subject: key, ..by }, &serde_json::json!({ "value": value })).await?;
    Ok(value)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// `(key, problem)` for every invalid value; nothing was saved.
    #[error("{}", .0.iter().map(|(k, p)| format!("{k}: {p}")).collect::<Vec<_>>().join("; "))]
    Fields(Vec<(String, String)>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks every value first, then stores those that changed and records one audit event
/// (`by`, with the changed keys and values). Nothing is stored when a value is invalid.
/// Returns the changed `(key, value)` pairs.
pub async fn save(store: &Store, clock: &Clock, by: Event<'_>, values: &[(&str, String)]) -> Result<Vec<(String, String)>, SaveError> {
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for (key, raw) in values {
        match validate(key, raw) {
            Ok(v) => checked.push((key.to_string(), v)),
            Err(AdminSettingsError::Invalid { key, problem }) => problems.push((key, problem)),
            Err(e @ AdminSettingsError::UnknownKey(..)) => problems.push((key.to_string(), e.to_string())),
            Err(AdminSettingsError::Store(e)) => return Err(SaveError::Store(e)),
        }
    }
    if !problems.is_empty() {
        return Err(SaveError::Fields(problems));
    }
    let current = values_of(&store.app_settings().await?);
    let changed: Vec<(String, String)> = checked.into_iter().filter(|(k, v)| current.get(k) != Some(v)).collect();
    if changed.is_empty() {
        return Ok(changed);
    }
    let now = clock.now();
    for (k, v) in &changed {
        store.put_app_setting(k, v, now).await?;
    }
    let detail: Map<String, Value> = changed.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    audit::record_event(store, clock, by, &serde_json::json!({ "changed": detail })).await?;
    Ok(changed)
}

fn values_of(stored: &[(String, String)]) -> std::collections::HashMap<String, String> {
    effective(stored).into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Every key with its effective value as text (forms show these).
pub async fn values(store: &Store) -> Result<std::collections::HashMap<String, String>, StoreError> {
    Ok(values_of(&store.app_settings().await?))
}

/// The values of `keys` from a submitted form: a checkbox (a `Bool` key) that is absent is
/// off; other absent keys are left out.
pub fn form_values<'k>(keys: &[&'k str], form: &std::collections::HashMap<String, String>) -> Vec<(&'k str, String)> {
    keys.iter()
        .filter_map(|k| {
            let is_bool = KEYS.iter().any(|(key, _, kind, _)| key == k && matches!(kind, Kind::Bool));
            match form.get(*k) {
                Some(v) => Some((*k, v.clone())),
                None if is_bool => Some((*k, "false".to_string())),
                None => None,
            }
        })
        .collect()
}

pub async fn unset(store: &Store, clock: &Clock, key: &str) -> Result<(), AdminSettingsError> {
    validate(key, KEYS.iter().find(|(k, ..)| *k == key).map(|(_, d, ..)| *d).unwrap_or(""))?;
    store.delete_app_setting(key).await?;
    crate::auth::audit::record(store, clock, "cli", "settings.unset", key, &serde_json::json!({})).await?;
    Ok(())
}

/// Every key with its effective value, as JSON (booleans and numbers typed).
pub async fn show(store: &Store) -> Result<Value, StoreError> {
    let mut out = Map::new();
    for ((key, value), (_, _, kind, _)) in effective(&store.app_settings().await?).into_iter().zip(KEYS) {
        let v = match kind {
            Kind::Bool => Value::Bool(value == "true"),
            Kind::Count | Kind::PasswordLength => value.parse::<i64>().map(Value::from).unwrap_or(Value::String(value)),
            Kind::Seconds if value.is_empty() => Value::Null,
            Kind::Seconds => value.parse::<i64>().map(Value::from).unwrap_or(Value::String(value)),
            _ => Value::String(value),
        };
        out.insert(key.to_string(), v);
    }
    Ok(Value::Object(out))
}

/// Help text for the CLI.
pub fn describe() -> String {
    KEYS.iter().map(|(k, d, _, m)| format!("  {k} (default `{d}`): {m}")).collect::<Vec<_>>().join("\n")
}

impl AdminSettings {
    /// Whether this (normalised) address may sign up under the current policy.
    pub fn signup_domain_allowed(&self, email: &str) -> bool {
        match self.signup_policy {
            SignupPolicy::Open => true,
            SignupPolicy::InviteOnly => false,
            SignupPolicy::AllowedDomains => {
                let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
                self.signup_allowed_domains.iter().any(|d| d == domain)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(validate("show_sidebar", "OFF").expect("bool"), "false");
        assert_eq!(validate("primary_color", "#AA00CC").expect("colour"), "#aa00cc");
        assert!(validate("primary_color", "red; }").is_err());
        assert!(validate("redirect_after_logout", "//evil.example").is_err());
        assert_eq!(validate("redirect_after_logout", "/bye").expect("path"), "/bye");
        assert!(validate("logo_url", "http://cdn.example/logo.png").is_err());
        assert_eq!(validate("signup_allowed_domains", " @Example.com, b.org ").expect("domains"), "example.com,b.org");
        assert!(validate("lockout_threshold", "0").is_err());
        assert!(matches!(validate("nope", "1"), Err(AdminSettingsError::UnknownKey(..))));
        let policy = validate("signup_policy", "closed").expect_err("not a policy").to_string();
        assert!(policy.contains("open, invite_only, allowed_domains"), "{policy}");
        let logo = validate("logo_url", "http://cdn.example/logo.png").expect_err("http").to_string();
        assert!(logo.contains("https") && logo.contains("because"), "{logo}");
        assert!(validate("password_min_length", "7").is_err());
        assert_eq!(validate("password_min_length", "12").expect("length"), "12");
        assert_eq!(validate("access_token_ttl", "").expect("default"), "");
        assert!(validate("access_token_ttl", "59").is_err());
        assert!(validate("signup_policy", "closed").unwrap_err().to_string().contains("invite_only"));
    }
}

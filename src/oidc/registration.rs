//! The rules for a client's settings, shared by `client create`/`client update` on the CLI
//! and the admin dashboard's forms: each field is checked on its own and answered with a
//! message for that field.

use super::clients::validate_registered_uri;
use crate::crypto;
use crate::store::ClientRow;
use std::collections::BTreeMap;

/// The grant types a client may be allowed, in display order.
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// Per-client access-token lifetimes start here; the ceiling is the instance's longest JWT
/// lifetime (a retired signing key stays published exactly that long).
pub const MIN_ACCESS_TTL: i64 = 60;
pub const MIN_REFRESH_TTL: i64 = 300;
pub const MAX_REFRESH_TTL: i64 = 365 * 24 * 3600;

/// A client's settings as typed (dashboard form or CLI flags).
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub dev: bool,
    pub require_consent: bool,
    pub grant_types: Vec<String>,
    /// A duration (`900`, `15m`, `1h`, `30d`) or empty for the instance's lifetime.
    pub access_token_lifetime: String,
    pub refresh_token_lifetime: String,
    /// Scopes the client may ask for with the client_credentials grant.
    pub client_credentials_scopes: Vec<String>,
}

/// Settings that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub dev: bool,
    pub require_consent: bool,
    pub grant_types: Vec<String>,
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    pub client_credentials_scopes: Vec<String>,
}

/// One message per field that failed, keyed by the field's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

/// The grant types a new client gets unless it asks otherwise.
pub fn default_grant_types(public: bool) -> Vec<String> {
    let n = if public { 2 } else { 3 };
    GRANT_TYPES[..n].iter().map(|g| g.to_string()).collect()
}

/// Lines of a textarea (or repeated flags) as a list: trimmed, blank lines and repeats dropped.
pub fn uri_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !out.iter().any(|u| u == line) {
            out.push(line.to_string());
        }
    }
    out
}

/// `900`, `90s`, `15m`, `1h`, `30d` → seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: i64 = digits.parse().ok()?;
    let mult = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Seconds in the largest unit that divides them (`3600` → `1h`).
pub fn format_duration(secs: i64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs >= size && secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

fn lifetime(errors: &mut FieldErrors, field: &'static str, text: &str, (min, max): (i64, i64), default: i64) -> Option<i64> {
    if text.trim().is_empty() {
        return None;
    }
    let range = format!("between {} and {}", format_duration(min), format_duration(max));
    match parse_duration(text) {
        Some(secs) if (min..=max).contains(&secs) => Some(secs),
        Some(_) => {
            errors.add(field, format!("Choose a lifetime {range}, or leave it empty for the default ({}).", format_duration(default)));
            None
        }
        None => {
            errors.add(
                field,
                format!(
                    "Enter a duration such as 900, 15m, 1h or 30d ({range}), or leave it empty for the default ({}).",
                    format_duration(default)
                ),
            );
            None
        }
    }
}

/// The instance's token lifetimes, which bound and default the per-client ones.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub access_default: i64,
    pub access_max: i64,
    pub refresh_default: i64,
}

impl Lifetimes {
    /// The lifetimes in force (the environment's, or the admin's overrides).
    pub fn of(l: &crate::lifetimes::Lifetimes) -> Self {
        Self { access_default: l.access_token, access_max: l.max_jwt(), refresh_default: l.refresh_token }
    }
}

fn json_list(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// The row for a new client with a fresh id and, unless public, a fresh secret (returned
/// once; only its hash is stored).
pub fn new_row(v: &ValidClient, now: i64) -> (ClientRow, Option<String>) {
    let secret = (!v.public).then(|| crypto::random_cli_token(32));
    let row = ClientRow {
        id: crypto::random_cli_token(18),
        name: v.name.clone(),
        secret_hash: secret.as_deref().map(crypto::sha256_hex),
        is_public: v.public,
        require_consent: v.require_consent,
        allow_dev_http: v.dev,
        redirect_uris: json_list(&v.redirect_uris),
        post_logout_redirect_uris: json_list(&v.post_logout_redirect_uris),
        created_at: now,
        enabled: true,
        grant_types: json_list(&v.grant_types),
        access_token_ttl: v.access_token_ttl,
        refresh_token_ttl: v.refresh_token_ttl,
        previous_secret_hash: None,
        previous_secret_expires_at: None,
        updated_at: None,
        client_credentials_scopes: super::scope::join(&v.client_credentials_scopes),
    };
    (row, secret)
}

/// `row` with the settings of `v` (not its id, type, secret or enabled state).
pub fn apply(row: &ClientRow, v: &ValidClient, now: i64) -> ClientRow {
    ClientRow {
        name: v.name.clone(),
        require_consent: v.require_consent,
        allow_dev_http: v.dev,
        redirect_uris: json_list(&v.redirect_uris),
        post_logout_redirect_uris: json_list(&v.post_logout_redirect_uris),
        grant_types: json_list(&v.grant_types),
        access_token_ttl: v.access_token_ttl,
        refresh_token_ttl: v.refresh_token_ttl,
        client_credentials_scopes: super::scope::join(&v.client_credentials_scopes),
        updated_at: Some(now),
        ..row.clone()
    }
}

/// Checks every field; all the problems at once, one message per field.
pub fn validate(input: &ClientInput, limits: Lifetimes) -> Result<ValidClient, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.add("name", "Enter a name of 1 to 200 characters.");
    }
    if input.redirect_uris.is_empty() {
        errors.add("redirect_uris", "Add at least one redirect URI (one per line).");
    }
    for s in &input.client_credentials_scopes {
        if !super::scope::valid_custom_scope(s) {
            errors.add(
                "client_credentials_scopes",
                format!("`{s}` is not a valid scope: 1 to 100 printable ASCII characters, no spaces or quotes"),
            );
        }
    }
    for uri in &input.redirect_uris {
        if let Err(e) = validate_registered_uri(uri, input.dev) {
            errors.add("redirect_uris", e);
        }
    }
    for uri in &input.post_logout_redirect_uris {
        if uri.ends_with("?*") {
            errors.add("post_logout_redirect_uris", format!("`{uri}`: post-logout redirect URIs must match exactly, no `?*`"));
        } else if let Err(e) = validate_registered_uri(uri, input.dev) {
            errors.add("post_logout_redirect_uris", e);
        }
    }
    let mut grant_types = Vec::new();
    for g in &input.grant_types {
        match GRANT_TYPES.iter().find(|k| **k == g.trim()) {
            Some(known) if !grant_types.iter().any(|x: &String| x == known) => grant_types.push(known.to_string()),
            Some(_) => {}
            None => errors.add("grant_types", format!("`{g}` is not a grant type; choose from {}.", GRANT_TYPES.join(", "))),
        }
    }
    grant_types.sort_by_key(|g| GRANT_TYPES.iter().position(|k| k == g));
    let has = |g: &str| grant_types.iter().any(|x| x == g);
    if grant_types.is_empty() {
        errors.add("grant_types", "Allow at least one grant type.");
    } else if input.public && has("client_credentials") {
        errors.add("grant_types", "A public client has no secret, so it cannot use client_credentials.");
    } else if has("refresh_token") && !has("authorization_code") {
        errors.add("grant_types", "refresh_token needs authorization_code (refresh tokens come from a user's sign-in).");
    }
    let access_token_ttl = lifetime(
        &mut errors,
        "access_token_lifetime",
        &input.access_token_lifetime,
        (MIN_ACCESS_TTL, limits.access_max),
        limits.access_default,
    );
    let refresh_token_ttl = lifetime(
        &mut errors,
        "refresh_token_lifetime",
        &input.refresh_token_lifetime,
        (MIN_REFRESH_TTL, MAX_REFRESH_TTL),
        limits.refresh_default,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidClient {
        name: name.to_string(),
        redirect_uris: input.redirect_uris.clone(),
        post_logout_redirect_uris: input.post_logout_redirect_uris.clone(),
        public: input.public,
        dev: input.dev,
        require_consent: input.require_consent,
        grant_types,
        access_token_ttl,
        refresh_token_ttl,
        client_credentials_scopes: input.client_credentials_scopes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Lifetimes = Lifetimes { access_default: 3600, access_max: 3600, refresh_default: 30 * 86_400 };

    fn input() -> ClientInput {
        ClientInput {
            name: "App".into(),
            redirect_uris: vec!["https://app.example.com/cb".into()],
            grant_types: default_grant_types(false),
            ..Default::default()
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("900"), Some(900));
        assert_eq!(parse_duration("15m"), Some(900));
        assert_eq!(parse_duration(" 1h "), Some(3600));
        assert_eq!(parse_duration("30d"), Some(30 * 86_400));
        assert_eq!(parse_duration("1 h"), Some(3600));
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("-5"), None);
        assert_eq!(parse_duration("1w"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
        assert_eq!(format_duration(3600), "1h");
        assert_eq!(format_duration(90), "90s");
        assert_eq!(format_duration(86_400 * 30), "30d");
    }

    #[test]
    fn a_good_client_passes() {
        let v = validate(&input(), LIMITS).expect("valid");
        assert_eq!(v.grant_types, GRANT_TYPES);
        assert_eq!(v.access_token_ttl, None);
    }

    #[test]
    fn each_field_gets_its_own_message() {
        let bad = ClientInput {
            name: " ".into(),
            redirect_uris: vec!["http://app.example.com/cb".into()],
            post_logout_redirect_uris: vec!["https://app.example.com/bye?*".into()],
            public: true,
            grant_types: vec!["client_credentials".into()],
            access_token_lifetime: "2h".into(),
            refresh_token_lifetime: "soon".into(),
            ..Default::default()
        };
        let errors = validate(&bad, LIMITS).expect_err("invalid");
        assert!(errors.get("name").is_some());
        assert!(errors.get("redirect_uris").expect("redirect").contains("http://"));
        assert!(errors.get("post_logout_redirect_uris").expect("post-logout").contains("?*"));
        assert!(errors.get("grant_types").expect("grants").contains("public"));
        assert!(errors.get("access_token_lifetime").expect("access").contains("between 1m and 1h"));
        assert!(errors.get("refresh_token_lifetime").expect("refresh").contains("15m"));
    }

    #[test]
    fn grant_type_rules() {
        let mut i = input();
        i.grant_types = vec![];
        assert!(validate(&i, LIMITS).expect_err("none").get("grant_types").is_some());
        i.grant_types = vec!["refresh_token".into()];
        assert!(validate(&i, LIMITS).expect_err("orphan refresh").get("grant_types").expect("msg").contains("authorization_code"));
        i.grant_types = vec!["password".into()];
        assert!(validate(&i, LIMITS).is_err());
        i.grant_types = vec!["client_credentials".into(), "authorization_code".into(), "authorization_code".into()];
        assert_eq!(validate(&i, LIMITS).expect("ok").grant_types, ["authorization_code", "client_credentials"]);
    }

    #[test]
    fn textarea_lines() {
        assert_eq!(uri_lines(" https://a/cb \r\n\r\nhttps://b/cb\nhttps://a/cb\n"), ["https://a/cb", "https://b/cb"]);
    }
}

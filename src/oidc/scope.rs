//! Scope handling. Unknown scope values are dropped, as OIDC Core §3.1.2.1 allows.

pub const SUPPORTED: &[&str] = &["openid", "profile", "email", "offline_access", "orgs"];

/// Splits a space-separated scope string into the supported values, in order, without
/// duplicates.
pub fn parse(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.split(' ').filter(|s| !s.is_empty()) {
        if SUPPORTED.contains(&s) && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

/// A client-defined scope (RFC 6749 §3.3 scope-token), at most 100 characters.
pub fn valid_custom_scope(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\')
}

pub fn has(scope: &str, value: &str) -> bool {
    scope.split(' ').any(|s| s == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_duplicate_scopes_are_dropped() {
        assert_eq!(parse("openid  email openid foo profile"), vec!["openid", "email", "profile"]);
        assert!(has("openid email", "email"));
        assert!(!has("openid emails", "email"));
    }
}

//! OAuth 2.0 / OpenID Connect protocol logic. Knows nothing of HTTP frameworks: the web
//! layer hands it parameters and a session, and renders what it decides.

pub mod access;
pub mod authorize;
pub mod clients;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod grants;
pub mod registration;
pub mod scope;
pub mod tokens;

/// A request parameter's value; an empty value counts as absent (RFC 6749 §3.1).
pub fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// The first parameter name sent more than once; RFC 6749 §3.1 forbids repeats.
pub fn repeated_param(params: &[(String, String)]) -> Option<&str> {
    params.iter().enumerate().find(|(i, (k, _))| params[..*i].iter().any(|(k2, _)| k2 == k)).map(|(_, (k, _))| k.as_str())
}

//! Credential mechanics behind the hosted pages: password hashing, login sessions,
//! integration API keys.

pub mod api_keys;
pub mod password;
pub mod session;

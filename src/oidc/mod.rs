//! OAuth 2.0 / OpenID Connect protocol logic. Knows nothing of HTTP frameworks: the web
//! layer hands it parameters and a session, and renders what it decides.

pub mod access;
pub mod authorize;
pub mod clients;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod grants;
pub mod scope;
pub mod tokens;

//! Credential mechanics behind the hosted pages: password hashing, login sessions, account
//! tokens, magic links, MFA, abuse protection, the audit log and integration API keys.

pub mod abuse;
pub mod account_tokens;
pub mod api_keys;
pub mod audit;
pub mod hash_pool;
pub mod login;
pub mod magic_link;
pub mod mfa;
pub mod password;
pub mod password_policy;
pub mod reauth;
pub mod session;
pub mod totp;

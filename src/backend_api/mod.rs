//! The backend API's logic, wire-compatible with the PropelAuth SDKs
//! (`shared/docs/propelauth-wire.md`). Plain Rust: `web::api` parses requests and renders
//! `BackendError`s; everything here takes `&AppState` and returns JSON-ready values.

pub mod access_tokens;
pub mod end_user_keys;
pub mod error;
pub mod magic_links;
pub mod orgs;
pub mod rate_limit;
pub mod users;
mod wire;

pub use error::{BackendError, FieldErrors};
pub use wire::{MAX_SAFE_INTEGER, Page, PageQuery};

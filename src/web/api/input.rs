//! Lenient request parsing: the SDKs send many POST/PUT calls with an empty body and no
//! Content-Type, so bodies are read as bytes (empty = `{}`), never with `web::Json`.

use crate::backend_api::BackendError;
use actix_web::HttpRequest;
use actix_web::web::Bytes;
use serde::de::DeserializeOwned;

pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, BackendError> {
    let text = std::str::from_utf8(bytes).map_err(|_| BackendError::field("body", "the body is not UTF-8"))?;
    let text = if text.trim().is_empty() || text.trim() == "null" { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| BackendError::field("body", format!("invalid JSON body: {e}")))
}

pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, BackendError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|e| BackendError::field("query", format!("invalid query: {e}")))
}

#[derive(serde::Deserialize)]
pub struct IncludeOrgs {
    pub include_orgs: Option<bool>,
}

pub fn include_orgs(req: &HttpRequest) -> Result<bool, BackendError> {
    Ok(query::<IncludeOrgs>(req)?.include_orgs.unwrap_or(false))
}

//! Renders `BackendError` with the status codes the PropelAuth SDKs expect (wire spec §9).
//! Always a JSON body: several SDK handlers call `.json()` on errors.

use crate::backend_api::BackendError;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::json;

pub fn status(e: &BackendError) -> StatusCode {
    match e {
        BackendError::NotFound => StatusCode::NOT_FOUND,
        BackendError::Fields(_) | BackendError::UserFacing(_) | BackendError::NotOffered(_) => StatusCode::BAD_REQUEST,
        BackendError::UserNotFoundForToken => StatusCode::FORBIDDEN,
        BackendError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        BackendError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        BackendError::Store(_) | BackendError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub fn body(e: &BackendError) -> serde_json::Value {
    match e {
        BackendError::NotFound => json!({ "error_code": "not_found", "user_facing_error": "Not found" }),
        BackendError::Fields(f) => json!(f),
        BackendError::UserFacing(msg) => json!({ "error_code": "bad_request", "user_facing_error": msg }),
        BackendError::UserNotFoundForToken => json!({ "error_code": "user_not_found", "user_facing_error": "User not found" }),
        BackendError::NotOffered(feature) => {
            let msg = format!("{feature} is not available in Gatehouse yet");
            json!({ "error_code": "feature_gated", "user_facing_error": msg, "feature": [msg],
                    "user_facing_errors": { "feature": msg }, "field_to_errors": { "feature": [msg] } })
        }
        BackendError::RateLimited { wait_seconds } => {
            json!({ "error_code": "rate_limited", "user_facing_error": "Too many requests, slow down", "wait_seconds": wait_seconds })
        }
        BackendError::Busy { .. } => {
            json!({ "error_code": "temporarily_unavailable", "user_facing_error": "The server is busy, try again in a moment" })
        }
        BackendError::Store(_) | BackendError::Internal(_) => {
            json!({ "error_code": "internal_error", "user_facing_error": "Internal error" })
        }
    }
}

pub fn respond(e: &BackendError) -> HttpResponse {
    let code = status(e);
    if code == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, source = ?std::error::Error::source(e), "backend API call failed");
    }
    let mut res = HttpResponse::build(code);
    if let BackendError::RateLimited { wait_seconds } = e {
        res.insert_header(("Retry-After", (wait_seconds.ceil() as i64).to_string()));
    }
    if let BackendError::Busy { retry_after } = e {
        res.insert_header(("Retry-After", retry_after.to_string()));
    }
    res.json(body(e))
}

/// 401 for a missing, bad or revoked integration key; the SDKs read it as
/// "integration_api_key is incorrect" and nothing else may use 401.
pub fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("WWW-Authenticate", "Bearer"))
        .json(json!({ "error_code": "unauthorized", "user_facing_error": "Missing or invalid integration API key" }))
}

/// 401 for a live key used with another auth URL (`backend_api_check_auth_url`): to the SDK
/// the key is wrong for the project it was configured with, which is what happened.
pub fn wrong_auth_url(message: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header(("WWW-Authenticate", "Bearer"))
        .json(json!({ "error_code": "wrong_auth_url", "user_facing_error": message }))
}

/// 503 while the database is unreachable (the caller adds `Retry-After`).
pub fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable().json(
        json!({ "error_code": "temporarily_unavailable", "user_facing_error": "The service is temporarily unavailable; retry shortly" }),
    )
}

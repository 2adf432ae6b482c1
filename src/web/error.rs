//! HTTP renderings of service errors. Each mapping is an exhaustive match: a new error
//! variant cannot reach a client until someone decides its status.

use super::render;
use crate::oidc::error::{ErrorCode, OAuthError};
use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

pub fn oauth_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest
        | ErrorCode::InvalidGrant
        | ErrorCode::UnauthorizedClient
        | ErrorCode::UnsupportedGrantType
        | ErrorCode::UnsupportedResponseType
        | ErrorCode::InvalidScope
        | ErrorCode::LoginRequired
        | ErrorCode::ConsentRequired
        | ErrorCode::RequestNotSupported
        | ErrorCode::RequestUriNotSupported => StatusCode::BAD_REQUEST,
        ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
        ErrorCode::AccessDenied | ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// RFC 6749 §5.2 JSON error body, never cached.
pub fn oauth_json(err: &OAuthError) -> HttpResponse {
    HttpResponse::build(oauth_status(err.code))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({ "error": err.code.as_str(), "error_description": err.description }))
}

/// The page shown when an authorization request cannot be sent back to its client.
pub fn oauth_page(err: &OAuthError) -> HttpResponse {
    let status = match oauth_status(err.code) {
        s @ (StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE) => s,
        _ => StatusCode::BAD_REQUEST,
    };
    render::error_page(status, "This sign-in link is not valid", &err.description, Some(err.code.as_str()))
}

/// RFC 6750 §3 for protected resources (userinfo).
pub fn bearer_error(err: &OAuthError) -> HttpResponse {
    let challenge = format!("Bearer error=\"{}\", error_description=\"{}\"", err.code.as_str(), err.description);
    let mut res = oauth_json(err);
    if let Ok(v) = header::HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    res
}

/// A body over the limit on an OAuth endpoint: 413, as an RFC 6749 §5.2 JSON error.
pub fn oauth_body_too_large<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let (req, _) = res.into_parts();
    let mut body = oauth_json(&OAuthError::invalid_request("the request body is too large"));
    *body.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    let res = actix_web::dev::ServiceResponse::new(req, body).map_into_right_body();
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(res))
}

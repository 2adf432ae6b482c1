//! Security headers for every response, plus request logging and counting.

use super::Metrics;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The same policy for the pages the admin dashboard frames itself (Look & Feel previews).
pub const CSP_FRAMED_BY_SELF: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'self'";

pub async fn apply(req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    // An https issuer is only ever reached over TLS: browsers should never try plain http.
    let https = req.app_data::<web::Data<crate::state::AppState>>().is_some_and(|s| s.settings.is_https());
    let mut res = next.call(req).await?;
    let status = res.status();
    let headers = res.headers_mut();
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Authorization codes travel in URLs: never leak them through Referer.
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        // One year; no includeSubDomains, which would bind hosts Gatehouse does not own.
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if let Some(m) = metrics {
        m.record(status.as_u16());
    }
    // The path only: query strings carry codes and tokens.
    tracing::info!(%method, %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "request");
    Ok(res)
}

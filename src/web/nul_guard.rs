//! No field of any request may hold a NUL character. PostgreSQL cannot store one in text (it
//! fails the statement, which would surface as a 500), SQLite's FTS5 query parser stops at one,
//! and no identifier, address, name or secret we accept has a use for it. So a request whose
//! path or query (`%00`) or form body carries one is answered 400 here, before any handler runs,
//! in the shape its endpoint speaks: OAuth JSON on the OAuth endpoints, the backend API's field
//! errors under `/api/`, plain text elsewhere. JSON bodies are checked where they are parsed
//! (`web::api::input::body`).

use super::error::oauth_json;
use super::outage::Shape;
use super::{BODY_LIMIT, render};
use crate::backend_api::BackendError;
use crate::oidc::error::OAuthError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{HttpMessage, HttpResponse};
use std::pin::Pin;
use std::task::{Context, Poll};

const MESSAGE: &str = "the request contains a NUL character (%00), which no field may hold";

/// A payload that yields what was read once more (the body, or the error reading it ended
/// in), so the handler, and the middleware around it, see what they would have seen.
struct Replay(Option<Result<Bytes, PayloadError>>);

impl futures_core::Stream for Replay {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.take())
    }
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

fn declared_length(req: &ServiceRequest) -> Option<usize> {
    req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Whether `bytes` spells a percent-encoded NUL.
fn has_encoded_nul(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w == b"%00")
}

/// Reads the whole payload, up to `limit` bytes (None past it).
async fn read_all(payload: &mut Payload, limit: usize) -> Result<Option<Bytes>, PayloadError> {
    let mut buf = BytesMut::new();
    loop {
        let next = std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut *payload), cx)).await;
        match next {
            None => return Ok(Some(buf.freeze())),
            Some(Err(e)) => return Err(e),
            Some(Ok(chunk)) => {
                if buf.len() + chunk.len() > limit {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
}

/// The refusal in the shape the endpoint speaks (as the outage guard's 503s do).
fn refusal(path: &str, status: StatusCode, message: &str) -> HttpResponse {
    let mut res = match Shape::of(path) {
        Shape::OAuth => oauth_json(&OAuthError::invalid_request(message)),
        Shape::Backend => super::api::error::respond(&BackendError::field("request", message)),
        Shape::Page => render::error_page(status, status.canonical_reason().unwrap_or("Bad request"), message, None),
    };
    *res.status_mut() = status;
    res
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let in_uri = req.uri().path_and_query().is_some_and(|pq| has_encoded_nul(pq.as_str().as_bytes()));
    let form_nul = if !in_uri && is_form(&req) && declared_length(&req).is_none_or(|n| n <= BODY_LIMIT) {
        let mut payload = req.take_payload();
        match read_all(&mut payload, BODY_LIMIT).await {
            Ok(Some(body)) => {
                let nul = has_encoded_nul(&body);
                req.set_payload(Payload::Stream { payload: Box::pin(Replay(Some(Ok(body)))) });
                nul
            }
            Ok(None) => {
                let res = refusal(req.path(), StatusCode::PAYLOAD_TOO_LARGE, "the form body is too large");
                return Ok(req.into_response(res).map_into_right_body());
            }
            Err(e) => {
                req.set_payload(Payload::Stream { payload: Box::pin(Replay(Some(Err(e)))) });
                false
            }
        }
    } else {
        false
    };
    if in_uri || form_nul {
        let res = refusal(req.path(), StatusCode::BAD_REQUEST, MESSAGE);
        return Ok(req.into_response(res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_percent_encoded_nul_counts() {
        assert!(has_encoded_nul(b"client_id=a%00b"));
        assert!(has_encoded_nul(b"/api/backend/v1/user/%00"));
        assert!(!has_encoded_nul(b"client_id=a%2500b"), "%25 is a literal percent sign");
        assert!(!has_encoded_nul(b"x=%0A&y=100%"));
    }
}

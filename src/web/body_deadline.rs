//! A request body must arrive within `request_body_timeout` seconds of the request head. actix
//! bounds the head (`client_request_timeout`) but not the body, so a client trickling bytes
//! (slowloris on the body) would hold a worker's connection forever. A late body is answered
//! 408 and the connection closed.

use crate::state::AppState;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// The payload, cut off with an error once the deadline passes.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl futures_core::Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body did not arrive in time");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let length = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).map(str::trim);
    req.headers().contains_key(header::TRANSFER_ENCODING) || length.is_some_and(|l| l != "0")
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.request_body_timeout);
    let (Some(limit), true) = (limit, has_body(&req)) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Deadline { inner: req.take_payload(), sleep: Box::pin(tokio::time::sleep(limit)), expired: expired.clone() };
    req.set_payload(Payload::Stream { payload: Box::pin(deadline) });
    let res = next.call(req).await?;
    if !expired.load(Ordering::Relaxed) {
        return Ok(res.map_into_left_body());
    }
    tracing::debug!(path = %res.request().path(), "request body too slow; 408");
    let (req, _) = res.into_parts();
    let late = HttpResponse::RequestTimeout()
        .insert_header((header::CONNECTION, "close"))
        .content_type("text/plain; charset=utf-8")
        .body("The request body did not arrive in time.");
    Ok(ServiceResponse::new(req, late).map_into_right_body())
}

//! Database outages answer fast and honestly: while the store reports the database down, every
//! request that needs it gets 503 with `Retry-After` at once, in the endpoint's own error shape
//! (OAuth JSON, backend-API JSON, or a page for people). A request that failed with a 500 while
//! the database is unreachable is answered the same way. Recovery needs no restart: the store's
//! watcher clears the flag when the database answers again.

use super::error::oauth_json;
use super::render;
use crate::oidc::discovery as paths;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::state::AppState;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use std::time::Duration;

/// Seconds a client should wait before retrying.
pub const RETRY_AFTER: u32 = 5;

/// How an endpoint reports errors (the outage guard and `web::nul_guard` answer in it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    OAuth,
    Backend,
    Page,
}

impl Shape {
    pub(super) fn of(path: &str) -> Shape {
        if path.starts_with("/api/") {
            Shape::Backend
        } else if [paths::TOKEN_PATH, paths::USERINFO_PATH, paths::REVOKE_PATH, paths::INTROSPECT_PATH].contains(&path) {
            Shape::OAuth
        } else {
            Shape::Page
        }
    }
}

/// How `path` reports errors; `None` for what is served without the database.
fn shape(path: &str) -> Option<Shape> {
    let no_database = ["/healthz", "/readyz", "/metrics", "/favicon.ico", "/.well-known/openid-configuration", paths::JWKS_PATH];
    if no_database.contains(&path) || path.starts_with("/static/") || path.ends_with("/openapi.json") {
        return None;
    }
    Some(Shape::of(path))
}

fn unavailable(shape: Shape) -> HttpResponse {
    let mut res = match shape {
        Shape::OAuth => {
            oauth_json(&OAuthError::new(ErrorCode::TemporarilyUnavailable, "the service is temporarily unavailable; retry shortly"))
        }
        Shape::Backend => super::api::error::unavailable(),
        Shape::Page => render::error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "We cannot reach our database right now. Please try again in a moment.",
            None,
        ),
    };
    res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, RETRY_AFTER.into());
    res
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, BoxBody>>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(state), Some(shape)) = (state, shape(req.path())) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    if state.store.is_down() {
        return Ok(req.into_response(unavailable(shape)).map_into_right_body());
    }
    let res = next.call(req).await?;
    if res.status() == StatusCode::INTERNAL_SERVER_ERROR && !state.store.probe(Duration::from_millis(800)).await {
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, unavailable(shape)).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_keeps_its_error_shape() {
        assert_eq!(shape("/oauth2/token"), Some(Shape::OAuth));
        assert_eq!(shape("/api/backend/v1/user/"), Some(Shape::Backend));
        assert_eq!(shape("/login"), Some(Shape::Page));
        assert_eq!(shape("/oauth2/authorize"), Some(Shape::Page));
        assert_eq!(shape("/.well-known/jwks.json"), None);
        assert_eq!(shape("/api/backend/v1/openapi.json"), None);
    }
}

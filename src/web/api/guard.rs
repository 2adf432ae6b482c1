//! The integration-key extractor: every backend API handler takes an `IntegrationKey`, so
//! no route can forget the check. It also counts the call against the key's rate limit.

use super::error;
use crate::auth::api_keys;
use crate::backend_api::rate_limit;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

/// Proof that the request carried a live integration key (its id is in the trace).
#[derive(Debug, Clone)]
pub struct IntegrationKey;

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}

fn reject(res: actix_web::HttpResponse) -> actix_web::Error {
    InternalError::from_response("backend API request rejected", res).into()
}

impl FromRequest for IntegrationKey {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let presented = bearer(req);
        Box::pin(async move {
            let Some(state) = state else {
                return Err(reject(error::respond(&crate::backend_api::BackendError::Internal("no app state".into()))));
            };
            let Some(presented) = presented else {
                return Err(reject(error::unauthorized()));
            };
            let key = match api_keys::authenticate(&state.store, &state.clock, &presented).await {
                Ok(Some(k)) => k,
                Ok(None) => return Err(reject(error::unauthorized())),
                Err(e) => return Err(reject(error::respond(&e.into()))),
            };
            if let Err(e) = rate_limit::check(&state, &key.id).await {
                return Err(reject(error::respond(&e)));
            }
            tracing::debug!(integration_key = %key.id, "backend API call");
            Ok(IntegrationKey)
        })
    }
}

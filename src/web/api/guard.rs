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

/// The host part of the issuer (`host[:port]`), which the SDK sends as `X-Propelauth-url`
/// (wire spec §1.1: the netloc of `auth_url`).
fn issuer_authority(issuer: &str) -> &str {
    let rest = issuer.split_once("://").map_or(issuer, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// With `backend_api_check_auth_url` on: the header, when sent, must name this issuer.
fn auth_url_mismatch(req: &HttpRequest, issuer: &str) -> Option<String> {
    let sent = req.headers().get("x-propelauth-url")?;
    let expected = issuer_authority(issuer);
    match sent.to_str() {
        Ok(s) if s.trim().eq_ignore_ascii_case(expected) => None,
        Ok(s) => Some(format!("X-Propelauth-url `{}` is not this server's auth URL host `{expected}`", s.trim())),
        Err(_) => Some(format!("X-Propelauth-url is not this server's auth URL host `{expected}`")),
    }
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
        let mismatch =
            state.as_ref().filter(|s| s.settings.backend_api_check_auth_url).and_then(|s| auth_url_mismatch(req, &s.settings.issuer));
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
            if let Some(msg) = mismatch {
                return Err(reject(error::wrong_auth_url(&msg)));
            }
            if let Err(e) = rate_limit::check(&state, &key.id).await {
                return Err(reject(error::respond(&e)));
            }
            tracing::debug!(integration_key = %key.id, "backend API call");
            Ok(IntegrationKey)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::issuer_authority;

    #[test]
    fn authority_is_the_issuer_netloc() {
        assert_eq!(issuer_authority("https://auth.example.com"), "auth.example.com");
        assert_eq!(issuer_authority("https://auth.example.com:8443/tenant"), "auth.example.com:8443");
        assert_eq!(issuer_authority("http://localhost:8080"), "localhost:8080");
    }
}

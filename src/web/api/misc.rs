//! Token verification metadata, access tokens, and the routes of features Gatehouse does not
//! offer yet (answered with a JSON `feature_gated` error, never a 404).

use super::guard::IntegrationKey;
use super::{input, json};
use crate::backend_api::{BackendError, access_tokens};
use crate::state::AppState;
use actix_web::HttpResponse;
use actix_web::web::{Bytes, Data};
use serde_json::json;

/// `GET /api/v1/token_verification_metadata` (wire spec §1.2).
pub async fn token_verification_metadata(_k: IntegrationKey, s: Data<AppState>) -> HttpResponse {
    match s.keys.current_public_pem().await {
        Some(pem) => HttpResponse::Ok().json(json!({ "verifier_key_pem": pem, "issuer": s.settings.issuer })),
        None => super::error::respond(&BackendError::Internal("no current signing key".into())),
    }
}

pub async fn create_access_token(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { access_tokens::create(&s, input::body(&body)?).await }.await)
}

fn not_offered(feature: &'static str) -> HttpResponse {
    super::error::respond(&BackendError::NotOffered(feature))
}

pub async fn create_magic_link(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { crate::backend_api::magic_links::create(&s, input::body(&body)?).await }.await)
}

pub async fn saml(_k: IntegrationKey) -> HttpResponse {
    not_offered("SAML / enterprise SSO")
}

pub async fn scim(_k: IntegrationKey) -> HttpResponse {
    not_offered("SCIM")
}

pub async fn employees(_k: IntegrationKey) -> HttpResponse {
    not_offered("Employee accounts")
}

pub async fn social_tokens(_k: IntegrationKey) -> HttpResponse {
    not_offered("Social login tokens")
}

pub async fn step_up_mfa(_k: IntegrationKey) -> HttpResponse {
    not_offered("Step-up MFA")
}

pub async fn user_insights(_k: IntegrationKey) -> HttpResponse {
    not_offered("User insights")
}

pub async fn unknown_route(_k: IntegrationKey) -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error_code": "not_found", "user_facing_error": "No such backend API route" }))
}

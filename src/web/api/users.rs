//! §7.1 user routes and §7.3 migration: extract, call one service function, render.

use super::guard::IntegrationKey;
use super::{done, input, json};
use crate::backend_api::users::{self, BatchKind, Lookup};
use crate::state::AppState;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};
use serde::Deserialize;

pub async fn fetch_by_id(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, req: HttpRequest) -> HttpResponse {
    json(async { users::fetch(&s, Lookup::Id(&id), input::include_orgs(&req)?).await }.await)
}

#[derive(Deserialize)]
struct ByEmail {
    email: Option<String>,
}

#[derive(Deserialize)]
struct ByUsername {
    username: Option<String>,
}

pub async fn fetch_by_email(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(
        async {
            let q: ByEmail = input::query(&req)?;
            users::fetch(&s, Lookup::Email(q.email.as_deref().unwrap_or_default()), input::include_orgs(&req)?).await
        }
        .await,
    )
}

pub async fn fetch_by_username(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(
        async {
            let q: ByUsername = input::query(&req)?;
            users::fetch(&s, Lookup::Username(q.username.as_deref().unwrap_or_default()), input::include_orgs(&req)?).await
        }
        .await,
    )
}

pub async fn signup_query_parameters(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    json(users::signup_query_parameters(&s, &id).await)
}

#[derive(Deserialize)]
struct Batch {
    user_ids: Option<Vec<String>>,
    emails: Option<Vec<String>>,
    usernames: Option<Vec<String>>,
}

async fn batch(s: &AppState, req: &HttpRequest, body: &Bytes, field: &str) -> Result<serde_json::Value, crate::backend_api::BackendError> {
    let b: Batch = input::body(body)?;
    let include = input::include_orgs(req)?;
    let (keys, kind) = match field {
        "user_ids" => (b.user_ids, BatchKind::Ids),
        "emails" => (b.emails, BatchKind::Emails),
        _ => (b.usernames, BatchKind::Usernames),
    };
    let keys = keys.ok_or_else(|| crate::backend_api::BackendError::field(field, "required"))?;
    users::fetch_batch(s, &keys, kind, include).await
}

pub async fn batch_by_ids(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    json(batch(&s, &req, &body, "user_ids").await)
}

pub async fn batch_by_emails(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    json(batch(&s, &req, &body, "emails").await)
}

pub async fn batch_by_usernames(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    json(batch(&s, &req, &body, "usernames").await)
}

pub async fn query(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { users::query(&s, input::query(&req)?).await }.await)
}

pub async fn create(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { users::create(&s, input::body(&body)?).await }.await)
}

pub async fn update(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, body: Bytes) -> HttpResponse {
    done(async { users::update(&s, &id, input::body(&body)?).await }.await)
}

pub async fn update_email(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, body: Bytes) -> HttpResponse {
    done(async { users::update_email(&s, &id, input::body(&body)?).await }.await)
}

pub async fn update_password(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, body: Bytes) -> HttpResponse {
    done(async { users::update_password(&s, &id, input::body(&body)?).await }.await)
}

pub async fn clear_password(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::clear_password(&s, &id).await)
}

pub async fn delete(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::delete(&s, &id).await)
}

pub async fn disable(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::set_enabled(&s, &id, false).await)
}

pub async fn enable(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::set_enabled(&s, &id, true).await)
}

pub async fn disable_2fa(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::disable_2fa(&s, &id).await)
}

pub async fn mfa_methods(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    json(users::mfa_methods(&s, &id).await)
}

pub async fn can_create_orgs_enable(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::set_can_create_orgs(&s, &id, true).await)
}

pub async fn can_create_orgs_disable(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::set_can_create_orgs(&s, &id, false).await)
}

pub async fn logout_all_sessions(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(users::logout_all(&s, &id).await)
}

pub async fn resend_email_confirmation(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { users::resend_email_confirmation(&s, input::body(&body)?).await }.await)
}

pub async fn migrate(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { users::migrate(&s, input::body(&body)?).await }.await)
}

pub async fn migrate_password(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { users::migrate_password(&s, input::body(&body)?).await }.await)
}

//! §7.5 end-user API key routes.

use super::guard::IntegrationKey;
use super::{done, input, json};
use crate::backend_api::end_user_keys as keys;
use crate::state::AppState;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

pub async fn fetch(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    json(keys::fetch(&s, &id).await)
}

pub async fn list_current(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { keys::list(&s, input::query(&req)?, false).await }.await)
}

pub async fn list_archived(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { keys::list(&s, input::query(&req)?, true).await }.await)
}

pub async fn create(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { keys::create(&s, input::body(&body)?).await }.await)
}

pub async fn import(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { keys::import(&s, input::body(&body)?).await }.await)
}

pub async fn update(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, body: Bytes) -> HttpResponse {
    done(async { keys::update(&s, &id, input::body(&body)?).await }.await)
}

pub async fn delete(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(keys::delete(&s, &id).await)
}

pub async fn validate(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { keys::validate(&s, input::body(&body)?, false).await }.await)
}

pub async fn validate_imported(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { keys::validate(&s, input::body(&body)?, true).await }.await)
}

pub async fn usage(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { keys::usage(&s, input::query(&req)?).await }.await)
}

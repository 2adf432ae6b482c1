//! §7.2 organization routes, and the two §7.1 invite routes.

use super::guard::IntegrationKey;
use super::{done, input, json};
use crate::backend_api::orgs;
use crate::state::AppState;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse};

pub async fn fetch(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    json(orgs::fetch(&s, &id).await)
}

pub async fn query(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { orgs::query(&s, input::query(&req)?).await }.await)
}

pub async fn create(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    json(async { orgs::create(&s, input::body(&body)?).await }.await)
}

pub async fn update(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, body: Bytes) -> HttpResponse {
    done(async { orgs::update(&s, &id, input::body(&body)?).await }.await)
}

pub async fn delete(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(orgs::delete(&s, &id).await)
}

pub async fn allow_saml(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(orgs::set_can_setup_saml(&s, &id, true).await)
}

pub async fn disallow_saml(_k: IntegrationKey, s: Data<AppState>, id: Path<String>) -> HttpResponse {
    done(orgs::set_can_setup_saml(&s, &id, false).await)
}

pub async fn add_user(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { orgs::add_user(&s, input::body(&body)?).await }.await)
}

pub async fn remove_user(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { orgs::remove_user(&s, input::body(&body)?).await }.await)
}

pub async fn change_role(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { orgs::change_role(&s, input::body(&body)?).await }.await)
}

pub async fn invite(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { orgs::invite(&s, input::body(&body)?).await }.await)
}

pub async fn pending_invites(_k: IntegrationKey, s: Data<AppState>, req: HttpRequest) -> HttpResponse {
    json(async { orgs::pending_invites(&s, input::query(&req)?).await }.await)
}

pub async fn revoke_invite(_k: IntegrationKey, s: Data<AppState>, body: Bytes) -> HttpResponse {
    done(async { orgs::revoke_invite(&s, input::body(&body)?).await }.await)
}

pub async fn custom_role_mappings(_k: IntegrationKey, s: Data<AppState>) -> HttpResponse {
    json(orgs::custom_role_mappings(&s).await)
}

pub async fn users_in_org(_k: IntegrationKey, s: Data<AppState>, id: Path<String>, req: HttpRequest) -> HttpResponse {
    json(async { orgs::users_in_org(&s, &id, input::query(&req)?).await }.await)
}

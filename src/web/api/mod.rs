//! The backend API (`/api/v1/token_verification_metadata` and `/api/backend/v1/...`), wire
//! compatible with the PropelAuth SDKs. Every handler takes an `IntegrationKey`; the whole
//! route table is `table()`, which `configure` registers and the OpenAPI test reads.

pub(crate) mod error;
mod guard;
mod input;
mod keys;
mod misc;
pub mod openapi;
mod orgs;
mod users;

use crate::backend_api::BackendError;
use actix_web::dev::ServiceResponse;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, Route, web};
use serde_json::Value;

pub const BACKEND_PREFIX: &str = "/api/backend/v1";
pub const TOKEN_METADATA_PATH: &str = "/api/v1/token_verification_metadata";

/// A successful call's JSON, or the error rendered for the SDKs.
fn json(r: Result<Value, BackendError>) -> HttpResponse {
    match r {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => error::respond(&e),
    }
}

/// A mutation's `{}` (the SDKs ignore the body, but some call `.json()` on it).
fn done(r: Result<(), BackendError>) -> HttpResponse {
    json(r.map(|()| serde_json::json!({})))
}

pub struct Endpoint {
    pub method: Method,
    /// Relative to `BACKEND_PREFIX`.
    pub path: &'static str,
    route: Route,
}

fn ep<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint { route: web::route().method(method.clone()).to(handler), method, path }
}

/// Every backend route, literal segments before `{id}` segments (first match wins).
pub fn table() -> Vec<Endpoint> {
    use Method as M;
    vec![
        // §7.1 users: literals first.
        ep(M::GET, "/user/email", users::fetch_by_email),
        ep(M::GET, "/user/username", users::fetch_by_username),
        ep(M::GET, "/user/query", users::query),
        ep(M::GET, "/user/org/{org_id}", orgs::users_in_org),
        ep(M::POST, "/user/user_ids", users::batch_by_ids),
        ep(M::POST, "/user/emails", users::batch_by_emails),
        ep(M::POST, "/user/usernames", users::batch_by_usernames),
        ep(M::POST, "/user/", users::create),
        ep(M::GET, "/user/{user_id}", users::fetch_by_id),
        ep(M::PUT, "/user/{user_id}", users::update),
        ep(M::DELETE, "/user/{user_id}", users::delete),
        ep(M::GET, "/user/{user_id}/signup_query_parameters", users::signup_query_parameters),
        ep(M::GET, "/user/{user_id}/mfa", users::mfa_methods),
        ep(M::GET, "/user/{user_id}/oauth_token", misc::social_tokens),
        ep(M::PUT, "/user/{user_id}/email", users::update_email),
        ep(M::PUT, "/user/{user_id}/password", users::update_password),
        ep(M::PUT, "/user/{user_id}/clear_password", users::clear_password),
        ep(M::POST, "/user/{user_id}/disable", users::disable),
        ep(M::POST, "/user/{user_id}/enable", users::enable),
        ep(M::POST, "/user/{user_id}/disable_2fa", users::disable_2fa),
        ep(M::POST, "/user/{user_id}/logout_all_sessions", users::logout_all_sessions),
        ep(M::PUT, "/user/{user_id}/can_create_orgs/enable", users::can_create_orgs_enable),
        ep(M::PUT, "/user/{user_id}/can_create_orgs/disable", users::can_create_orgs_disable),
        ep(M::GET, "/user/{user_id}/{provider}/fresh_token", misc::social_tokens),
        ep(M::POST, "/resend_email_confirmation", users::resend_email_confirmation),
        ep(M::POST, "/invite_user", orgs::invite),
        ep(M::POST, "/invite_user_by_id", orgs::invite),
        // §7.2 organizations.
        ep(M::GET, "/org/query", orgs::query),
        ep(M::POST, "/org/", orgs::create),
        ep(M::POST, "/org/add_user", orgs::add_user),
        ep(M::POST, "/org/remove_user", orgs::remove_user),
        ep(M::POST, "/org/change_role", orgs::change_role),
        ep(M::GET, "/org/{org_id}", orgs::fetch),
        ep(M::PUT, "/org/{org_id}", orgs::update),
        ep(M::DELETE, "/org/{org_id}", orgs::delete),
        ep(M::POST, "/org/{org_id}/allow_saml", orgs::allow_saml),
        ep(M::POST, "/org/{org_id}/disallow_saml", orgs::disallow_saml),
        ep(M::POST, "/org/{org_id}/create_saml_connection_link", misc::saml),
        ep(M::GET, "/custom_role_mappings", orgs::custom_role_mappings),
        ep(M::GET, "/pending_org_invites", orgs::pending_invites),
        ep(M::DELETE, "/pending_org_invites", orgs::revoke_invite),
        ep(M::GET, "/saml_sp_metadata/{org_id}", misc::saml),
        ep(M::POST, "/saml_idp_metadata", misc::saml),
        ep(M::POST, "/saml_idp_metadata/go_live/{org_id}", misc::saml),
        ep(M::DELETE, "/saml_idp_metadata/{org_id}", misc::saml),
        ep(M::POST, "/oidc_idp_metadata", misc::saml),
        // §7.3 magic links, access tokens, migration.
        ep(M::POST, "/magic_link", misc::create_magic_link),
        ep(M::POST, "/access_token", misc::create_access_token),
        ep(M::POST, "/migrate_user/", users::migrate),
        ep(M::POST, "/migrate_user/password", users::migrate_password),
        // §7.4 employees and SCIM.
        ep(M::GET, "/employee/{employee_id}", misc::employees),
        ep(M::GET, "/scim/{org_id}/groups", misc::scim),
        ep(M::GET, "/scim/{org_id}/groups/{group_id}", misc::scim),
        // §7.5 end-user API keys: literals first.
        ep(M::GET, "/end_user_api_keys/archived", keys::list_archived),
        ep(M::GET, "/end_user_api_keys/usage", keys::usage),
        ep(M::POST, "/end_user_api_keys/validate", keys::validate),
        ep(M::POST, "/end_user_api_keys/validate_imported", keys::validate_imported),
        ep(M::POST, "/end_user_api_keys/import", keys::import),
        ep(M::GET, "/end_user_api_keys", keys::list_current),
        ep(M::POST, "/end_user_api_keys", keys::create),
        ep(M::GET, "/end_user_api_keys/{api_key_id}", keys::fetch),
        ep(M::PATCH, "/end_user_api_keys/{api_key_id}", keys::update),
        ep(M::DELETE, "/end_user_api_keys/{api_key_id}", keys::delete),
        // §7.6 step-up MFA, §7.7 user insights.
        ep(M::POST, "/mfa/step-up/verify-totp", misc::step_up_mfa),
        ep(M::POST, "/mfa/step-up/verify-grant", misc::step_up_mfa),
        ep(M::POST, "/mfa/step-up/phone/send", misc::step_up_mfa),
        ep(M::POST, "/mfa/step-up/phone/verify", misc::step_up_mfa),
        ep(M::GET, "/user_report/{report}", misc::user_insights),
        ep(M::GET, "/org_report/{report}", misc::user_insights),
        ep(M::GET, "/chart_metrics/{metric}", misc::user_insights),
    ]
}

/// Every (method, full path) the router serves: the backend table plus the metadata route.
pub fn routes() -> Vec<(Method, String)> {
    let mut v = vec![(Method::GET, TOKEN_METADATA_PATH.to_string())];
    v.extend(table().into_iter().map(|e| (e.method, format!("{BACKEND_PREFIX}{}", e.path))));
    v.push((Method::GET, openapi::OPENAPI_PATH.to_string()));
    v
}

/// The largest backend API request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn body_too_large<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (req, _) = res.into_parts();
    let message = format!("the request body is larger than {MAX_BODY_BYTES} bytes");
    let res = HttpResponse::PayloadTooLarge().json(serde_json::json!({ "error_code": "payload_too_large", "user_facing_error": message }));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, res).map_into_right_body()))
}

async fn method_not_allowed(_k: guard::IntegrationKey, allow: String) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((actix_web::http::header::ALLOW, allow))
        .json(serde_json::json!({ "error_code": "method_not_allowed", "user_facing_error": "Method not allowed on this route" }))
}

/// A 405 handler naming the methods the path does serve (RFC 9110 §15.5.6).
fn not_allowed(methods: &[Method]) -> Route {
    let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
    web::to(move |k: guard::IntegrationKey| method_not_allowed(k, allow.clone()))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(TOKEN_METADATA_PATH)
            .route(web::get().to(misc::token_verification_metadata))
            .default_service(not_allowed(&[Method::GET])),
    );
    cfg.service(web::resource(openapi::OPENAPI_PATH).route(web::get().to(openapi::serve)).default_service(not_allowed(&[Method::GET])));
    // One resource per path, in the table's order, holding every method of that path. Batch
    // calls (500 emails) and large metadata outgrow the pages' 64 KiB body limit; an oversized
    // body still gets a JSON answer, as every backend API error does.
    let mut scope = web::scope(BACKEND_PREFIX)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .wrap(ErrorHandlers::new().handler(StatusCode::PAYLOAD_TOO_LARGE, body_too_large));
    let mut resources: Vec<(&'static str, Resource, Vec<Method>)> = Vec::new();
    for e in table() {
        match resources.iter_mut().find(|(p, _, _)| *p == e.path) {
            Some((_, r, methods)) => {
                let taken = std::mem::replace(r, web::resource(e.path));
                *r = taken.route(e.route);
                methods.push(e.method);
            }
            None => resources.push((e.path, web::resource(e.path).route(e.route), vec![e.method])),
        }
    }
    for (_, r, methods) in resources {
        scope = scope.service(r.default_service(not_allowed(&methods)));
    }
    cfg.service(scope.default_service(web::to(misc::unknown_route)));
}

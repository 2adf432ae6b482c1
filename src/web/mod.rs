//! The only module that knows actix-web. Handlers extract input, call one service
//! function and render the result. Every route is listed in `configure`.

mod cookies;
mod csrf;
mod error;
mod forms;
mod health;
mod metrics;
mod oidc;
mod pages;
mod render;
mod security_headers;
mod static_files;

pub use metrics::Metrics;

use actix_web::web;

/// The whole route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::oidc::discovery as paths;
    cfg.route("/.well-known/openid-configuration", web::get().to(oidc::discovery))
        .route(paths::JWKS_PATH, web::get().to(oidc::jwks))
        .route(paths::AUTHORIZE_PATH, web::get().to(oidc::authorize_get))
        .route(paths::AUTHORIZE_PATH, web::post().to(oidc::authorize_post))
        .route("/oauth2/authorize/resume", web::get().to(oidc::authorize_resume))
        .route("/oauth2/consent", web::post().to(oidc::consent))
        .route(paths::TOKEN_PATH, web::post().to(oidc::token))
        .route(paths::USERINFO_PATH, web::get().to(oidc::userinfo))
        .route(paths::USERINFO_PATH, web::post().to(oidc::userinfo))
        .route(paths::REVOKE_PATH, web::post().to(oidc::revoke))
        .route(paths::INTROSPECT_PATH, web::post().to(oidc::introspect))
        .route(paths::END_SESSION_PATH, web::get().to(oidc::end_session))
        .route(paths::END_SESSION_PATH, web::post().to(oidc::end_session))
        .route("/", web::get().to(pages::home))
        .route("/login", web::get().to(pages::login_form))
        .route("/login", web::post().to(pages::login_submit))
        .route("/logout", web::get().to(pages::logout_form))
        .route("/logout", web::post().to(pages::logout_submit))
        .route("/setup", web::get().to(pages::setup_form))
        .route("/setup", web::post().to(pages::setup_submit))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/static/{path:.*}", web::get().to(static_files::serve))
        .default_service(web::to(pages::not_found));
}

pub use security_headers::apply as security_headers;
pub use pages::announce_setup_link as setup_link;

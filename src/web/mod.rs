//! The only module that knows actix-web. Handlers extract input, call one service
//! function and render the result. Every route is listed in `configure`.

pub mod admin;
pub mod api;
mod body_deadline;
mod cookies;
mod csrf;
mod error;
mod forms;
mod gate;
mod health;
mod metrics;
mod nul_guard;
mod oidc;
mod outage;
mod pages;
mod render;
mod security_headers;
mod static_files;

pub use body_deadline::guard as body_deadline;
pub use gate::RECENT_AUTH_SECONDS;
pub use metrics::Metrics;
pub use nul_guard::guard as nul_guard;
pub use outage::guard as outage_guard;

use actix_web::web;

/// The most a request body may hold (forms and raw payloads alike); `web::nul_guard` reads
/// form bodies up to it and leaves larger ones to the extractors' 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The whole route table.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::oidc::discovery as paths;
    use web::{get, post, resource};
    let not_allowed = |allow: &'static str| web::to(move || health::method_not_allowed(allow));
    // OAuth endpoints answer an oversized body as OAuth JSON too.
    let oauth_limits =
        || actix_web::middleware::ErrorHandlers::new().handler(actix_web::http::StatusCode::PAYLOAD_TOO_LARGE, error::oauth_body_too_large);
    api::configure(cfg);
    admin::configure(cfg);
    cfg.service(resource("/.well-known/openid-configuration").route(get().to(oidc::discovery)).default_service(not_allowed("GET")))
        .service(resource(paths::JWKS_PATH).route(get().to(oidc::jwks)).default_service(not_allowed("GET")))
        .service(
            resource(paths::AUTHORIZE_PATH)
                .route(get().to(oidc::authorize_get))
                .route(post().to(oidc::authorize_post))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/oauth2/authorize/resume").route(get().to(oidc::authorize_resume)).default_service(not_allowed("GET")))
        .service(resource("/oauth2/consent").route(post().to(oidc::consent)).default_service(not_allowed("POST")))
        .service(resource(paths::TOKEN_PATH).wrap(oauth_limits()).route(post().to(oidc::token)).default_service(not_allowed("POST")))
        .service(
            resource(paths::USERINFO_PATH)
                .wrap(oauth_limits())
                .route(get().to(oidc::userinfo))
                .route(post().to(oidc::userinfo))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource(paths::REVOKE_PATH).wrap(oauth_limits()).route(post().to(oidc::revoke)).default_service(not_allowed("POST")))
        .service(
            resource(paths::INTROSPECT_PATH).wrap(oauth_limits()).route(post().to(oidc::introspect)).default_service(not_allowed("POST")),
        )
        .service(
            resource(paths::END_SESSION_PATH)
                .route(get().to(oidc::end_session))
                .route(post().to(oidc::end_session))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/").route(get().to(pages::home)).default_service(not_allowed("GET")))
        .service(
            resource("/login")
                .route(get().to(pages::login_form))
                .route(post().to(pages::login_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/logout")
                .route(get().to(pages::logout_form))
                .route(post().to(pages::logout_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/theme.css").route(get().to(pages::theme_css)).default_service(not_allowed("GET")))
        .service(
            resource("/signup")
                .route(get().to(pages::signup_form))
                .route(post().to(pages::signup_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/verify-email").route(get().to(pages::verify_email)).default_service(not_allowed("GET")))
        .service(
            resource("/forgot-password")
                .route(get().to(pages::forgot_form))
                .route(post().to(pages::forgot_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/reset-password")
                .route(get().to(pages::reset_form))
                .route(post().to(pages::reset_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/login/magic-link")
                .route(get().to(pages::magic_link_request_form))
                .route(post().to(pages::magic_link_request_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource(crate::auth::magic_link::PATH)
                .route(get().to(pages::magic_link_open))
                .route(post().to(pages::magic_link_continue))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/login/mfa")
                .route(get().to(pages::mfa_challenge_form))
                .route(post().to(pages::mfa_challenge_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/login/mfa/enrol")
                .route(get().to(pages::mfa_enrol_form))
                .route(post().to(pages::mfa_enrol_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/account")
                .route(get().to(pages::profile))
                .route(post().to(pages::profile_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/account/email")
                .route(get().to(pages::email_page))
                .route(post().to(pages::email_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/account/email/confirm").route(get().to(pages::email_confirm)).default_service(not_allowed("GET")))
        .service(
            resource("/account/password")
                .route(get().to(pages::password_page))
                .route(post().to(pages::password_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/account/mfa").route(get().to(pages::mfa_page)).default_service(not_allowed("GET")))
        .service(resource("/account/mfa/start").route(post().to(pages::mfa_start)).default_service(not_allowed("POST")))
        .service(resource("/account/mfa/confirm").route(post().to(pages::mfa_confirm)).default_service(not_allowed("POST")))
        .service(resource("/account/mfa/disable").route(post().to(pages::mfa_disable)).default_service(not_allowed("POST")))
        .service(resource("/account/sessions").route(get().to(pages::sessions_page)).default_service(not_allowed("GET")))
        .service(resource("/account/sessions/revoke").route(post().to(pages::revoke_session)).default_service(not_allowed("POST")))
        .service(resource("/account/sessions/revoke-others").route(post().to(pages::revoke_others)).default_service(not_allowed("POST")))
        .service(
            resource("/reauth")
                .route(get().to(pages::reauth::form))
                .route(post().to(pages::reauth::submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/setup")
                .route(get().to(pages::setup_form))
                .route(post().to(pages::setup_submit))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/orgs")
                .route(get().to(pages::orgs::list))
                .route(post().to(pages::orgs::create))
                .default_service(not_allowed("GET, POST")),
        )
        .service(
            resource("/orgs/invites/accept")
                .route(get().to(pages::orgs::accept_form))
                .route(post().to(pages::orgs::accept))
                .default_service(not_allowed("GET, POST")),
        )
        .service(resource("/orgs/{org_id}").route(get().to(pages::orgs::show)).default_service(not_allowed("GET")))
        .service(resource("/orgs/{org_id}/join").route(post().to(pages::orgs::join)).default_service(not_allowed("POST")))
        .service(resource("/orgs/{org_id}/invite").route(post().to(pages::orgs::invite)).default_service(not_allowed("POST")))
        .service(
            resource("/orgs/{org_id}/invites/revoke").route(post().to(pages::orgs::revoke_invite)).default_service(not_allowed("POST")),
        )
        .service(resource("/orgs/{org_id}/settings").route(post().to(pages::orgs::settings)).default_service(not_allowed("POST")))
        .service(resource("/orgs/{org_id}/leave").route(post().to(pages::orgs::leave)).default_service(not_allowed("POST")))
        .service(
            resource("/orgs/{org_id}/members/{user_id}/role")
                .route(post().to(pages::orgs::change_role))
                .default_service(not_allowed("POST")),
        )
        .service(
            resource("/orgs/{org_id}/members/{user_id}/remove").route(post().to(pages::orgs::remove)).default_service(not_allowed("POST")),
        )
        .service(resource("/healthz").route(get().to(health::healthz)).default_service(not_allowed("GET")))
        .service(resource("/readyz").route(get().to(health::readyz)).default_service(not_allowed("GET")))
        .service(resource("/metrics").route(get().to(health::metrics)).default_service(not_allowed("GET")))
        .service(resource("/favicon.ico").route(get().to(static_files::favicon)).default_service(not_allowed("GET")))
        .service(resource("/static/{path:.*}").route(get().to(static_files::serve)).default_service(not_allowed("GET")))
        .default_service(web::to(pages::not_found));
}

pub use pages::announce_setup_link as setup_link;
pub use render::brand_pages;
pub use security_headers::apply as security_headers;

//! The admin dashboard under `/admin`: pages for instance admins. Every handler takes an
//! `Admin` or `RecentAdmin` gate (and POSTs a `CsrfForm`), calls one service shared with the
//! CLI, and renders. The route table below is also the list the tests walk, so a route
//! cannot be added without being checked for its gate.

mod clients;
mod overview;
// admconf
mod api_keys;
mod audit;
mod look;
mod roles;
mod settings;
mod signing_keys;
mod view;
// --- admusers ---
mod orgs;
mod users;

pub use view::{Chrome, Flash};

use actix_web::web;

/// Declares every admin route once: registers it (with `405` + `Allow` for other methods)
/// and lists it in `ROUTES` as `(method, path)`.
macro_rules! admin_routes {
    ($($path:literal => { $($method:ident $handler:path),+ $(,)? }),+ $(,)?) => {
        /// Every admin route as `(method, path pattern)`, straight from the route table.
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];

        pub fn configure(cfg: &mut web::ServiceConfig) {
            $(
                {
                    const ALLOW: &str = admin_routes!(@allow $($method),+);
                    cfg.service(
                        web::resource($path)
                            $(.route(web::$method().to($handler)))+
                            .default_service(web::to(|| super::health::method_not_allowed(ALLOW))),
                    );
                }
            )+
        }
    };
    (@allow $first:ident $(, $rest:ident)*) => { concat!(admin_routes!(@upper $first) $(, ", ", admin_routes!(@upper $rest))*) };
    (@upper get) => { "GET" };
    (@upper post) => { "POST" };
}

admin_routes! {
    "/admin" => { get overview::page },
    // admin/clients (keep "new" before "{client_id}")
    "/admin/clients" => { get clients::list },
    "/admin/clients/new" => { get clients::new_form, post clients::create },
    "/admin/clients/{client_id}" => { get clients::show, post clients::update },
    "/admin/clients/{client_id}/rotate" => { post clients::rotate },
    "/admin/clients/{client_id}/disable" => { post clients::disable },
    "/admin/clients/{client_id}/enable" => { post clients::enable },
    "/admin/clients/{client_id}/delete" => { post clients::delete },
    // end admin/clients
    // --- admusers: users and orgs ---
    "/admin/users" => { get users::list },
    "/admin/users/new" => { get users::new_page, post users::create },
    "/admin/users/{user_id}" => { get users::page },
    "/admin/users/{user_id}/edit" => { post users::edit },
    "/admin/users/{user_id}/verify-email" => { post users::verify_email },
    "/admin/users/{user_id}/disable" => { post users::disable },
    "/admin/users/{user_id}/enable" => { post users::enable },
    "/admin/users/{user_id}/delete" => { post users::delete },
    "/admin/users/{user_id}/unlock" => { post users::unlock },
    "/admin/users/{user_id}/reset-mfa" => { post users::reset_mfa },
    "/admin/users/{user_id}/send-password-reset" => { post users::send_reset },
    "/admin/users/{user_id}/send-magic-link" => { post users::send_link },
    "/admin/users/{user_id}/sign-out" => { post users::sign_out },
    "/admin/users/{user_id}/admin" => { post users::set_admin },
    "/admin/orgs" => { get orgs::list },
    "/admin/orgs/new" => { get orgs::new_page, post orgs::create },
    "/admin/orgs/{org_id}" => { get orgs::page },
    "/admin/orgs/{org_id}/edit" => { post orgs::edit },
    "/admin/orgs/{org_id}/delete" => { post orgs::delete },
    "/admin/orgs/{org_id}/add-member" => { post orgs::add_member },
    "/admin/orgs/{org_id}/role" => { post orgs::change_role },
    "/admin/orgs/{org_id}/remove-member" => { post orgs::remove_member },
    "/admin/orgs/{org_id}/invite" => { post orgs::invite },
    "/admin/orgs/{org_id}/revoke-invite" => { post orgs::revoke_invite },
    // --- end admusers ---
    // admconf: roles, API keys, Look & Feel, signing keys, settings, audit log
    "/admin/roles" => { get roles::page },
    "/admin/roles/edit" => { post roles::edit },
    "/admin/roles/save" => { post roles::save },
    "/admin/api-keys" => { get api_keys::page },
    "/admin/api-keys/create" => { post api_keys::create },
    "/admin/api-keys/{key_id}/revoke" => { post api_keys::revoke },
    "/admin/api-keys/end-user/{key_id}/revoke" => { post api_keys::revoke_end_user },
    "/admin/look-and-feel" => { get look::page },
    "/admin/look-and-feel/save" => { post look::save },
    "/admin/look-and-feel/preview/login" => { get look::preview_login },
    "/admin/look-and-feel/preview/account" => { get look::preview_account },
    "/admin/look-and-feel/preview/theme.css" => { get look::preview_theme },
    "/admin/keys" => { get signing_keys::page },
    "/admin/keys/rotate" => { post signing_keys::rotate },
    "/admin/settings" => { get settings::page },
    "/admin/settings/save" => { post settings::save },
    "/admin/audit" => { get audit::page },
    "/admin/audit.csv" => { get audit::csv },
    // end admconf
}

//! The admin dashboard under `/admin`: pages for instance admins. Every handler takes an
//! `Admin` or `RecentAdmin` gate (and POSTs a `CsrfForm`), calls one service shared with the
//! CLI, and renders. The route table below is also the list the tests walk, so a route
//! cannot be added without being checked for its gate.

mod overview;
// admconf
mod api_keys;
mod audit;
mod look;
mod roles;
mod settings;
mod signing_keys;
mod view;

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

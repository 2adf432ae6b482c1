//! The admin dashboard under `/admin`: pages for instance admins. Every handler takes an
//! `Admin` or `RecentAdmin` gate (and POSTs a `CsrfForm`), calls one service shared with the
//! CLI, and renders. The route table below is also the list the tests walk, so a route
//! cannot be added without being checked for its gate.

mod clients;
mod overview;
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
    // admin/clients (keep "new" before "{client_id}")
    "/admin/clients" => { get clients::list },
    "/admin/clients/new" => { get clients::new_form, post clients::create },
    "/admin/clients/{client_id}" => { get clients::show, post clients::update },
    "/admin/clients/{client_id}/rotate" => { post clients::rotate },
    "/admin/clients/{client_id}/disable" => { post clients::disable },
    "/admin/clients/{client_id}/enable" => { post clients::enable },
    "/admin/clients/{client_id}/delete" => { post clients::delete },
    // end admin/clients
}

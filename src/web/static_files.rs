//! Assets compiled into the binary: no CDN, no files to deploy next to it.

use actix_web::{HttpRequest, HttpResponse, http::header};

const FILES: &[(&str, &str, &str)] = &[
    ("css/app.css", "text/css; charset=utf-8", include_str!("../../static/css/app.css")),
    ("css/admin.css", "text/css; charset=utf-8", include_str!("../../static/css/admin.css")),
    ("js/admin.js", "text/javascript; charset=utf-8", include_str!("../../static/js/admin.js")),
    ("js/admin-look.js", "text/javascript; charset=utf-8", include_str!("../../static/js/admin-look.js")), // admconf
    ("js/form_post.js", "text/javascript; charset=utf-8", include_str!("../../static/js/form_post.js")),
    ("js/password_hint.js", "text/javascript; charset=utf-8", include_str!("../../static/js/password_hint.js")),
    ("js/recovery_codes.js", "text/javascript; charset=utf-8", include_str!("../../static/js/recovery_codes.js")),
    ("img/avatar.svg", "image/svg+xml", include_str!("../../static/img/avatar.svg")),
    ("img/favicon.svg", "image/svg+xml", include_str!("../../static/img/favicon.svg")),
];

/// Browsers ask for /favicon.ico whatever the page says.
pub async fn favicon() -> HttpResponse {
    respond("img/favicon.svg")
}

pub async fn serve(req: HttpRequest) -> HttpResponse {
    respond(req.match_info().get("path").unwrap_or(""))
}

fn respond(path: &str) -> HttpResponse {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, mime, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *mime))
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*body),
        None => HttpResponse::NotFound().content_type("text/plain").body("not found"),
    }
}

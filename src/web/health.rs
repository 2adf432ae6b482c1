use super::Metrics;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready when the database answers; an outage is reported within a second.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let up = !state.store.is_down()
        && matches!(tokio::time::timeout(std::time::Duration::from_millis(900), state.store.ping()).await, Ok(Ok(())));
    if up {
        return HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "database": state.store.backend_name() }));
    }
    tracing::warn!("readiness check failed: the database is unreachable");
    HttpResponse::ServiceUnavailable()
        .insert_header((actix_web::http::header::RETRY_AFTER, super::outage::RETRY_AFTER))
        .json(serde_json::json!({ "status": "unavailable", "database": state.store.backend_name() }))
}

/// Prometheus metrics, for the allowed addresses or the bearer token only (404 otherwise, as
/// if there were nothing here).
pub async fn metrics(req: actix_web::HttpRequest, metrics: web::Data<Metrics>, state: web::Data<crate::state::AppState>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let bearer = header("authorization").and_then(|v| v.strip_prefix("Bearer "));
    let forwarded = header("x-forwarded-for").is_some() || header("forwarded").is_some();
    let peer = req.peer_addr().map(|a| a.ip());
    if !super::metrics::metrics_allowed(&state.settings, peer, header("x-forwarded-for"), forwarded, bearer) {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found\n");
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics.render())
}

/// Any route hit with a method it does not serve; `Allow` lists the ones it does (RFC 9110 §15.5.6).
pub async fn method_not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((actix_web::http::header::ALLOW, allow))
        .json(serde_json::json!({ "error": "invalid_request", "error_description": "method not allowed on this endpoint" }))
}

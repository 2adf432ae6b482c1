//! `/admin/audit` and `/admin/audit.csv`: the audit log with filters in the query string
//! (actor, action, target, from, to), newest first, keyset-paged; the CSV has the same filters.

use super::super::gate::Admin;
use super::view::{self, Chrome, Flash};
use crate::admin::audit_log::{self, AuditQuery, AuditQueryError, Entry};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    f_actor: String,
    f_action: String,
    f_target: String,
    f_from: String,
    f_to: String,
    entries: Vec<EntryView>,
    next_href: Option<String>,
    first_href: Option<String>,
    csv_href: String,
}

struct EntryView {
    when: String,
    e: Entry,
    detail: String,
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn problem(e: &AuditQueryError) -> Option<String> {
    match e {
        AuditQueryError::BadDate { .. } | AuditQueryError::BadCursor | AuditQueryError::EmptyRange => Some(e.to_string()),
        AuditQueryError::Store(_) => None,
    }
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<AuditQuery>) -> HttpResponse {
    let q = q.into_inner();
    let filters = q.query_string();
    let (entries, next, flash, status) = match audit_log::search(&state.store, &q, audit_log::PAGE).await {
        Ok(p) => (p.entries, p.next, None, StatusCode::OK),
        Err(e) => match problem(&e) {
            Some(msg) => (Vec::new(), None, Some(Flash::error(msg)), StatusCode::BAD_REQUEST),
            None => return view::failed(&e),
        },
    };
    let sep = if filters.is_empty() { "" } else { "&" };
    let p = AuditPage {
        chrome: Chrome::new(&req, &state, &admin, "audit").with_flash(flash),
        next_href: next.map(|n| format!("/admin/audit?{filters}{sep}{}", serde_urlencoded::to_string([("before", n)]).unwrap_or_default())),
        first_href: q.before.as_deref().filter(|b| !b.is_empty()).map(|_| format!("/admin/audit?{filters}")),
        csv_href: if filters.is_empty() { "/admin/audit.csv".into() } else { format!("/admin/audit.csv?{filters}") },
        entries: entries.into_iter().map(|e| EntryView { when: view::when(e.at), detail: detail_text(&e.detail), e }).collect(),
        f_actor: text(&q.actor),
        f_action: text(&q.action),
        f_target: text(&q.target),
        f_from: text(&q.from),
        f_to: text(&q.to),
    };
    p.chrome.render(status, &p)
}

/// The detail object as `key: value` pairs on one line.
fn detail_text(detail: &serde_json::Value) -> String {
    match detail {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub async fn csv(state: web::Data<AppState>, _admin: Admin, q: web::Query<AuditQuery>) -> HttpResponse {
    match audit_log::csv(&state.store, &q).await {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\""))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => match problem(&e) {
            Some(msg) => HttpResponse::BadRequest().insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8")).body(msg),
            None => view::failed(&e),
        },
    }
}

//! `/admin`: counts, sign-ins per day, recent security events, and the URLs apps need.

use super::super::gate::Admin;
use super::view::{self, Chrome};
use crate::admin::{chart, overview};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    counts: crate::store::Counts,
    chart_svg: String,
    sign_ins_total: i64,
    failures_total: i64,
    events: Vec<EventView>,
    issuer: String,
    metadata_url: String,
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin) -> HttpResponse {
    let o = match overview::load(&state.store, &state.clock).await {
        Ok(o) => o,
        Err(e) => return view::failed(&e),
    };
    let events = o
        .events
        .into_iter()
        .map(|e| EventView { at: view::when(e.at), actor: e.actor, action: e.action, subject: e.subject, ip: e.ip.unwrap_or_default() })
        .collect();
    let issuer = state.settings.issuer.clone();
    let p = OverviewPage {
        chrome: Chrome::new(&req, &state, &admin, "overview"),
        counts: o.counts,
        chart_svg: chart::sign_ins(&o.days, "Sign-ins and failed sign-ins per day"),
        sign_ins_total: o.days.iter().map(|d| d.sign_ins).sum(),
        failures_total: o.days.iter().map(|d| d.failures).sum(),
        events,
        metadata_url: format!("{issuer}/.well-known/openid-configuration"),
        issuer,
    };
    p.chrome.render(StatusCode::OK, &p)
}

//! `/admin/keys`: the signing keys (next, current, retiring) and rotation.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::view::{self, Chrome, Flash};
use crate::keys::listing::{KeyInfo, KeyState};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyView>,
    publish_delay: i64,
}

struct KeyView {
    k: KeyInfo,
    created: String,
    state: &'static str,
    state_class: &'static str,
    note: String,
}

fn view_of(k: KeyInfo) -> KeyView {
    let (state, state_class, note) = match k.state {
        KeyState::Current => ("current", "good", "Signs every new token".to_string()),
        KeyState::Next => ("next", "", format!("Published; signs from {}", view::when(k.activates_at))),
        KeyState::Retiring => ("retiring", "bad", format!("Published until {}", k.published_until.map(view::when).unwrap_or_default())),
    };
    KeyView { created: view::when(k.created_at), state, state_class, note, k }
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<view::DoneQuery>) -> HttpResponse {
    let keys = match state.keys.list().await {
        Ok(k) => k,
        Err(e) => return view::failed(&e),
    };
    let flash = (q.done.as_deref() == Some("rotated"))
        .then(|| Flash::ok("A new signing key was created. The previous key stays published until its tokens expire."));
    let p = KeysPage {
        chrome: Chrome::new(&req, &state, &admin, "keys").with_flash(flash),
        keys: keys.into_iter().map(view_of).collect(),
        publish_delay: state.settings.key_publish_delay,
    };
    p.chrome.render(StatusCode::OK, &p)
}

#[derive(Deserialize)]
pub struct RotateForm {}

pub async fn rotate(state: web::Data<AppState>, admin: RecentAdmin, _form: CsrfForm<RotateForm>) -> HttpResponse {
    match state.keys.rotate_recorded(admin.event("signing_key.rotated", "")).await {
        Ok(_) => view::done("/admin/keys", "rotated"),
        Err(e) => view::failed(&e),
    }
}

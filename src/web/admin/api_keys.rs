//! `/admin/api-keys`: integration API keys (create, shown once; revoke) and end-user API keys
//! (list with their user and org; revoke).

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::view::{self, Chrome, Flash};
use crate::admin::api_keys::{self, ApiKeyError};
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
struct ApiKeysPage {
    chrome: Chrome,
    keys: Vec<KeyView>,
    end_user: Vec<EndUserView>,
    end_user_total: i64,
    prev_href: Option<String>,
    next_href: Option<String>,
    /// A key just created: `(id, plaintext)`, shown this once.
    created: Option<(String, String)>,
    name: String,
    name_error: Option<String>,
}

struct KeyView {
    id: String,
    name: String,
    created: String,
    last_used: String,
    revoked: Option<String>,
}

struct EndUserView {
    id: String,
    display_name: String,
    user: Option<(String, String)>,
    org: Option<(String, String)>,
    created: String,
    expires: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    page: Option<i64>,
}

struct Extra {
    status: StatusCode,
    flash: Option<Flash>,
    created: Option<(String, String)>,
    name: String,
    name_error: Option<String>,
    page: i64,
}

fn flash_for(done: Option<&str>) -> Option<Flash> {
    match done? {
        "revoked" => Some(Flash::ok("The API key was revoked. Calls with it are refused from now on.")),
        "end_user_revoked" => Some(Flash::ok("The end-user API key was revoked.")),
        _ => None,
    }
}

async fn render(req: &HttpRequest, state: &AppState, admin: &Admin, x: Extra) -> HttpResponse {
    let keys = match api_keys::list(&state.store).await {
        Ok(k) => k,
        Err(e) => return view::failed(&e),
    };
    let (end_user, total) = match api_keys::end_user_keys(&state.store, state.clock.now(), x.page).await {
        Ok(v) => v,
        Err(e) => return view::failed(&e),
    };
    let pages = (total + api_keys::END_USER_PAGE - 1) / api_keys::END_USER_PAGE;
    let p = ApiKeysPage {
        chrome: Chrome::new(req, state, admin, "api-keys").with_flash(x.flash),
        keys: keys
            .into_iter()
            .map(|k| KeyView {
                created: view::when(k.created_at),
                last_used: k.last_used_at.map(view::when).unwrap_or_else(|| "never".into()),
                revoked: k.revoked_at.map(view::when),
                id: k.id,
                name: k.name,
            })
            .collect(),
        end_user: end_user
            .into_iter()
            .map(|k| EndUserView {
                display_name: k.key.display_name.clone().unwrap_or_default(),
                user: k.key.user_id.clone().map(|id| (k.user_email.clone().unwrap_or_else(|| id.clone()), id)),
                org: k.key.org_id.clone().map(|id| (k.org_name.clone().unwrap_or_else(|| id.clone()), id)),
                created: view::when(k.key.created_at),
                expires: k.key.expires_at.map(view::when).unwrap_or_else(|| "never".into()),
                id: k.key.id,
            })
            .collect(),
        end_user_total: total,
        prev_href: (x.page > 0).then(|| format!("/admin/api-keys?page={}#end-user-keys", x.page - 1)),
        next_href: (x.page + 1 < pages).then(|| format!("/admin/api-keys?page={}#end-user-keys", x.page + 1)),
        created: x.created,
        name: x.name,
        name_error: x.name_error,
    };
    let mut res = p.chrome.render(x.status, &p);
    if p.created.is_some() {
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    res
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<PageQuery>) -> HttpResponse {
    let x = Extra {
        status: StatusCode::OK,
        flash: flash_for(q.done.as_deref()),
        created: None,
        name: String::new(),
        name_error: None,
        page: q.page.unwrap_or(0).clamp(0, 1_000_000),
    };
    render(&req, &state, &admin, x).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create(req: HttpRequest, state: web::Data<AppState>, admin: RecentAdmin, form: CsrfForm<CreateForm>) -> HttpResponse {
    let name = form.0.name;
    let x = match api_keys::create(&state.store, &state.clock, admin.event("api_key.created", ""), &name).await {
        Ok(k) => Extra {
            status: StatusCode::OK,
            flash: Some(Flash::ok("API key created. Copy it now: it is not shown again.")),
            created: Some((k.id.clone(), k.key.clone())),
            name: String::new(),
            name_error: None,
            page: 0,
        },
        Err(e @ ApiKeyError::BadName) => {
            Extra { status: StatusCode::UNPROCESSABLE_ENTITY, flash: None, created: None, name, name_error: Some(e.to_string()), page: 0 }
        }
        Err(e @ (ApiKeyError::NotFound | ApiKeyError::Store(_))) => return view::failed(&e),
    };
    render(&req, &state, &admin, x).await
}

#[derive(Deserialize)]
pub struct RevokeForm {}

fn revoked(result: Result<(), ApiKeyError>, key: &str) -> HttpResponse {
    match result {
        Ok(()) => view::done("/admin/api-keys", key),
        Err(ApiKeyError::NotFound) => super::super::render::error_page(
            StatusCode::NOT_FOUND,
            "No such key",
            "This API key does not exist or was already revoked.",
            None,
        ),
        Err(e @ (ApiKeyError::BadName | ApiKeyError::Store(_))) => view::failed(&e),
    }
}

pub async fn revoke(state: web::Data<AppState>, admin: Admin, path: web::Path<String>, _form: CsrfForm<RevokeForm>) -> HttpResponse {
    revoked(api_keys::revoke(&state.store, &state.clock, admin.event("api_key.revoked", ""), &path).await, "revoked")
}

pub async fn revoke_end_user(
    state: web::Data<AppState>,
    admin: Admin,
    path: web::Path<String>,
    _form: CsrfForm<RevokeForm>,
) -> HttpResponse {
    let result = api_keys::revoke_end_user_key(&state.store, &state.clock, admin.event("end_user_key.revoked", ""), &path).await;
    revoked(result, "end_user_revoked")
}

//! `/admin/roles`: a role structure (its roles in order, each with its permissions, and
//! multi-role on or off) edited in one form. Moving, adding and removing rows re-draws the
//! form without saving (`/admin/roles/edit`, no JavaScript needed); saving checks it with
//! the same rules as `gatehouse roles set` and needs a recent sign-in.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::view::{self, Chrome, Flash};
use crate::orgs::roles::{Role, RoleStructure};
use crate::orgs::{self, OrgError};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

/// The most rows one form carries.
const MAX_ROWS: usize = 200;

#[derive(Clone, Debug, Default)]
struct Row {
    name: String,
    /// The role's saved name ("" for a new role): a different `name` renames it.
    orig: String,
    permissions: String,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct RolesPage {
    chrome: Chrome,
    mapping: String,
    /// `(name, href)` of every role structure.
    mappings: Vec<(String, String)>,
    multi_role: bool,
    rows: Vec<Row>,
    last: usize,
    new_name: String,
    new_permissions: String,
    error: Option<String>,
}

struct Draft {
    mapping: String,
    multi_role: bool,
    rows: Vec<Row>,
    new_name: String,
    new_permissions: String,
}

fn permission_list(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in text.lines().map(str::trim).filter(|p| !p.is_empty()) {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    out
}

fn parse(form: &HashMap<String, String>) -> Draft {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let count = get("rows").parse::<usize>().unwrap_or(0).min(MAX_ROWS);
    let rows = (0..count)
        .filter(|i| form.contains_key(&format!("name_{i}")))
        .map(|i| Row {
            name: get(&format!("name_{i}")).trim().to_string(),
            orig: get(&format!("orig_{i}")),
            permissions: get(&format!("perms_{i}")),
        })
        .collect();
    Draft {
        mapping: Some(get("mapping")).filter(|m| !m.trim().is_empty()).unwrap_or_else(|| orgs::DEFAULT_MAPPING.into()),
        multi_role: form.get("multi_role").is_some_and(|v| v == "true"),
        rows,
        new_name: get("new_name").trim().to_string(),
        new_permissions: get("new_perms"),
    }
}

async fn render(req: &HttpRequest, state: &AppState, admin: &Admin, d: Draft, error: Option<String>, flash: Option<Flash>) -> HttpResponse {
    let mappings = match state.store.role_mapping_names().await {
        Ok(m) => m,
        Err(e) => return view::failed(&e),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let p = RolesPage {
        chrome: Chrome::new(req, state, admin, "roles").with_flash(flash),
        mapping: d.mapping,
        mappings: mappings
            .into_iter()
            .map(|(m, _)| {
                let href = format!("/admin/roles?{}", serde_urlencoded::to_string([("mapping", &m)]).unwrap_or_default());
                (m, href)
            })
            .collect(),
        multi_role: d.multi_role,
        last: d.rows.len().saturating_sub(1),
        rows: d.rows,
        new_name: d.new_name,
        new_permissions: d.new_permissions,
        error,
    };
    p.chrome.render(status, &p)
}

#[derive(Deserialize)]
pub struct PageQuery {
    mapping: Option<String>,
    done: Option<String>,
}

pub async fn page(req: HttpRequest, state: web::Data<AppState>, admin: Admin, q: web::Query<PageQuery>) -> HttpResponse {
    let mapping = q.mapping.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| orgs::DEFAULT_MAPPING.into());
    let structure = match orgs::load_structure(&state.store, &mapping).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return super::super::render::error_page(
                StatusCode::NOT_FOUND,
                "No such role structure",
                "There is no role structure with this name.",
                None,
            );
        }
        Err(e) => return view::failed(&e),
    };
    let rows =
        structure.roles.iter().map(|r| Row { name: r.name.clone(), orig: r.name.clone(), permissions: r.permissions.join("\n") }).collect();
    let flash = (q.done.as_deref() == Some("saved")).then(|| Flash::ok("Roles saved. New tokens carry them at once."));
    let d = Draft { mapping, multi_role: structure.multi_role, rows, new_name: String::new(), new_permissions: String::new() };
    render(&req, &state, &admin, d, None, flash).await
}

/// Move, add or remove a row; nothing is saved.
pub async fn edit(req: HttpRequest, state: web::Data<AppState>, admin: Admin, form: CsrfForm<HashMap<String, String>>) -> HttpResponse {
    let mut d = parse(&form.0);
    let op = form.0.get("op").cloned().unwrap_or_default();
    let (verb, index) = op.split_once(':').map(|(v, i)| (v, i.parse::<usize>().ok())).unwrap_or((op.as_str(), None));
    match (verb, index) {
        ("up", Some(i)) if i > 0 && i < d.rows.len() => d.rows.swap(i - 1, i),
        ("down", Some(i)) if i + 1 < d.rows.len() => d.rows.swap(i, i + 1),
        ("remove", Some(i)) if i < d.rows.len() => {
            d.rows.remove(i);
        }
        ("add", _) if !d.new_name.is_empty() && d.rows.len() < MAX_ROWS => {
            d.rows.push(Row {
                name: std::mem::take(&mut d.new_name),
                orig: String::new(),
                permissions: std::mem::take(&mut d.new_permissions),
            });
        }
        _ => {}
    }
    render(&req, &state, &admin, d, None, Some(Flash::ok("Not saved yet: save the roles to apply your changes."))).await
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: RecentAdmin,
    form: CsrfForm<HashMap<String, String>>,
) -> HttpResponse {
    let mut d = parse(&form.0);
    if !d.new_name.is_empty() {
        d.rows.push(Row {
            name: std::mem::take(&mut d.new_name),
            orig: String::new(),
            permissions: std::mem::take(&mut d.new_permissions),
        });
    }
    let structure = RoleStructure {
        name: d.mapping.clone(),
        multi_role: d.multi_role,
        roles: d.rows.iter().map(|r| Role { name: r.name.clone(), permissions: permission_list(&r.permissions) }).collect(),
    };
    let renames: Vec<(String, String)> =
        d.rows.iter().filter(|r| !r.orig.is_empty() && r.orig != r.name).map(|r| (r.orig.clone(), r.name.clone())).collect();
    match orgs::save_structure(&state, admin.event("roles.updated", ""), &structure, &renames).await {
        Ok(()) => {
            let back = format!("/admin/roles?{}", serde_urlencoded::to_string([("mapping", &d.mapping)]).unwrap_or_default());
            view::done(&back, "saved")
        }
        Err(OrgError::Invalid(msg)) => render(&req, &state, &admin, d, Some(msg), Some(Flash::error("Nothing was saved."))).await,
        Err(
            e @ (OrgError::OrgNotFound
            | OrgError::UserNotFound
            | OrgError::NotAMember
            | OrgError::Forbidden(_)
            | OrgError::InviteInvalid
            | OrgError::Email(_)
            | OrgError::Store(_)),
        ) => view::failed(&e),
    }
}

//! `/admin/orgs`: search and page through organizations, create one, and on an org's page
//! edit it, manage its members and invitations, or delete it. The instance admin acts with
//! the backend API's powers; the org's own rules (roles, limits, domains) still hold.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::users::{Empty, by, status_of};
use super::view::{self, Chrome, Flash};
use crate::admin::orgs::{self as svc, OrgDetail, OrgForm};
use crate::admin::users::{AdminError, PAGE_SIZE};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

type Id = web::Path<String>;
type Data = web::Data<AppState>;

pub struct OrgLine {
    pub id: String,
    pub name: String,
    pub domain: String,
    pub members: i64,
    pub created: String,
}

#[derive(Template)]
#[template(path = "admin/orgs.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    orgs: Vec<OrgLine>,
    exact: bool,
    paged: bool,
    next_url: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
    done: Option<String>,
}

pub async fn list(admin: Admin, req: HttpRequest, state: Data, query: web::Query<ListQuery>) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin, "orgs");
    let flash = (query.done.as_deref() == Some("deleted")).then(|| Flash::ok("Organization deleted."));
    let (found, status, flash) = match svc::search(&state.store, &query.q, query.after.as_deref(), PAGE_SIZE).await {
        Ok(f) => (f, StatusCode::OK, flash),
        Err(AdminError::Store(e)) => return view::failed(&e),
        Err(e) => {
            (crate::admin::users::Found { rows: Vec::new(), next: None, exact: false }, status_of(&e), Some(Flash::error(e.to_string())))
        }
    };
    let next_url = found
        .next
        .map(|n| format!("/admin/orgs?{}", serde_urlencoded::to_string([("q", query.q.as_str()), ("after", &n)]).unwrap_or_default()));
    let orgs = found
        .rows
        .iter()
        .map(|(o, n)| OrgLine {
            id: o.id.clone(),
            name: o.name.clone(),
            domain: o.domain.clone().unwrap_or_default(),
            members: *n,
            created: view::when(o.created_at),
        })
        .collect();
    let p = ListPage {
        chrome: chrome.with_flash(flash),
        q: query.q.trim().to_string(),
        orgs,
        exact: found.exact,
        paged: query.after.is_some(),
        next_url,
    };
    p.chrome.render(status, &p)
}

/// The fields of the org form, as typed (shown again after a refusal).
#[derive(Deserialize, Default)]
pub struct Form {
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
    autojoin: Option<String>,
    restrict: Option<String>,
    #[serde(default)]
    max_users: String,
    #[serde(default)]
    metadata: String,
    require_mfa: Option<String>,
}

impl Form {
    fn input(&self) -> OrgForm {
        OrgForm {
            name: self.name.clone(),
            domain: Some(self.domain.clone()),
            autojoin_by_domain: self.autojoin.is_some(),
            restrict_to_domain: self.restrict.is_some(),
            max_users: Some(self.max_users.clone()),
            metadata: Some(self.metadata.clone()),
            require_mfa: self.require_mfa.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/org_new.html")]
struct NewPage {
    chrome: Chrome,
    form: Form,
}

pub async fn new_page(admin: Admin, req: HttpRequest, state: Data) -> HttpResponse {
    let p = NewPage { chrome: Chrome::new(&req, &state, &admin, "orgs"), form: Form { metadata: "{}".into(), ..Form::default() } };
    p.chrome.render(StatusCode::OK, &p)
}

pub async fn create(admin: Admin, req: HttpRequest, state: Data, form: CsrfForm<Form>) -> HttpResponse {
    match svc::create(&state, by(&admin), form.0.input()).await {
        Ok(org) => view::done(&format!("/admin/orgs/{}", org.id), "created"),
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => {
            let chrome = Chrome::new(&req, &state, &admin, "orgs").with_flash(Some(Flash::error(e.to_string())));
            let p = NewPage { chrome, form: form.0 };
            p.chrome.render(status_of(&e), &p)
        }
    }
}

pub struct MemberLine {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
}

pub struct InviteLine {
    pub email: String,
    pub role: String,
    pub expires: String,
}

#[derive(Template)]
#[template(path = "admin/org.html")]
struct OrgPage {
    chrome: Chrome,
    id: String,
    form: Form,
    created: String,
    roles: Vec<String>,
    default_role: String,
    members: Vec<MemberLine>,
    invites: Vec<InviteLine>,
}

fn done_message(key: Option<&str>) -> Option<Flash> {
    let text = match key? {
        "created" => "Organization created.",
        "updated" => "Settings saved.",
        "member-added" => "Member added.",
        "role-changed" => "Role changed.",
        "member-removed" => "Member removed.",
        "invited" => "Invitation sent.",
        "invite-revoked" => "Invitation revoked.",
        _ => return None,
    };
    Some(Flash::ok(text))
}

fn org_page(chrome: Chrome, d: OrgDetail, typed: Option<Form>) -> OrgPage {
    let o = &d.org;
    let form = typed.unwrap_or_else(|| Form {
        name: o.name.clone(),
        domain: o.domain.clone().unwrap_or_default(),
        autojoin: o.domain_autojoin.then(String::new),
        restrict: o.domain_restrict.then(String::new),
        max_users: o.max_users.map(|m| m.to_string()).unwrap_or_default(),
        metadata: o.metadata.clone(),
        require_mfa: o.require_2fa_by.map(|_| String::new()),
    });
    OrgPage {
        id: o.id.clone(),
        created: view::when(o.created_at),
        roles: d.structure.roles.iter().map(|r| r.name.clone()).collect(),
        default_role: d.structure.bottom_role().to_string(),
        members: d
            .members
            .iter()
            .map(|m| MemberLine {
                user_id: m.user_id.clone(),
                email: m.email.clone(),
                name: [m.first_name.as_deref(), m.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "),
                role: m.role.clone(),
            })
            .collect(),
        invites: d
            .invites
            .iter()
            .map(|i| InviteLine { email: i.email.clone(), role: i.role.clone(), expires: view::when(i.expires_at) })
            .collect(),
        form,
        chrome,
    }
}

/// The org page with `flash` and `status`; `typed` keeps what was typed in a refused edit.
async fn show(
    req: &HttpRequest,
    state: &AppState,
    admin: &Admin,
    id: &str,
    status: StatusCode,
    flash: Option<Flash>,
    typed: Option<Form>,
) -> HttpResponse {
    match svc::detail(state, id).await {
        Ok(d) => {
            let p = org_page(Chrome::new(req, state, admin, "orgs").with_flash(flash), d, typed);
            p.chrome.render(status, &p)
        }
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => {
            let chrome = Chrome::new(req, state, admin, "orgs").with_flash(Some(Flash::error(e.to_string())));
            let p = ListPage { chrome, q: String::new(), orgs: Vec::new(), exact: false, paged: false, next_url: None };
            p.chrome.render(status_of(&e), &p)
        }
    }
}

pub async fn page(admin: Admin, req: HttpRequest, state: Data, id: Id, query: web::Query<view::DoneQuery>) -> HttpResponse {
    show(&req, &state, &admin, &id, StatusCode::OK, done_message(query.done.as_deref()), None).await
}

async fn after<T>(req: &HttpRequest, state: &AppState, admin: &Admin, id: &str, r: Result<T, AdminError>, key: &str) -> HttpResponse {
    match r {
        Ok(_) => view::done(&format!("/admin/orgs/{id}"), key),
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => show(req, state, admin, id, status_of(&e), Some(Flash::error(e.to_string())), None).await,
    }
}

pub async fn edit(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<Form>) -> HttpResponse {
    match svc::update(&state, by(&admin), &id, form.0.input()).await {
        Ok(_) => view::done(&format!("/admin/orgs/{id}"), "updated"),
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => show(&req, &state, &admin, &id, status_of(&e), Some(Flash::error(e.to_string())), Some(form.0)).await,
    }
}

pub async fn delete(admin: RecentAdmin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    match svc::delete(&state, by(&admin), &id).await {
        Ok(()) => view::done("/admin/orgs", "deleted"),
        r @ Err(_) => after(&req, &state, &admin, &id, r, "deleted").await,
    }
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    role: String,
}

pub async fn add_member(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<MemberForm>) -> HttpResponse {
    let r = svc::add_member(&state, by(&admin), &id, &form.0.email, &form.0.role).await;
    after(&req, &state, &admin, &id, r, "member-added").await
}

pub async fn change_role(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<MemberForm>) -> HttpResponse {
    let r = svc::change_role(&state, by(&admin), &id, &form.0.user_id, &form.0.role).await;
    after(&req, &state, &admin, &id, r, "role-changed").await
}

pub async fn remove_member(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<MemberForm>) -> HttpResponse {
    let r = svc::remove_member(&state, by(&admin), &id, &form.0.user_id).await;
    after(&req, &state, &admin, &id, r, "member-removed").await
}

pub async fn invite(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<MemberForm>) -> HttpResponse {
    let r = svc::invite(&state, by(&admin), &id, &form.0.email, &form.0.role).await;
    after(&req, &state, &admin, &id, r, "invited").await
}

pub async fn revoke_invite(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<MemberForm>) -> HttpResponse {
    let r = svc::revoke_invite(&state, by(&admin), &id, &form.0.email).await;
    after(&req, &state, &admin, &id, r, "invite-revoked").await
}

//! `/admin/users`: search and page through users, a user's whole picture, and every
//! lifecycle action. Handlers parse, call one `crate::admin::users` service (shared with the
//! CLI), and render; a refused action shows the user page again with the reason.

use super::super::gate::{Admin, CsrfForm, RecentAdmin};
use super::view::{self, Chrome, Flash};
use crate::admin::users::{self as svc, AdminError, By, NewUser, PAGE_SIZE, ProfileEdit, UserDetail};
use crate::state::AppState;
use crate::store::UserRow;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// Who acts, for the audit log.
pub fn by(admin: &Admin) -> By<'_> {
    By { actor: admin.user_id(), ip: admin.ip.as_deref() }
}

/// The status that goes with a refused action (store failures are logged 500 pages).
pub fn status_of(e: &AdminError) -> StatusCode {
    match e {
        AdminError::UserNotFound | AdminError::OrgNotFound => StatusCode::NOT_FOUND,
        AdminError::Invalid(_) => StatusCode::BAD_REQUEST,
        AdminError::Refused(_) => StatusCode::CONFLICT,
        AdminError::Email(_) => StatusCode::SERVICE_UNAVAILABLE,
        AdminError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

pub struct UserLine {
    pub id: String,
    pub email: String,
    pub name: String,
    pub username: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub email_verified: bool,
    pub created: String,
    pub last_login: String,
}

impl From<&UserRow> for UserLine {
    fn from(u: &UserRow) -> Self {
        Self {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.full_name().unwrap_or_default(),
            username: u.username.clone().unwrap_or_default(),
            is_admin: u.is_admin,
            enabled: u.enabled,
            email_verified: u.email_verified,
            created: view::when(u.created_at),
            last_login: u.last_active_at.map(view::when).unwrap_or_else(|| "never".into()),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    users: Vec<UserLine>,
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

fn list_message(key: Option<&str>) -> Option<Flash> {
    match key? {
        "deleted" => Some(Flash::ok("User deleted.")),
        _ => None,
    }
}

fn page_url(base: &str, q: &str, after: &str) -> String {
    format!("{base}?{}", serde_urlencoded::to_string([("q", q), ("after", after)]).unwrap_or_default())
}

pub async fn list(admin: Admin, req: HttpRequest, state: web::Data<AppState>, query: web::Query<ListQuery>) -> HttpResponse {
    let chrome = Chrome::new(&req, &state, &admin, "users");
    let (found, status, flash) = match svc::search(&state.store, &query.q, query.after.as_deref(), PAGE_SIZE).await {
        Ok(f) => (f, StatusCode::OK, list_message(query.done.as_deref())),
        Err(AdminError::Store(e)) => return view::failed(&e),
        Err(e) => (svc::Found { rows: Vec::new(), next: None, exact: false }, status_of(&e), Some(Flash::error(e.to_string()))),
    };
    let p = ListPage {
        chrome: chrome.with_flash(flash),
        users: found.rows.iter().map(UserLine::from).collect(),
        exact: found.exact,
        paged: query.after.is_some(),
        next_url: found.next.map(|n| page_url("/admin/users", &query.q, &n)),
        q: query.q.trim().to_string(),
    };
    p.chrome.render(status, &p)
}

/// A user page for an id that does not exist: the list with the reason.
fn missing(req: &HttpRequest, state: &AppState, admin: &Admin, e: &AdminError) -> HttpResponse {
    let chrome = Chrome::new(req, state, admin, "users").with_flash(Some(Flash::error(e.to_string())));
    let p = ListPage { chrome, q: String::new(), users: Vec::new(), exact: false, paged: false, next_url: None };
    p.chrome.render(status_of(e), &p)
}

pub struct OrgLine {
    pub id: String,
    pub name: String,
    pub role: String,
}

pub struct SessionLine {
    pub signed_in: String,
    pub method: String,
    pub ip: String,
    pub agent: String,
    pub expires: String,
}

pub struct AuditLine {
    pub at: String,
    pub action: String,
    pub actor: String,
    pub subject: String,
    pub ip: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    chrome: Chrome,
    u: UserLine,
    first_name: String,
    last_name: String,
    picture_url: String,
    mfa_enabled: bool,
    recovery_codes_left: i64,
    failures: i64,
    locked_until: Option<String>,
    orgs: Vec<OrgLine>,
    sessions: Vec<SessionLine>,
    audit: Vec<AuditLine>,
}

fn done_message(key: Option<&str>) -> Option<Flash> {
    let text = match key? {
        "created" => "User created.",
        "updated" => "Profile saved.",
        "verified" => "Email address marked as verified.",
        "disabled" => "User disabled: their sessions ended and their tokens were revoked.",
        "enabled" => "User enabled.",
        "unlocked" => "Sign-in lockout lifted.",
        "mfa-reset" => "Two-factor authentication reset. They set it up again when it is required.",
        "reset-sent" => "Password reset email sent.",
        "link-sent" => "Sign-in link sent.",
        "signed-out" => "Signed out everywhere: every session ended and every token was revoked.",
        "admin-granted" => "They are now an instance admin.",
        "admin-revoked" => "They are no longer an instance admin.",
        _ => return None,
    };
    Some(Flash::ok(text))
}

fn user_page(chrome: Chrome, d: UserDetail) -> UserPage {
    let u = &d.user;
    UserPage {
        first_name: u.first_name.clone().unwrap_or_default(),
        last_name: u.last_name.clone().unwrap_or_default(),
        picture_url: u.picture_url.clone().unwrap_or_default(),
        u: UserLine::from(u),
        mfa_enabled: d.mfa_enabled,
        recovery_codes_left: d.recovery_codes_left,
        failures: d.failures,
        locked_until: d.locked_until.map(view::when),
        orgs: d.orgs.iter().map(|(o, m)| OrgLine { id: o.id.clone(), name: o.name.clone(), role: m.role.clone() }).collect(),
        sessions: d
            .sessions
            .iter()
            .map(|s| SessionLine {
                signed_in: view::when(s.auth_time),
                method: s.login_method.clone(),
                ip: s.ip.clone().unwrap_or_default(),
                agent: s.user_agent.clone().unwrap_or_default(),
                expires: view::when(s.expires_at),
            })
            .collect(),
        audit: d
            .audit
            .into_iter()
            .map(|a| AuditLine { at: view::when(a.at), action: a.action, actor: a.actor, subject: a.subject, ip: a.ip.unwrap_or_default() })
            .collect(),
        chrome,
    }
}

/// The user page with `flash` and `status` (after a refused action, the reason).
async fn show(req: &HttpRequest, state: &AppState, admin: &Admin, id: &str, status: StatusCode, flash: Option<Flash>) -> HttpResponse {
    match svc::detail(state, id).await {
        Ok(d) => {
            let p = user_page(Chrome::new(req, state, admin, "users").with_flash(flash), d);
            p.chrome.render(status, &p)
        }
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => missing(req, state, admin, &e),
    }
}

pub async fn page(
    admin: Admin,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<view::DoneQuery>,
) -> HttpResponse {
    show(&req, &state, &admin, &path, StatusCode::OK, done_message(query.done.as_deref())).await
}

/// After an action on user `id`: back to their page with `key`, or the page with the reason.
async fn after<T>(req: &HttpRequest, state: &AppState, admin: &Admin, id: &str, r: Result<T, AdminError>, key: &str) -> HttpResponse {
    match r {
        Ok(_) => view::done(&format!("/admin/users/{id}"), key),
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => show(req, state, admin, id, status_of(&e), Some(Flash::error(e.to_string()))).await,
    }
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Empty {}

type Id = web::Path<String>;
type Data = web::Data<AppState>;

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewPage {
    chrome: Chrome,
    form: NewForm,
}

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    email_verified: Option<String>,
}

pub async fn new_page(admin: Admin, req: HttpRequest, state: Data) -> HttpResponse {
    let p = NewPage { chrome: Chrome::new(&req, &state, &admin, "users"), form: NewForm::default() };
    p.chrome.render(StatusCode::OK, &p)
}

pub async fn create(admin: Admin, req: HttpRequest, state: Data, form: CsrfForm<NewForm>) -> HttpResponse {
    let f = form.0;
    let input = NewUser {
        email: f.email.clone(),
        password: Some(f.password.clone()),
        first_name: Some(f.first_name.clone()),
        last_name: Some(f.last_name.clone()),
        username: Some(f.username.clone()),
        email_verified: f.email_verified.is_some(),
    };
    match svc::create(&state, by(&admin), input).await {
        Ok(u) => view::done(&format!("/admin/users/{}", u.id), "created"),
        Err(AdminError::Store(e)) => view::failed(&e),
        Err(e) => {
            let chrome = Chrome::new(&req, &state, &admin, "users").with_flash(Some(Flash::error(e.to_string())));
            let p = NewPage { chrome, form: NewForm { password: String::new(), ..f } };
            p.chrome.render(status_of(&e), &p)
        }
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    picture_url: String,
}

pub async fn edit(admin: Admin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<EditForm>) -> HttpResponse {
    let f = form.0;
    let edit =
        ProfileEdit { email: f.email, first_name: f.first_name, last_name: f.last_name, username: f.username, picture_url: f.picture_url };
    let r = svc::update_profile(&state, by(&admin), &id, edit).await;
    after(&req, &state, &admin, &id, r, "updated").await
}

pub async fn verify_email(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::verify_email(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "verified").await
}

pub async fn disable(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::set_enabled(&state, by(&admin), &id, false).await;
    after(&req, &state, &admin, &id, r, "disabled").await
}

pub async fn enable(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::set_enabled(&state, by(&admin), &id, true).await;
    after(&req, &state, &admin, &id, r, "enabled").await
}

pub async fn unlock(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::unlock(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "unlocked").await
}

pub async fn send_reset(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::send_password_reset(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "reset-sent").await
}

pub async fn send_link(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::send_magic_link(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "link-sent").await
}

pub async fn sign_out(admin: Admin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::sign_out_everywhere(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "signed-out").await
}

pub async fn reset_mfa(admin: RecentAdmin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    let r = svc::reset_mfa(&state, by(&admin), &id).await;
    after(&req, &state, &admin, &id, r, "mfa-reset").await
}

#[derive(Deserialize)]
pub struct AdminForm {
    /// `on` to make an admin; anything else (or nothing) to take it away.
    admin: Option<String>,
}

pub async fn set_admin(admin: RecentAdmin, req: HttpRequest, state: Data, id: Id, form: CsrfForm<AdminForm>) -> HttpResponse {
    let make = form.0.admin.as_deref() == Some("on");
    let r = svc::set_admin(&state, by(&admin), &id, make).await;
    after(&req, &state, &admin, &id, r, if make { "admin-granted" } else { "admin-revoked" }).await
}

pub async fn delete(admin: RecentAdmin, req: HttpRequest, state: Data, id: Id, _f: CsrfForm<Empty>) -> HttpResponse {
    match svc::delete(&state, by(&admin), &id).await {
        Ok(()) => view::done("/admin/users", "deleted"),
        r @ Err(_) => after(&req, &state, &admin, &id, r, "deleted").await,
    }
}

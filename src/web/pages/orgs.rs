//! Hosted organization pages: my orgs, create, members, invite, change role, remove,
//! leave, pending invites, accepting an invitation. Every action is checked by the org
//! service's membership rules; refusals render a 403 page that says why.

use super::super::csrf::{self, CsrfOnly};
use super::super::render;
use super::hosted::{self, Look};
use super::{csrf_failure, current_session, internal_error};
use crate::auth::login::{self, Continuation};
use crate::orgs::{self, Actor, OrgError, invites, membership, roles};
use crate::state::AppState;
use crate::users::{self, CreateUser, UserError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct OrgItem {
    pub id: String,
    pub name: String,
    pub url_safe_name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage<'a> {
    look: &'a Look,
    section: &'a str,
    orgs: Vec<OrgItem>,
    joinable: Vec<OrgItem>,
    can_create: bool,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

pub struct MemberItem {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub can_change: bool,
    pub can_remove: bool,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    look: &'a Look,
    section: &'a str,
    org_id: &'a str,
    org_name: &'a str,
    my_role: &'a str,
    members: Vec<MemberItem>,
    assignable: Vec<String>,
    default_role: &'a str,
    can_invite: bool,
    can_manage: bool,
    domain: &'a str,
    autojoin: bool,
    restrict: bool,
    require_mfa: bool,
    invites: Vec<crate::store::InviteRow>,
    csrf_token: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "invite_accept.html")]
struct AcceptPage<'a> {
    look: &'a Look,
    org_name: &'a str,
    role: &'a str,
    email: &'a str,
    token: &'a str,
    signed_in_as_invitee: bool,
    account_exists: bool,
    login_url: &'a str,
    csrf_token: &'a str,
    error: Option<&'a str>,
}

/// Maps service refusals to pages; every variant decided explicitly.
fn org_error(e: OrgError) -> HttpResponse {
    let (status, title) = match &e {
        OrgError::OrgNotFound | OrgError::UserNotFound | OrgError::NotAMember => (StatusCode::NOT_FOUND, "Not found"),
        OrgError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
        OrgError::Invalid(_) => (StatusCode::BAD_REQUEST, "That did not work"),
        OrgError::InviteInvalid => (StatusCode::GONE, "Invitation not valid"),
        OrgError::Email(inner) => return internal_error(inner),
        OrgError::Store(inner) => return internal_error(inner),
    };
    render::error_page(status, title, &e.to_string(), None)
}

fn login_redirect(return_to: &str) -> HttpResponse {
    let q = serde_urlencoded::to_string([("return_to", return_to)]).unwrap_or_default();
    render::redirect(&format!("/login?{q}"), StatusCode::SEE_OTHER, Vec::new())
}

fn back_to(org_id: &str, done: &str) -> HttpResponse {
    render::redirect(&format!("/orgs/{org_id}?done={done}"), StatusCode::SEE_OTHER, Vec::new())
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(s) = current_session(&req, &state).await else { return login_redirect("/orgs") };
    let mine = match state.store.memberships_of_user(&s.user_id).await {
        Ok(m) => m,
        Err(e) => return internal_error(&e),
    };
    let joinable = match membership::joinable(&state, &s.user_id).await {
        Ok(j) => j,
        Err(e) => return org_error(e),
    };
    let can_create = matches!(state.store.user_can_create_orgs(&s.user_id).await, Ok(Some(true)));
    let token = csrf::issue(&req, &state);
    let look = Look::from(&hosted::admin(&state).await);
    let page = OrgsPage {
        look: &look,
        section: "orgs",
        orgs: mine.into_iter().map(|(o, m)| OrgItem { id: o.id, name: o.name, url_safe_name: o.url_safe_name, role: m.role }).collect(),
        joinable: joinable
            .into_iter()
            .map(|o| OrgItem { id: o.id, name: o.name, url_safe_name: o.url_safe_name, role: String::new() })
            .collect(),
        can_create,
        csrf_token: &token.form_value,
        error: None,
    };
    render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect())
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
}

pub async fn create(req: HttpRequest, state: web::Data<AppState>, form: web::Form<CreateForm>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect("/orgs") };
    match membership::create_as_user(&state, &s.user_id, &form.name).await {
        Ok(org) => back_to(&org.id, "created"),
        Err(e) => org_error(e),
    }
}

pub async fn join(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, form: web::Form<CsrfOnly>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect("/orgs") };
    match membership::join_by_domain(&state, &path, &s.user_id).await {
        Ok(()) => back_to(&path, "joined"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, query: web::Query<DoneQuery>) -> HttpResponse {
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{}", path.as_str())) };
    match render_org(&req, &state, &path, &s.user_id, query.done.as_deref()).await {
        Ok(res) => res,
        Err(e) => org_error(e),
    }
}

async fn render_org(
    req: &HttpRequest,
    state: &AppState,
    org_id: &str,
    user_id: &str,
    done: Option<&str>,
) -> Result<HttpResponse, OrgError> {
    let org = state.store.org_by_id(org_id).await?.ok_or(OrgError::OrgNotFound)?;
    // Non-members learn nothing about the org, not even that it exists.
    let me = state.store.membership(org_id, user_id).await?.ok_or(OrgError::OrgNotFound)?;
    let structure = orgs::structure_of(&state.store, &org).await?;
    let my_additional = orgs::parse_list(&me.additional_roles);
    let perms = structure.permissions(&me.role, &my_additional);
    let has = |p: &str| perms.iter().any(|x| x == p);
    let assignable: Vec<String> =
        structure.roles.iter().map(|r| r.name.clone()).filter(|r| structure.at_or_above(&me.role, &my_additional, r)).collect();
    let members = state
        .store
        .members_of_org(org_id)
        .await?
        .into_iter()
        .map(|m| {
            let below = structure.at_or_above(&me.role, &my_additional, &m.role);
            let is_me = m.user_id == user_id;
            MemberItem {
                can_change: has(roles::CAN_CHANGE_ROLES) && below && !is_me,
                can_remove: has(roles::CAN_REMOVE_USERS) && below && !is_me,
                user_id: m.user_id,
                email: m.email,
                role: m.role,
            }
        })
        .collect();
    let can_invite = has(roles::CAN_INVITE);
    let can_manage = has(roles::CAN_MANAGE_ORG);
    let invites = if can_invite { state.store.pending_invites(org_id, state.clock.now()).await? } else { Vec::new() };
    let notice = match done {
        Some("created") => Some("Organization created."),
        Some("joined") => Some("Welcome! You joined the organization."),
        Some("invited") => Some("Invitation sent."),
        Some("role") => Some("Role changed."),
        Some("removed") => Some("Member removed."),
        Some("revoked") => Some("Invitation revoked."),
        Some("settings") => Some("Settings saved."),
        _ => None,
    };
    let token = csrf::issue(req, state);
    let look = Look::from(&hosted::admin(state).await);
    let page = OrgPage {
        look: &look,
        section: "orgs",
        org_id,
        org_name: &org.name,
        my_role: &me.role,
        members,
        assignable,
        default_role: structure.bottom_role(),
        can_invite,
        can_manage,
        domain: org.domain.as_deref().unwrap_or(""),
        autojoin: org.domain_autojoin,
        restrict: org.domain_restrict,
        require_mfa: org.require_2fa_by.is_some(),
        invites,
        csrf_token: &token.form_value,
        notice,
        error: None,
    };
    Ok(render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect()))
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, form: web::Form<InviteForm>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{}", path.as_str())) };
    match invites::invite(&state, Actor::User(&s.user_id), &path, &form.email, &form.role, &[]).await {
        Ok(_) => back_to(&path, "invited"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    csrf_token: Option<String>,
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<RoleForm>,
) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let (org_id, user_id) = path.into_inner();
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{org_id}")) };
    match membership::change_role(&state, Actor::User(&s.user_id), &org_id, &user_id, &form.role, None).await {
        Ok(()) => back_to(&org_id, "role"),
        Err(e) => org_error(e),
    }
}

pub async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let (org_id, user_id) = path.into_inner();
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{org_id}")) };
    if s.user_id == user_id {
        return org_error(OrgError::Invalid("use “Leave” to leave an organization yourself".into()));
    }
    match membership::remove_member(&state, Actor::User(&s.user_id), &org_id, &user_id).await {
        Ok(()) => back_to(&org_id, "removed"),
        Err(e) => org_error(e),
    }
}

pub async fn leave(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>, form: web::Form<CsrfOnly>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect("/orgs") };
    match membership::remove_member(&state, Actor::User(&s.user_id), &path, &s.user_id).await {
        Ok(()) => render::redirect("/orgs", StatusCode::SEE_OTHER, Vec::new()),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    domain: Option<String>,
    autojoin: Option<String>,
    restrict: Option<String>,
    require_mfa: Option<String>,
}

pub async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{}", path.as_str())) };
    let input = membership::OrgSettings {
        name: form.name.clone(),
        domain: form.domain.clone(),
        autojoin_by_domain: form.autojoin.is_some(),
        restrict_to_domain: form.restrict.is_some(),
        require_mfa: form.require_mfa.is_some(),
    };
    match membership::update_settings(&state, Actor::User(&s.user_id), &path, input).await {
        Ok(_) => back_to(&path, "settings"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf_token: Option<String>,
    #[serde(default)]
    email: String,
}

pub async fn revoke_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let Some(s) = current_session(&req, &state).await else { return login_redirect(&format!("/orgs/{}", path.as_str())) };
    match invites::revoke(&state, Actor::User(&s.user_id), &path, &form.email).await {
        Ok(()) => back_to(&path, "revoked"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn accept_form(req: HttpRequest, state: web::Data<AppState>, query: web::Query<TokenQuery>) -> HttpResponse {
    render_accept(&req, &state, &query.token, StatusCode::OK, None).await
}

async fn render_accept(req: &HttpRequest, state: &AppState, token: &str, status: StatusCode, error: Option<&str>) -> HttpResponse {
    let (invite, org) = match invites::pending_by_token(state, token).await {
        Ok(found) => found,
        Err(e) => return org_error(e),
    };
    let session = current_session(req, state).await;
    let account = match state.store.user_by_email(&invite.email).await {
        Ok(a) => a,
        Err(e) => return internal_error(&e),
    };
    let signed_in_as_invitee = matches!((&session, &account), (Some(s), Some(a)) if s.user_id == a.id);
    let here = format!("{}?{}", invites::ACCEPT_PATH, serde_urlencoded::to_string([("token", token)]).unwrap_or_default());
    let login_url = format!(
        "/login?{}",
        serde_urlencoded::to_string([("return_to", here.as_str()), ("login_hint", invite.email.as_str())]).unwrap_or_default()
    );
    let csrf = csrf::issue(req, state);
    let look = Look::from(&hosted::admin(state).await);
    let page = AcceptPage {
        look: &look,
        org_name: &org.name,
        role: &invite.role,
        email: &invite.email,
        token,
        signed_in_as_invitee,
        account_exists: account.is_some(),
        login_url: &login_url,
        csrf_token: &csrf.form_value,
        error,
    };
    render::page(status, &page, csrf.new_cookie.into_iter().collect())
}

#[derive(Deserialize)]
pub struct AcceptForm {
    csrf_token: Option<String>,
    #[serde(default)]
    token: String,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
}

pub async fn accept(req: HttpRequest, state: web::Data<AppState>, form: web::Form<AcceptForm>) -> HttpResponse {
    if !csrf::verify(&req, &state, form.csrf_token.as_deref()) {
        return csrf_failure();
    }
    let (invite, _) = match invites::pending_by_token(&state, &form.token).await {
        Ok(found) => found,
        Err(e) => return org_error(e),
    };
    let user_id = match (current_session(&req, &state).await, state.store.user_by_email(&invite.email).await) {
        (_, Err(e)) => return internal_error(&e),
        (Some(s), Ok(Some(u))) if s.user_id == u.id => u.id,
        (_, Ok(Some(_))) => {
            return render_accept(&req, &state, &form.token, StatusCode::FORBIDDEN, Some("Sign in as the invited user first.")).await;
        }
        (_, Ok(None)) => {
            // New account: following the emailed link proves the address.
            let input = CreateUser {
                email: invite.email.clone(),
                password: form.password.clone(),
                first_name: form.first_name.clone(),
                last_name: form.last_name.clone(),
                email_verified: true,
                ..Default::default()
            };
            if input.password.as_deref().unwrap_or("").is_empty() {
                return render_accept(&req, &state, &form.token, StatusCode::BAD_REQUEST, Some("Choose a password.")).await;
            }
            let id = match users::create(&state.store, &state.hasher, &state.clock, input).await {
                Ok(id) => id,
                Err(e @ (UserError::Invalid(_) | UserError::EmailTaken | UserError::UsernameTaken)) => {
                    return render_accept(&req, &state, &form.token, StatusCode::BAD_REQUEST, Some(&e.to_string())).await;
                }
                Err(UserError::Password(p)) => return super::password_failure(&p),
                Err(e @ UserError::Store(_)) => return internal_error(&e),
            };
            // Following the emailed link is the first factor; MFA rules (admin- or org-wide) still
            // apply before a session exists, exactly as for any other login.
            let org = match invites::accept(&state, &form.token, &id).await {
                Ok(org) => org,
                Err(e) => return org_error(e),
            };
            let user = match state.store.user_by_id(&id).await {
                Ok(Some(u)) => u,
                Ok(None) => return org_error(OrgError::UserNotFound),
                Err(e) => return internal_error(&e),
            };
            let a = hosted::admin(&state).await;
            let cont = Continuation { request: None, redirect: Some(format!("/orgs/{}?done=joined", org.id)) };
            return hosted::continue_login(&req, &state, &a, &user, login::EMAIL_CONFIRMATION_LINK, &cont).await;
        }
    };
    match invites::accept(&state, &form.token, &user_id).await {
        Ok(org) => render::redirect(&format!("/orgs/{}?done=joined", org.id), StatusCode::SEE_OTHER, Vec::new()),
        Err(e) => org_error(e),
    }
}

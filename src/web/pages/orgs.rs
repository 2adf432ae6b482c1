//! Hosted organization pages: my orgs, create, members, invite, change role, remove,
//! leave, pending invites, accepting an invitation. Every action is checked by the org
//! service's membership rules; refusals render a 403 page that says why.

use super::super::csrf::{self, CsrfOnly};
use super::super::gate::{CsrfForm, SignedIn};
use super::super::render;
use super::hosted::{self, Look};
use super::{current_session, internal_error};
use crate::auth::login::{self, Continuation};
use crate::orgs::invites::SignupAcceptError;
use crate::orgs::{self, Actor, OrgError, invites, membership};
use crate::state::AppState;
use crate::users::UserError;
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
    org_id: &'a str,
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

/// Maps service refusals to pages; every variant decided explicitly. Each page has a title,
/// a sentence and the next step as a link (no dead ends).
fn org_error(e: OrgError) -> HttpResponse {
    const BACK: (&str, &str) = ("/orgs", "Back to your organizations");
    let (status, title, message, link) = match &e {
        OrgError::OrgNotFound | OrgError::NotAMember => (
            StatusCode::NOT_FOUND,
            "Organization not found",
            "This organization does not exist, or you are not a member of it.".to_string(),
            BACK,
        ),
        OrgError::UserNotFound => {
            (StatusCode::NOT_FOUND, "Member not found", "That person is not a member of this organization.".to_string(), BACK)
        }
        OrgError::Forbidden(reason) => (StatusCode::FORBIDDEN, "Not allowed", sentence(reason), BACK),
        OrgError::Invalid(reason) => (StatusCode::BAD_REQUEST, "That did not work", sentence(reason), BACK),
        OrgError::InviteInvalid => (
            StatusCode::GONE,
            "Invitation not valid",
            "This invitation has expired, was withdrawn, or was already used. Ask the person who invited you to send a new one."
                .to_string(),
            ("/", "Go to your account"),
        ),
        OrgError::Email(inner) => return internal_error(inner),
        OrgError::Store(inner) => return internal_error(inner),
    };
    render::error_page_with_link(status, title, &message, None, Some(link))
}

/// "your role (Member) does not allow …" → "Your role (Member) does not allow ….".
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn back_to(org_id: &str, done: &str) -> HttpResponse {
    render::redirect(&format!("/orgs/{org_id}?done={done}"), StatusCode::SEE_OTHER, Vec::new())
}

pub async fn list(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    let s = who.session;
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
    #[serde(default)]
    name: String,
}

pub async fn create(state: web::Data<AppState>, who: SignedIn, CsrfForm(form): CsrfForm<CreateForm>) -> HttpResponse {
    let s = who.session;
    match membership::create_as_user(&state, &s.user_id, &form.name).await {
        Ok(org) => back_to(&org.id, "created"),
        Err(e) => org_error(e),
    }
}

pub async fn join(state: web::Data<AppState>, who: SignedIn, path: web::Path<String>, CsrfForm(_): CsrfForm<CsrfOnly>) -> HttpResponse {
    let s = who.session;
    match membership::join_by_domain(&state, &path, &s.user_id).await {
        Ok(()) => back_to(&path, "joined"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let s = who.session;
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
    let v = orgs::view::for_member(state, org_id, user_id).await?;
    let members = v
        .members
        .into_iter()
        .map(|m| MemberItem {
            can_change: m.can_change,
            can_remove: m.can_remove,
            user_id: m.member.user_id,
            email: m.member.email,
            role: m.member.role,
        })
        .collect();
    let notice = match done {
        Some("created") => Some("Organization created."),
        Some("joined") => Some("Welcome! You joined the organization."),
        Some("invited") => Some("Invitation sent."),
        Some("reinvited") => Some(
            "Invitation sent again with the role you chose: the pending invitation's role changed, and the earlier link no longer works.",
        ),
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
        org_name: &v.org.name,
        my_role: &v.me.role,
        members,
        assignable: v.assignable,
        default_role: &v.default_role,
        can_invite: v.can_invite,
        can_manage: v.can_manage,
        domain: v.org.domain.as_deref().unwrap_or(""),
        autojoin: v.org.domain_autojoin,
        restrict: v.org.domain_restrict,
        require_mfa: v.org.require_2fa_by.is_some(),
        invites: v.invites,
        csrf_token: &token.form_value,
        notice,
        error: None,
    };
    Ok(render::page(StatusCode::OK, &page, token.new_cookie.into_iter().collect()))
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn invite(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> HttpResponse {
    let s = who.session;
    match invites::invite(&state, Actor::User(&s.user_id), &path, &form.email, &form.role, &[]).await {
        Ok(sent) if sent.replaced_role.is_some() => back_to(&path, "reinvited"),
        Ok(_) => back_to(&path, "invited"),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> HttpResponse {
    let (org_id, user_id) = path.into_inner();
    let s = who.session;
    match membership::change_role(&state, Actor::User(&s.user_id), &org_id, &user_id, &form.role, None).await {
        Ok(()) => back_to(&org_id, "role"),
        Err(e) => org_error(e),
    }
}

pub async fn remove(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<(String, String)>,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> HttpResponse {
    let (org_id, user_id) = path.into_inner();
    let s = who.session;
    if s.user_id == user_id {
        return org_error(OrgError::Invalid("use “Leave” to leave an organization yourself".into()));
    }
    match membership::remove_member(&state, Actor::User(&s.user_id), &org_id, &user_id).await {
        Ok(()) => back_to(&org_id, "removed"),
        Err(e) => org_error(e),
    }
}

pub async fn leave(state: web::Data<AppState>, who: SignedIn, path: web::Path<String>, CsrfForm(_): CsrfForm<CsrfOnly>) -> HttpResponse {
    let s = who.session;
    match membership::remove_member(&state, Actor::User(&s.user_id), &path, &s.user_id).await {
        Ok(()) => render::redirect("/orgs", StatusCode::SEE_OTHER, Vec::new()),
        Err(e) => org_error(e),
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    domain: Option<String>,
    autojoin: Option<String>,
    restrict: Option<String>,
    require_mfa: Option<String>,
}

pub async fn settings(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> HttpResponse {
    let s = who.session;
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
    #[serde(default)]
    email: String,
}

pub async fn revoke_invite(
    state: web::Data<AppState>,
    who: SignedIn,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> HttpResponse {
    let s = who.session;
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
        org_id: &org.id,
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
    #[serde(default)]
    token: String,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
}

pub async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Option<SignedIn>,
    CsrfForm(form): CsrfForm<AcceptForm>,
) -> HttpResponse {
    let (invite, _) = match invites::pending_by_token(&state, &form.token).await {
        Ok(found) => found,
        Err(e) => return org_error(e),
    };
    let user_id = match (who, state.store.user_by_email(&invite.email).await) {
        (_, Err(e)) => return internal_error(&e),
        (Some(w), Ok(Some(u))) if w.user.id == u.id => u.id,
        (_, Ok(Some(_))) => {
            return render_accept(&req, &state, &form.token, StatusCode::FORBIDDEN, Some("Sign in as the invited user first.")).await;
        }
        (_, Ok(None)) => {
            let (org, user) = match invites::accept_with_signup(&state, &form.token, form.first_name, form.last_name, form.password).await {
                Ok(done) => done,
                Err(SignupAcceptError::Refused(message)) => {
                    return render_accept(&req, &state, &form.token, StatusCode::BAD_REQUEST, Some(&message)).await;
                }
                Err(SignupAcceptError::Org(e)) => return org_error(e),
                Err(SignupAcceptError::User(UserError::Password(p))) => return super::password_failure(&p),
                Err(SignupAcceptError::User(e)) => return internal_error(&e),
            };
            // Following the emailed link is the first factor; MFA rules (admin- or org-wide) still
            // apply before a session exists, exactly as for any other login.
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

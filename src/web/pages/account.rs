//! The account area: `/account` (profile), `/account/email`, `/account/password`,
//! `/account/mfa`, `/account/sessions`. Every page needs a session; the sidebar is shown
//! unless an administrator switched it off.

use super::super::csrf::{self, CsrfOnly};
use super::super::gate::{CsrfForm, SignedIn};
use super::super::render;
use super::hosted::{self, Look};
use super::internal_error;
use super::signup::{TokenQuery, capitalise, link_invalid};
use crate::auth::abuse::AbuseError;
use crate::auth::mfa::Enrolment;
use crate::auth::session::Session;
use crate::state::AppState;
use crate::store::UserRow;
use crate::users::account::{self, AccountError, ProfileUpdate};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub struct SessionView {
    pub id: String,
    pub agent: String,
    pub created: String,
    pub method: String,
    pub ip: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub look: &'a Look,
    pub csrf_token: &'a str,
    pub section: &'a str,
    pub heading: &'a str,
    pub user: &'a UserRow,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub sessions: Vec<SessionView>,
    pub mfa_enabled: bool,
    pub recovery_left: i64,
    pub enrolment: Option<Enrolment>,
    pub enrol_action: &'a str,
}

pub struct Render<'a> {
    pub section: &'a str,
    pub status: StatusCode,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub enrolment: Option<Enrolment>,
}

fn heading(section: &str) -> &'static str {
    match section {
        "email" => "Email address",
        "password" => "Password",
        "mfa" => "Two-factor authentication",
        "sessions" => "Active sessions",
        _ => "Profile",
    }
}

fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

fn agent(ua: Option<&str>) -> String {
    let ua = ua.unwrap_or("");
    let browser = ["Edg/", "Firefox/", "Chrome/", "Safari/", "curl/", "python", "reqwest"]
        .iter()
        .find(|b| ua.contains(*b))
        .map(|b| b.trim_end_matches('/').replace("Edg", "Edge"))
        .unwrap_or_else(|| "Unknown browser".into());
    let os = ["Windows", "Mac OS", "Android", "iPhone", "Linux"]
        .iter()
        .find(|o| ua.contains(*o))
        .map(|o| format!(" on {o}"))
        .unwrap_or_default();
    format!("{browser}{os}")
}

pub async fn render_account(req: &HttpRequest, state: &AppState, session: &Session, user: &UserRow, r: Render<'_>) -> HttpResponse {
    let a = hosted::admin(state).await;
    let (mfa_enabled, recovery_left, sessions) = match load_extras(state, session, user, r.section).await {
        Ok(v) => v,
        Err(e) => return internal_error(&e),
    };
    let token = csrf::issue(req, state);
    let page = AccountPage {
        look: &Look::from(&a),
        csrf_token: &token.form_value,
        section: r.section,
        heading: heading(r.section),
        user,
        notice: r.notice,
        error: r.error,
        sessions,
        mfa_enabled,
        recovery_left,
        enrolment: r.enrolment,
        enrol_action: "/account/mfa/confirm",
    };
    render::page(r.status, &page, token.new_cookie.into_iter().collect())
}

async fn load_extras(
    state: &AppState,
    session: &Session,
    user: &UserRow,
    section: &str,
) -> Result<(bool, i64, Vec<SessionView>), crate::store::StoreError> {
    let mut out = (false, 0, Vec::new());
    if section == "mfa" {
        out.0 = state.store.user_mfa_enabled(&user.id).await?;
        out.1 = state.store.unused_recovery_codes(&user.id).await?;
    }
    if section == "sessions" {
        out.2 = state
            .store
            .sessions_for_user(&user.id, state.clock.now())
            .await?
            .into_iter()
            .map(|s| SessionView {
                current: s.id_hash == session.id_hash,
                agent: agent(s.user_agent.as_deref()),
                created: when(s.created_at),
                method: s.login_method.replace('_', " "),
                ip: s.ip,
                id: s.id_hash,
            })
            .collect();
    }
    Ok(out)
}

fn plain(section: &str) -> Render<'_> {
    Render { section, status: StatusCode::OK, notice: None, error: None, enrolment: None }
}

/// The query an email-confirmation link lands on, so the account page can say so.
pub const EMAIL_CONFIRMED: &str = "notice=email-confirmed";

async fn show(req: HttpRequest, state: web::Data<AppState>, who: SignedIn, section: &str) -> HttpResponse {
    let SignedIn { session: s, user: u } = who;
    if req.query_string() == EMAIL_CONFIRMED {
        let msg = format!("Email confirmed: {} is your verified address.", u.email);
        return render_account(&req, &state, &s, &u, Render { notice: Some(&msg), ..plain(section) }).await;
    }
    render_account(&req, &state, &s, &u, plain(section)).await
}

pub async fn profile(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    show(req, state, who, "profile").await
}

pub async fn email_page(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    show(req, state, who, "email").await
}

pub async fn password_page(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    show(req, state, who, "password").await
}

pub async fn sessions_page(req: HttpRequest, state: web::Data<AppState>, who: SignedIn) -> HttpResponse {
    show(req, state, who, "sessions").await
}

/// Renders the outcome of an account form: a notice on success, the error message otherwise.
async fn outcome(
    req: &HttpRequest,
    state: &AppState,
    s: &Session,
    u: &UserRow,
    section: &str,
    result: Result<String, AccountError>,
) -> HttpResponse {
    let (status, notice, error) = match result {
        Ok(n) => (StatusCode::OK, Some(n), None),
        Err(AccountError::RateLimited(AbuseError::RateLimited { retry_after })) => {
            (StatusCode::TOO_MANY_REQUESTS, None, Some(format!("Too many attempts. Wait {retry_after} seconds and try again.")))
        }
        Err(
            e @ (AccountError::Invalid(_)
            | AccountError::WrongPassword
            | AccountError::EmailUnavailable
            | AccountError::UsernameTaken
            | AccountError::LinkInvalid
            | AccountError::SignupClosed
            | AccountError::DomainNotAllowed),
        ) => (StatusCode::BAD_REQUEST, None, Some(capitalise(&e.to_string()))),
        Err(AccountError::User(crate::users::UserError::Password(p))) => return super::password_failure(&p),
        Err(
            e @ (AccountError::RateLimited(AbuseError::Store(_)) | AccountError::User(_) | AccountError::Email(_) | AccountError::Store(_)),
        ) => {
            return internal_error(&e);
        }
    };
    // Re-read the user so the page shows what was saved.
    let user = match state.store.user_by_id(&u.id).await {
        Ok(Some(fresh)) => fresh,
        Ok(None) => u.clone(),
        Err(e) => return internal_error(&e),
    };
    let r = Render { section, status, notice: notice.as_deref(), error: error.as_deref(), enrolment: None };
    render_account(req, state, s, &user, r).await
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    picture_url: String,
}

pub async fn profile_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> HttpResponse {
    let f = form;
    let update = ProfileUpdate { first_name: f.first_name, last_name: f.last_name, username: f.username, picture_url: f.picture_url };
    let result = account::update_profile(&state, &u.id, &update).await.map(|()| "Profile saved.".to_string());
    outcome(&req, &state, &s, &u, "profile", result).await
}

#[derive(Deserialize)]
pub struct EmailChangeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn email_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<EmailChangeForm>,
) -> HttpResponse {
    let result = account::request_email_change(&state, &u, &form.email, &form.password, s.auth_time)
        .await
        .map(|to| format!("We sent a confirmation link to {to}. Your address changes when you follow it."));
    outcome(&req, &state, &s, &u, "email", result).await
}

pub async fn email_confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    who: Option<SignedIn>,
    query: web::Query<TokenQuery>,
) -> HttpResponse {
    let look = Look::from(&hosted::admin(&state).await);
    match account::confirm_email_change(&state, &query.token).await {
        Ok(user) => {
            let msg = format!("Your email address is now {}.", user.email);
            match who {
                Some(SignedIn { session, user: u }) if u.id == user.id => {
                    let r = Render { section: "email", status: StatusCode::OK, notice: Some(&msg), error: None, enrolment: None };
                    render_account(&req, &state, &session, &u, r).await
                }
                _ => hosted::notice(StatusCode::OK, &look, "Email address changed", &msg, Some(("/login", "Sign in"))),
            }
        }
        Err(AccountError::LinkInvalid) => link_invalid(&look, "confirmation", ("/account/email", "Try again")),
        Err(AccountError::EmailUnavailable) => hosted::notice(
            StatusCode::CONFLICT,
            &look,
            "Address not available",
            "That email address is already used by another account.",
            None,
        ),
        Err(e) => internal_error(&e),
    }
}

#[derive(Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<PasswordChangeForm>,
) -> HttpResponse {
    let result = account::change_password(&state, &u, &form.current_password, &form.new_password, &s.id_hash)
        .await
        .map(|()| "Password changed. Your other sessions were signed out.".to_string());
    outcome(&req, &state, &s, &u, "password", result).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    session: String,
}

pub async fn revoke_session(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> HttpResponse {
    let result = match crate::users::credentials::end_session(&state, &u.id, &form.session).await {
        Ok(true) => Ok("That session was signed out.".to_string()),
        Ok(false) => Err(AccountError::Invalid("that session no longer exists".into())),
        Err(e) => Err(AccountError::Store(e)),
    };
    outcome(&req, &state, &s, &u, "sessions", result).await
}

pub async fn revoke_others(
    req: HttpRequest,
    state: web::Data<AppState>,
    SignedIn { session: s, user: u }: SignedIn,
    CsrfForm(_): CsrfForm<CsrfOnly>,
) -> HttpResponse {
    let result = crate::users::credentials::end_other_sessions(&state, &u.id, &s.id_hash)
        .await
        .map(|n| format!("Signed out {n} other session(s)."))
        .map_err(AccountError::Store);
    outcome(&req, &state, &s, &u, "sessions", result).await
}

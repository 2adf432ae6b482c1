//! What happens after a first factor succeeds (password, magic link, email confirmation
//! link): either a session, or a pending MFA step (challenge, or enrolment when MFA is
//! required and the user has none). The pending step is a short-lived account token held in
//! a cookie, so no session exists until every factor passed.

use super::abuse;
use super::account_tokens::{self, MFA_DEVICE, MFA_ENROL_PENDING, MFA_PENDING, PlainToken};
use super::mfa::{self, GuardedRefusal, MfaError};
use super::session::{self, NewSession, SessionContext};
use crate::admin_settings::AdminSettings;
use crate::state::AppState;
use crate::store::{StoreError, UserRow};

pub const PASSWORD: &str = "password";
pub const MAGIC_LINK: &str = "magic_link";
pub const EMAIL_CONFIRMATION_LINK: &str = "email_confirmation_link";

/// A pending MFA step may take this long.
const PENDING_TTL: i64 = 600;

/// Where the browser goes once logged in.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Continuation {
    /// A parked OAuth authorization request.
    pub request: Option<String>,
    /// An explicit target (magic links minted with `redirect_to_url`).
    pub redirect: Option<String>,
}

impl Continuation {
    pub fn target(&self, look: &AdminSettings) -> String {
        if let Some(id) = &self.request {
            return format!("/oauth2/authorize/resume?{}", serde_urlencoded::to_string([("request", id)]).unwrap_or_default());
        }
        if let Some(r) = &self.redirect {
            return r.clone();
        }
        look.redirect_after_login.clone().unwrap_or_else(|| "/account".to_string())
    }
}

pub enum LoginStep {
    Session(NewSession),
    /// Ask for a TOTP or recovery code; the token goes in the pending-MFA cookie.
    Challenge(PlainToken),
    /// MFA is required and the user has none: enrol first.
    Enrol(PlainToken),
}

#[derive(Debug, thiserror::Error)]
pub enum MfaLoginError {
    #[error("this sign-in expired; start again")]
    Expired,
    #[error("that code is not correct")]
    WrongCode,
    #[error("too many attempts; locked until {0}")]
    Locked(i64),
    #[error(transparent)]
    RateLimited(abuse::AbuseError),
    #[error(transparent)]
    Mfa(MfaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn pending_payload(method: &str, cont: &Continuation) -> serde_json::Value {
    serde_json::json!({ "method": method, "request": cont.request, "redirect": cont.redirect })
}

fn continuation_of(row: &crate::store::AccountTokenRow) -> (String, Continuation) {
    (
        row.payload_str("method").unwrap_or_else(|| PASSWORD.to_string()),
        Continuation { request: row.payload_str("request"), redirect: row.payload_str("redirect") },
    )
}

async fn device_remembered(state: &AppState, user_id: &str, device: Option<&str>) -> Result<bool, StoreError> {
    let Some(device) = device else { return Ok(false) };
    Ok(account_tokens::peek(state, device, MFA_DEVICE).await?.is_some_and(|t| t.user_id == user_id))
}

/// The step after a successful first factor.
pub async fn after_first_factor(
    state: &AppState,
    look: &AdminSettings,
    user: &UserRow,
    method: &str,
    cont: &Continuation,
    device: Option<&str>,
    ctx: SessionContext<'_>,
) -> Result<LoginStep, StoreError> {
    if state.store.user_mfa_enabled(&user.id).await? {
        if !device_remembered(state, &user.id, device).await? {
            let t = account_tokens::issue(state, &user.id, MFA_PENDING, PENDING_TTL, &pending_payload(method, cont)).await?;
            return Ok(LoginStep::Challenge(t));
        }
    } else if look.require_mfa || state.store.user_in_org_requiring_mfa(&user.id, state.clock.now()).await? {
        let t = account_tokens::issue(state, &user.id, MFA_ENROL_PENDING, PENDING_TTL, &pending_payload(method, cont)).await?;
        return Ok(LoginStep::Enrol(t));
    }
    // Every factor the account needs is done: the login counts as a success.
    abuse::record_success(state, &user.email, ctx.ip).await?;
    Ok(LoginStep::Session(session::create(&state.store, &state.clock, state.lifetimes.get().session, &user.id, method, ctx).await?))
}

/// The user behind a pending MFA token (challenge or enrolment), without using it.
pub async fn pending_user(state: &AppState, pending: &str, purpose: &str) -> Result<Option<UserRow>, StoreError> {
    let Some(row) = account_tokens::peek(state, pending, purpose).await? else { return Ok(None) };
    state.store.user_by_id(&row.user_id).await.map(|u| u.filter(|u| u.enabled))
}

pub struct MfaLoginDone {
    pub session: NewSession,
    pub continuation: Continuation,
    /// Set when the user asked to remember this device.
    pub device: Option<PlainToken>,
}

/// Checks the code for a pending challenge. Wrong codes count towards the account lockout.
pub async fn complete_challenge(
    state: &AppState,
    look: &AdminSettings,
    pending: &str,
    code: &str,
    remember: bool,
    ip: Option<&str>,
    ctx: SessionContext<'_>,
) -> Result<MfaLoginDone, MfaLoginError> {
    let row = account_tokens::peek(state, pending, MFA_PENDING).await?.ok_or(MfaLoginError::Expired)?;
    let user = state.store.user_by_id(&row.user_id).await?.filter(|u| u.enabled).ok_or(MfaLoginError::Expired)?;
    match mfa::verify_guarded(state, look, &user, code, ip).await {
        Ok(()) => {}
        Err(GuardedRefusal::RateLimited(e)) => return Err(MfaLoginError::RateLimited(e)),
        Err(GuardedRefusal::Locked(until)) => {
            // A locked account's pending login ends: after the lockout, start again.
            account_tokens::consume(state, pending, MFA_PENDING).await?;
            return Err(MfaLoginError::Locked(until));
        }
        Err(GuardedRefusal::WrongCode) => return Err(MfaLoginError::WrongCode),
        Err(GuardedRefusal::Mfa(e)) => return Err(MfaLoginError::Mfa(e)),
    }
    let row = account_tokens::consume(state, pending, MFA_PENDING).await?.ok_or(MfaLoginError::Expired)?;
    abuse::record_success(state, &user.email, ip).await?;
    let (method, continuation) = continuation_of(&row);
    let session = session::create(&state.store, &state.clock, state.lifetimes.get().session, &user.id, &method, ctx).await?;
    let device = if remember {
        let ttl = look.remember_device_days * 24 * 3600;
        Some(account_tokens::issue(state, &user.id, MFA_DEVICE, ttl, &serde_json::json!({})).await?)
    } else {
        None
    };
    Ok(MfaLoginDone { session, continuation, device })
}

/// Finishes a required enrolment started at login: confirms the first code and logs in.
/// Like any completed login it needs an enabled account, ends the browser's previous
/// session (`previous_session`, the old cookie value: no fixation) and counts as a success
/// for the lockout. Returns the session, where to go, and the recovery codes to show once.
pub async fn complete_enrolment(
    state: &AppState,
    look: &AdminSettings,
    pending: &str,
    code: &str,
    ip: Option<&str>,
    ctx: SessionContext<'_>,
    previous_session: Option<&str>,
) -> Result<(NewSession, Continuation, Vec<String>), MfaLoginError> {
    let row = account_tokens::peek(state, pending, MFA_ENROL_PENDING).await?.ok_or(MfaLoginError::Expired)?;
    let user = state.store.user_by_id(&row.user_id).await?.filter(|u| u.enabled).ok_or(MfaLoginError::Expired)?;
    abuse::check_rate(state, look, abuse::Action::Mfa, ip, Some(&user.id)).await.map_err(MfaLoginError::RateLimited)?;
    let codes = match mfa::confirm(state, &user.id, code).await {
        Ok(codes) => codes,
        Err(MfaError::WrongCode) => return Err(MfaLoginError::WrongCode),
        Err(e) => return Err(MfaLoginError::Mfa(e)),
    };
    let row = account_tokens::consume(state, pending, MFA_ENROL_PENDING).await?.ok_or(MfaLoginError::Expired)?;
    abuse::record_success(state, &user.email, ip).await?;
    let (method, continuation) = continuation_of(&row);
    if let Some(old) = previous_session {
        session::end(&state.store, old).await?;
    }
    let session = session::create(&state.store, &state.clock, state.lifetimes.get().session, &user.id, &method, ctx).await?;
    Ok((session, continuation, codes))
}

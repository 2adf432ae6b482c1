//! "Confirm it's you": a signed-in user re-enters their password or a TOTP code before a
//! sensitive action. Checked under the same rate limits and lockout as a login, and audited.

use super::abuse::{self, AbuseError, Action};
use super::mfa::{self, GuardedRefusal, MfaError};
use super::session::{self, Session};
use crate::admin_settings::AdminSettings;
use crate::state::AppState;
use crate::store::{StoreError, UserRow};

#[derive(Debug, thiserror::Error)]
pub enum ReauthError {
    #[error("that is not correct")]
    Wrong,
    #[error("too many attempts; try again in {retry_after} seconds")]
    RateLimited { retry_after: i64 },
    #[error("too many failed attempts; the account is locked until {0}")]
    Locked(i64),
    #[error("this account has neither a password nor an authenticator app")]
    NoFactor,
    #[error(transparent)]
    Mfa(MfaError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] super::password::PasswordError),
}

/// What the user can confirm with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Factors {
    pub password: bool,
    pub totp: bool,
}

pub async fn factors(state: &AppState, user: &UserRow) -> Result<Factors, StoreError> {
    Ok(Factors { password: user.password_hash.is_some(), totp: state.store.user_mfa_enabled(&user.id).await? })
}

/// What the user typed: their password, or a code from their authenticator (or a recovery code).
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    Password(&'a str),
    Code(&'a str),
}

/// Checks the proof and, when it is right, marks the session as signed in now.
pub async fn confirm(
    state: &AppState,
    look: &AdminSettings,
    user: &UserRow,
    session: &Session,
    proof: Proof<'_>,
    ip: Option<&str>,
) -> Result<(), ReauthError> {
    let f = factors(state, user).await?;
    let now = state.clock.now();
    match proof {
        Proof::Code(code) if f.totp => match mfa::verify_guarded(state, look, user, code.trim(), ip).await {
            Ok(()) => {}
            Err(GuardedRefusal::RateLimited(AbuseError::RateLimited { retry_after })) => {
                return Err(ReauthError::RateLimited { retry_after });
            }
            Err(GuardedRefusal::RateLimited(AbuseError::Store(e))) => return Err(e.into()),
            Err(GuardedRefusal::Locked(until)) => return Err(ReauthError::Locked(until)),
            Err(GuardedRefusal::WrongCode) => return Err(ReauthError::Wrong),
            Err(GuardedRefusal::Mfa(e)) => return Err(ReauthError::Mfa(e)),
        },
        Proof::Password(password) if f.password => {
            abuse::check_rate(state, look, Action::Login, ip, Some(&user.email)).await.map_err(|e| match e {
                AbuseError::RateLimited { retry_after } => ReauthError::RateLimited { retry_after },
                AbuseError::Store(s) => s.into(),
            })?;
            if let Some(until) = abuse::locked_until(state, &user.email).await? {
                return Err(ReauthError::Locked(until));
            }
            if !state.hasher.verify(password, user.password_hash.as_deref()).await? {
                let event = super::audit::Event { actor: &user.id, action: "reauth.failed", subject: &user.id, ip };
                super::audit::record_event_quietly(&state.store, &state.clock, event, &serde_json::json!({})).await;
                if let Some(until) = abuse::record_failure(state, look, &user.email).await? {
                    return Err(ReauthError::Locked(until));
                }
                return Err(ReauthError::Wrong);
            }
        }
        Proof::Code(_) | Proof::Password(_) if !f.password && !f.totp => return Err(ReauthError::NoFactor),
        Proof::Code(_) | Proof::Password(_) => return Err(ReauthError::Wrong),
    }
    session::reauthenticated(&state.store, &state.clock, session).await?;
    let event = super::audit::Event { actor: &user.id, action: "reauth.succeeded", subject: &user.id, ip };
    super::audit::record_event(&state.store, &state.clock, event, &serde_json::json!({ "at": now })).await?;
    Ok(())
}

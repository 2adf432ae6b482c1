//! Abuse protection, counted in the database so every replica agrees: fixed-window rate
//! limits per client address and per account for each action, and per-address lockout after
//! repeated login failures. Lockouts are keyed by the normalised email whether or not an
//! account exists, so neither the message nor the timing tells an attacker which emails exist.

use crate::admin_settings::AdminSettings;
use crate::state::AppState;
use crate::store::StoreError;

const WINDOW: i64 = 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Login,
    Signup,
    MagicLink,
    Reset,
    Mfa,
    Verify,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Signup => "signup",
            Action::MagicLink => "magic_link",
            Action::Reset => "reset",
            Action::Mfa => "mfa",
            Action::Verify => "verify",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AbuseError {
    #[error("too many attempts; retry in {retry_after} seconds")]
    RateLimited { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Counts one attempt and refuses it when the address or the account is over its limit.
pub async fn check_rate(
    state: &AppState,
    look: &AdminSettings,
    action: Action,
    ip: Option<&str>,
    account: Option<&str>,
) -> Result<(), AbuseError> {
    let now = state.clock.now();
    let window_start = now - now.rem_euclid(WINDOW);
    let retry_after = window_start + WINDOW - now;
    if let Some(ip) = ip {
        let hits = state.store.hit_rate_limit(&format!("{}:ip:{ip}", action.name()), window_start).await?;
        if hits > look.rate_limit_ip_per_minute {
            return Err(AbuseError::RateLimited { retry_after });
        }
    }
    if let Some(account) = account.map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()) {
        let key = crate::crypto::sha256_hex(&account);
        let hits = state.store.hit_rate_limit(&format!("{}:acct:{key}", action.name()), window_start).await?;
        if hits > look.rate_limit_account_per_minute {
            return Err(AbuseError::RateLimited { retry_after });
        }
    }
    Ok(())
}

/// Unix time until which logins for this address are refused.
pub async fn locked_until(state: &AppState, email: &str) -> Result<Option<i64>, StoreError> {
    state.store.lockout_until(email, state.clock.now()).await
}

/// Records a failed login (password or MFA code); locks the address when it reaches the
/// threshold and returns the lock's end.
pub async fn record_failure(state: &AppState, look: &AdminSettings, email: &str) -> Result<Option<i64>, StoreError> {
    let now = state.clock.now();
    let failures = state.store.record_login_failure(email, now).await?;
    if failures < look.lockout_threshold {
        return Ok(None);
    }
    let until = now + look.lockout_seconds;
    state.store.lock_login(email, until, now).await?;
    super::audit::record_quietly(
        &state.store,
        &state.clock,
        "system",
        "login.locked",
        email,
        &serde_json::json!({ "failures": failures, "until": until }),
    )
    .await;
    Ok(Some(until))
}

pub async fn record_success(state: &AppState, email: &str) -> Result<(), StoreError> {
    if state.store.clear_login_failures(email, state.clock.now()).await? {
        super::audit::record_quietly(
            &state.store,
            &state.clock,
            "system",
            "login.unlocked",
            email,
            &serde_json::json!({ "by": "successful login" }),
        )
        .await;
    }
    Ok(())
}

/// An administrator's unlock; audited.
pub async fn unlock(state: &AppState, actor: &str, email: &str) -> Result<bool, StoreError> {
    let was_locked = state.store.clear_login_failures(email, state.clock.now()).await?;
    super::audit::record(&state.store, &state.clock, actor, "login.unlock", email, &serde_json::json!({ "was_locked": was_locked }))
        .await?;
    Ok(was_locked)
}

/// "in 14 minutes" for a lock ending at `until`.
pub fn retry_phrase(now: i64, until: i64) -> String {
    let secs = (until - now).max(1);
    if secs < 90 { format!("in {secs} seconds") } else { format!("in {} minutes", (secs + 59) / 60) }
}

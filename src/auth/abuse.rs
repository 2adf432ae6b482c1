//! Abuse protection, counted in the database so every replica agrees: fixed-window rate
//! limits per client address and per account for each action, and lockout after repeated
//! login failures. Lockouts are keyed by the normalised email whether or not an account
//! exists, so neither the message nor the timing tells an attacker which emails exist.
//!
//! A lockout must hurt the guesser, not the owner (OWASP's device cookies): failures are
//! counted per account *and* client. A browser that signed in to the account before carries a
//! device cookie bound to it and is counted on its own; any other client is counted by its
//! address, plus an account-wide count of unknown clients with a higher ceiling (guessing spread
//! over many addresses). So the owner on a known device, or on another network, still gets in
//! while the guesser is locked out; and the owner is emailed when the account is being guessed at.

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
    let ip_bucket = ip.map(|ip| (format!("{}:ip:{ip}", action.name()), look.rate_limit_ip_per_minute));
    let account_bucket = account
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
        .map(|a| (format!("{}:acct:{}", action.name(), crate::crypto::sha256_hex(&a)), look.rate_limit_account_per_minute));
    let limits: Vec<(String, i64)> = ip_bucket.into_iter().chain(account_bucket).collect();
    let buckets: Vec<&str> = limits.iter().map(|(b, _)| b.as_str()).collect();
    let hits = state.store.hit_rate_limits(&buckets, window_start).await?;
    if hits.iter().zip(&limits).any(|(n, (_, limit))| n > limit) {
        return Err(AbuseError::RateLimited { retry_after });
    }
    Ok(())
}

/// Failures older than this are forgotten.
pub const FAILURE_MEMORY: i64 = 24 * 3600;
/// The account-wide ceiling for unknown clients, as a multiple of the per-client threshold.
const ACCOUNT_CEILING_FACTOR: i64 = 4;
/// At most one "someone is guessing your password" email per account per this long.
const NOTICE_INTERVAL: i64 = 3600;
const ACCOUNT_WIDE: &str = "*";
/// How long a device cookie is kept by the browser.
pub const DEVICE_COOKIE_DAYS: i64 = 365;

/// Who is trying to sign in, as far as lockout is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginClient {
    /// A browser that signed in to this account before (its device cookie checks out).
    Device(String),
    /// Anyone else, known by address.
    Unknown { ip: String },
    /// Whoever is past the password and now guesses the second factor: they know the
    /// password, so wrong codes lock the account for every client, known devices included.
    SecondFactor,
}

const SECOND_FACTOR: &str = "mfa";

impl LoginClient {
    fn key(&self) -> String {
        match self {
            LoginClient::Device(id) => format!("device:{id}"),
            LoginClient::Unknown { ip } => format!("ip:{ip}"),
            LoginClient::SecondFactor => SECOND_FACTOR.to_string(),
        }
    }
}

fn device_mac(state: &AppState, user_id: &str, nonce: &str) -> String {
    crate::crypto::b64url(&crate::crypto::hmac_sha256(&state.master.derive("device-cookie"), format!("{user_id}:{nonce}").as_bytes()))
}

/// A new device cookie for a browser that just signed in as `user_id` (set at every login).
pub fn device_cookie(state: &AppState, user_id: &str) -> String {
    let nonce = crate::crypto::random_token(18);
    let mac = device_mac(state, user_id, &nonce);
    format!("{nonce}.{mac}")
}

/// Classifies a sign-in attempt for `email` (normalised): a device whose cookie was issued to
/// this account, or an unknown client. A cookie of another account counts for nothing.
pub async fn identify(state: &AppState, email: &str, ip: Option<&str>, device: Option<&str>) -> Result<LoginClient, StoreError> {
    if let Some((nonce, mac)) = device.and_then(|d| d.split_once('.'))
        && let Some(user) = state.store.user_by_email(email).await?
        && crate::crypto::constant_time_eq(device_mac(state, &user.id, nonce).as_bytes(), mac.as_bytes())
    {
        return Ok(LoginClient::Device(crate::crypto::sha256_hex(nonce)));
    }
    Ok(LoginClient::Unknown { ip: ip.unwrap_or("unknown").to_string() })
}

/// Unix time until which this client may not sign in to `email`.
pub async fn locked_until(state: &AppState, email: &str, client: &LoginClient) -> Result<Option<i64>, StoreError> {
    let own = client.key();
    // The account-wide lock holds unknown clients only; a known device looks at its own twice.
    let wide = match client {
        LoginClient::Device(_) | LoginClient::SecondFactor => own.as_str(),
        LoginClient::Unknown { .. } => ACCOUNT_WIDE,
    };
    state.store.lockout_until(email, [&own, wide, SECOND_FACTOR], state.clock.now()).await
}

/// Records a failed login (password or MFA code) by this client; locks the client when it
/// reaches the threshold (and every unknown client at the account-wide ceiling), and returns
/// the lock's end when this client is now locked out.
pub async fn record_failure(state: &AppState, look: &AdminSettings, email: &str, client: &LoginClient) -> Result<Option<i64>, StoreError> {
    let now = state.clock.now();
    let until = now + look.lockout_seconds;
    let mut locked = None;
    let mut counts = vec![(client.key(), look.lockout_threshold)];
    if let LoginClient::Unknown { .. } = client {
        counts.push((ACCOUNT_WIDE.to_string(), look.lockout_threshold.saturating_mul(ACCOUNT_CEILING_FACTOR)));
    }
    for (key, threshold) in counts {
        let failures = state.store.record_login_failure(email, &key, now, now - FAILURE_MEMORY).await?;
        if failures < threshold {
            continue;
        }
        state.store.lock_login(email, &key, until, now).await?;
        locked = Some(until);
        let scope = match client {
            _ if key == ACCOUNT_WIDE => "unknown clients",
            LoginClient::Device(_) => "device",
            LoginClient::Unknown { .. } => "address",
            LoginClient::SecondFactor => "every client (wrong second-factor codes)",
        };
        let detail = serde_json::json!({ "failures": failures, "until": until, "scope": scope });
        super::audit::record_quietly(&state.store, &state.clock, "system", "login.locked", email, &detail).await;
    }
    if locked.is_some() {
        warn_owner(state, email).await?;
    }
    Ok(locked)
}

/// Tells the account's owner (if the account exists) that someone is guessing at it, at most
/// once per `NOTICE_INTERVAL`. Mail goes out in the background (no timing signal).
async fn warn_owner(state: &AppState, email: &str) -> Result<(), StoreError> {
    if !state.store.claim_lockout_notice(email, state.clock.now(), NOTICE_INTERVAL).await? {
        return Ok(());
    }
    let Some(user) = state.store.user_by_email(email).await?.filter(|u| u.enabled) else { return Ok(()) };
    let (state, to) = (state.clone(), user.email.clone());
    tokio::spawn(async move {
        let reset = format!("{}/forgot-password", state.settings.issuer);
        let content = crate::email::action_email(
            "Someone is trying to sign in to your account",
            &[
                "We stopped repeated sign-in attempts with a wrong password or code for your account.",
                "If this was you, wait a few minutes and try again. If it was not, your password is still safe \
                 as long as nobody knows it; consider changing it. Browsers you signed in with before can still sign in.",
            ],
            "Change your password",
            &reset,
            "You receive this email because of activity on your account.",
        );
        if let Err(e) = crate::email::enqueue(&state, &to, &content).await {
            tracing::warn!(error = %e, "cannot queue the lockout notice");
        }
    });
    Ok(())
}

/// A whole login succeeded from this address: its count of failures is forgotten. A lock in
/// force stays (the success may have come from a known device behind the same address as the
/// guesser), and so does the account-wide count of unknown clients: the owner signing in must
/// not hand a guesser elsewhere a fresh allowance.
pub async fn record_success(state: &AppState, email: &str, ip: Option<&str>) -> Result<(), StoreError> {
    let address = LoginClient::Unknown { ip: ip.unwrap_or("unknown").to_string() }.key();
    state.store.forget_unlocked_failures(email, [&address, SECOND_FACTOR], state.clock.now()).await
}

/// An administrator's unlock; audited.
pub async fn unlock(state: &AppState, actor: &str, email: &str) -> Result<bool, StoreError> {
    let was_locked = state.store.clear_all_login_failures(email, state.clock.now()).await?;
    super::audit::record(&state.store, &state.clock, actor, "login.unlock", email, &serde_json::json!({ "was_locked": was_locked }))
        .await?;
    Ok(was_locked)
}

/// "in 14 minutes" for a lock ending at `until`.
pub fn retry_phrase(now: i64, until: i64) -> String {
    let secs = (until - now).max(1);
    if secs < 90 { format!("in {secs} seconds") } else { format!("in {} minutes", (secs + 59) / 60) }
}

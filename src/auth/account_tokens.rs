//! Random single-use tokens bound to a user: email verification, password reset, email change,
//! pending MFA logins, remembered devices. Only their SHA-256 is stored.

use crate::crypto;
use crate::state::AppState;
use crate::store::{AccountTokenRow, StoreError};

pub const VERIFY_EMAIL: &str = "verify_email";
pub const RESET_PASSWORD: &str = "reset_password";
pub const CHANGE_EMAIL: &str = "change_email";
pub const MFA_PENDING: &str = "mfa_pending";
pub const MFA_ENROL_PENDING: &str = "mfa_enrol_pending";
pub const MFA_DEVICE: &str = "mfa_device";

/// A token as shown once to its holder. `Debug` hides it.
pub struct PlainToken(pub String);

impl std::fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainToken(<redacted>)")
    }
}

pub async fn issue(
    state: &AppState,
    user_id: &str,
    purpose: &str,
    ttl: i64,
    payload: &serde_json::Value,
) -> Result<PlainToken, StoreError> {
    let secret = crypto::random_secret();
    let now = state.clock.now();
    state
        .store
        .insert_account_token(&AccountTokenRow {
            token_hash: crypto::sha256_hex(&secret),
            purpose: purpose.to_string(),
            user_id: user_id.to_string(),
            payload: payload.to_string(),
            created_at: now,
            expires_at: now + ttl,
            used_at: None,
        })
        .await?;
    Ok(PlainToken(secret))
}

/// Looks a token up without using it (a GET that only shows a form must not burn the link).
pub async fn peek(state: &AppState, secret: &str, purpose: &str) -> Result<Option<AccountTokenRow>, StoreError> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    state.store.live_account_token(&crypto::sha256_hex(secret), purpose, state.clock.now()).await
}

/// Uses a token; `None` if it was used, expired or never existed.
pub async fn consume(state: &AppState, secret: &str, purpose: &str) -> Result<Option<AccountTokenRow>, StoreError> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    state.store.use_account_token(&crypto::sha256_hex(secret), purpose, state.clock.now()).await
}

impl AccountTokenRow {
    pub fn payload_str(&self, key: &str) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(&self.payload).ok()?.get(key)?.as_str().map(str::to_string)
    }
}

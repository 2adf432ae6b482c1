//! First-run set-up: the one-time link printed at start-up creates the first admin. The link
//! is taken before the account is created, so two submissions cannot both create an admin; a
//! refused account gives the link back.

use crate::crypto;
use crate::state::AppState;
use crate::store::{OneTimeTokenRow, StoreError, UserRow};
use crate::users::{self, CreateUser, UserError};

pub const SETUP_PURPOSE: &str = "admin_setup";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("this set-up link was already used or has expired")]
    LinkInvalid,
    /// The email or password was refused; the link can be used again.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    User(UserError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn link_is_live(state: &AppState, token: &str) -> Result<bool, StoreError> {
    Ok(state.store.live_one_time_token(&crypto::sha256_hex(token), SETUP_PURPOSE, state.clock.now()).await?.is_some())
}

/// Creates the first admin (email verified) with the set-up link `token`.
pub async fn create_first_admin(state: &AppState, token: &str, email: &str, password: &str) -> Result<UserRow, SetupError> {
    let checked = match users::normalize_email(email) {
        Ok(normal) => users::check_new_password(&state.store, password, &users::Personal::email(&normal)).await,
        Err(e) => Err(e),
    };
    if let Err(e) = checked {
        return Err(SetupError::Refused(e.to_string()));
    }
    let token_hash = crypto::sha256_hex(token);
    if !state.store.use_one_time_token(&token_hash, SETUP_PURPOSE, state.clock.now()).await? {
        return Err(SetupError::LinkInvalid);
    }
    let input = CreateUser {
        email: email.to_string(),
        password: Some(password.to_string()),
        email_verified: true,
        is_admin: true,
        ..Default::default()
    };
    match users::create(&state.store, &state.hasher, &state.clock, input).await {
        Ok(id) => {
            crate::auth::audit::record(&state.store, &state.clock, &id, "admin.setup", &id, &serde_json::json!({})).await?;
            state.store.user_by_id(&id).await?.ok_or(SetupError::Store(StoreError::NotFound))
        }
        Err(e @ (UserError::Invalid(_) | UserError::WeakPassword(_) | UserError::EmailTaken | UserError::UsernameTaken)) => {
            state.store.release_one_time_token(&token_hash, SETUP_PURPOSE).await?;
            Err(SetupError::Refused(e.to_string()))
        }
        Err(e @ (UserError::Password(_) | UserError::Store(_))) => Err(SetupError::User(e)),
    }
}

/// A one-time set-up link when no admin exists yet.
pub async fn announce_link(state: &AppState) -> Result<Option<String>, StoreError> {
    if state.store.count_admins().await? > 0 {
        return Ok(None);
    }
    let token = crypto::random_secret();
    let now = state.clock.now();
    state
        .store
        .insert_one_time_token(&OneTimeTokenRow {
            token_hash: crypto::sha256_hex(&token),
            purpose: SETUP_PURPOSE.into(),
            subject: None,
            created_at: now,
            expires_at: now + 24 * 3600,
            used_at: None,
        })
        .await?;
    Ok(Some(format!("{}/setup?token={token}", state.settings.issuer)))
}

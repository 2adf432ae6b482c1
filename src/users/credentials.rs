//! What a credential change retires (issue 11 items 9-11). One place, so the hosted pages,
//! the backend API and the CLI end the same things: a thief holding a session, an OIDC
//! refresh or access token, a reset link, a magic link or a pending MFA step from before the
//! change loses it.

use crate::auth::account_tokens::{CHANGE_EMAIL, MFA_DEVICE, MFA_ENROL_PENDING, MFA_PENDING, RESET_PASSWORD};
use crate::state::AppState;
use crate::store::{StoreError, UserRow};

/// After the password was set, changed, reset or cleared: ends every session but
/// `keep_session` (a session-id hash; `None` ends all), revokes every OIDC grant of the user
/// (their refresh and access tokens die with it), forgets devices remembered for MFA, and
/// retires pending email changes, outstanding reset links and magic links.
pub async fn password_changed(state: &AppState, user: &UserRow, keep_session: Option<&str>) -> Result<(), StoreError> {
    let now = state.clock.now();
    match keep_session {
        Some(keep) => state.store.delete_other_sessions(&user.id, keep).await?,
        None => state.store.delete_user_sessions(&user.id).await?,
    };
    state.store.revoke_user_grants(&user.id, now).await?;
    for purpose in [MFA_DEVICE, CHANGE_EMAIL, RESET_PASSWORD] {
        state.store.retire_account_tokens(&user.id, purpose, now).await?;
    }
    state.store.retire_magic_links(&user.email, now).await?;
    Ok(())
}

/// "Sign out other sessions": ends them and revokes the OIDC grants they created.
pub async fn end_other_sessions(state: &AppState, user_id: &str, keep_session: &str) -> Result<u64, StoreError> {
    let ended = state.store.delete_other_sessions(user_id, keep_session).await?;
    state.store.revoke_other_session_grants(user_id, keep_session, state.clock.now()).await?;
    Ok(ended)
}

/// Ends one of the user's sessions and the grants it created; false if it was not theirs.
pub async fn end_session(state: &AppState, user_id: &str, session_hash: &str) -> Result<bool, StoreError> {
    let ended = state.store.delete_user_session(user_id, session_hash).await?;
    if ended {
        state.store.revoke_session_grants(user_id, session_hash, state.clock.now()).await?;
    }
    Ok(ended)
}

/// After a user was disabled: no session, grant or pending MFA step survives.
pub async fn user_disabled(state: &AppState, user_id: &str) -> Result<(), StoreError> {
    let now = state.clock.now();
    state.store.delete_user_sessions(user_id).await?;
    state.store.revoke_user_grants(user_id, now).await?;
    for purpose in [MFA_PENDING, MFA_ENROL_PENDING, RESET_PASSWORD] {
        state.store.retire_account_tokens(user_id, purpose, now).await?;
    }
    Ok(())
}

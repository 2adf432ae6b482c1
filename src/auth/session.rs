//! Login sessions: the cookie carries a random id, the database stores only its hash.

use crate::clock::Clock;
use crate::crypto;
use crate::store::{SessionRow, Store, StoreError};

#[derive(Clone, Debug)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub auth_time: i64,
    pub login_method: String,
}

/// A newly created session; `cookie_value` is shown once, to the browser.
pub struct NewSession {
    pub cookie_value: String,
    pub session: Session,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("session", &self.session).finish_non_exhaustive()
    }
}

pub struct SessionContext<'a> {
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub async fn create(
    store: &Store,
    clock: &Clock,
    ttl: i64,
    user_id: &str,
    login_method: &str,
    ctx: SessionContext<'_>,
) -> Result<NewSession, StoreError> {
    let now = clock.now();
    let cookie_value = crypto::random_secret();
    let row = SessionRow {
        id_hash: crypto::sha256_hex(&cookie_value),
        user_id: user_id.to_string(),
        auth_time: now,
        login_method: login_method.to_string(),
        created_at: now,
        expires_at: now + ttl,
        user_agent: ctx.user_agent.map(|s| s.chars().take(256).collect()),
        ip: ctx.ip.map(str::to_string),
    };
    store.insert_session(&row).await?;
    store.touch_user_activity(user_id, now).await?;
    // Every new session is a completed sign-in: the dashboard counts them per day.
    let event = super::audit::Event { actor: user_id, action: super::audit::LOGIN_SUCCEEDED, subject: user_id, ip: ctx.ip };
    super::audit::record_event_quietly(store, clock, event, &serde_json::json!({ "method": login_method })).await;
    Ok(NewSession {
        cookie_value,
        session: Session { id_hash: row.id_hash, user_id: row.user_id, auth_time: now, login_method: row.login_method },
    })
}

/// The live session behind a cookie value, if any; none for a disabled user (the one gate
/// every page, the authorization endpoint and the org pages go through).
pub async fn lookup(store: &Store, clock: &Clock, cookie_value: &str) -> Result<Option<Session>, StoreError> {
    let row = store.session_by_hash(&crypto::sha256_hex(cookie_value), clock.now()).await?;
    Ok(row.map(|r| Session { id_hash: r.id_hash, user_id: r.user_id, auth_time: r.auth_time, login_method: r.login_method }))
}

/// Marks the session as signed in again now (a re-entered password or TOTP code).
pub async fn reauthenticated(store: &Store, clock: &Clock, session: &Session) -> Result<(), StoreError> {
    store.set_session_auth_time(&session.id_hash, clock.now()).await
}

pub async fn end(store: &Store, cookie_value: &str) -> Result<(), StoreError> {
    store.delete_session(&crypto::sha256_hex(cookie_value)).await
}

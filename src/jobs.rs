//! Periodic clean-up of expired sessions, codes, parked requests and tokens.

use crate::clock::Clock;
use crate::store::Store;

/// How long a delivered email stays (sealed) in the outbox before it is deleted.
pub const SENT_EMAIL_RETENTION: i64 = 15 * 60;
/// How long a message given up on stays listed for administrators.
pub const FAILED_EMAIL_RETENTION: i64 = 30 * 24 * 3600;

pub fn spawn_cleanup(store: Store, clock: Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tick.tick().await;
            cleanup_once(&store, clock.now()).await;
        }
    })
}

/// One clean-up pass; every step is independent, a failure is logged and the rest go on.
pub async fn cleanup_once(store: &Store, now: i64) {
    if let Err(e) = store.purge_expired_sessions(now).await {
        tracing::warn!(error = %e, "session clean-up failed");
    }
    if let Err(e) = store.purge_expired_account_tokens(now).await {
        tracing::warn!(error = %e, "account token clean-up failed");
    }
    if let Err(e) = store.purge_sent_outbox(now - SENT_EMAIL_RETENTION).await {
        tracing::warn!(error = %e, "mail outbox clean-up failed");
    }
    if let Err(e) = store.purge_failed_outbox(now - FAILED_EMAIL_RETENTION).await {
        tracing::warn!(error = %e, "mail outbox clean-up failed");
    }
    if let Err(e) = store.purge_expired_oauth_state(now).await {
        tracing::warn!(error = %e, "token clean-up failed");
    }
    if let Err(e) = store.purge_stale_login_failures(now - crate::auth::abuse::FAILURE_MEMORY, now).await {
        tracing::warn!(error = %e, "login failure clean-up failed");
    }
    if let Err(e) = store.purge_rate_limit_counters(now - 3600).await {
        tracing::warn!(error = %e, "rate-limit counter clean-up failed");
    }
}

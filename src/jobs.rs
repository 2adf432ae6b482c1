//! Periodic clean-up of expired sessions, codes, parked requests and tokens.

use crate::clock::Clock;
use crate::store::Store;

pub fn spawn_cleanup(store: Store, clock: Clock) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = clock.now();
            if let Err(e) = store.purge_expired_sessions(now).await {
                tracing::warn!(error = %e, "session clean-up failed");
            }
            if let Err(e) = store.purge_expired_account_tokens(now).await {
                tracing::warn!(error = %e, "account token clean-up failed");
            }
            if let Err(e) = store.purge_sent_outbox(now - 7 * 24 * 3600).await {
                tracing::warn!(error = %e, "mail outbox clean-up failed");
            }
            if let Err(e) = store.purge_expired_oauth_state(now).await {
                tracing::warn!(error = %e, "token clean-up failed");
            }
            if let Err(e) = store.purge_rate_limit_counters(now - 3600).await {
                tracing::warn!(error = %e, "rate-limit counter clean-up failed");
            }
        }
    })
}

//! The audit log: who did what to whom (locks, unlocks, settings, MFA and password changes).

use crate::clock::Clock;
use crate::store::{Store, StoreError};

pub async fn record(
    store: &Store,
    clock: &Clock,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    store.insert_audit(&uuid::Uuid::new_v4().to_string(), clock.now(), actor, action, subject, &detail.to_string()).await
}

/// Like `record`, for events whose loss must not fail the user's request: logged instead.
pub async fn record_quietly(store: &Store, clock: &Clock, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) {
    if let Err(e) = record(store, clock, actor, action, subject, detail).await {
        tracing::error!(error = %e, action, "cannot write the audit log");
    }
}

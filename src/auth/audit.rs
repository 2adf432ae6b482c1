//! The audit log: who did what to whom, from where (sign-ins and their failures, locks,
//! settings, MFA and password changes, every admin action). Never a secret in it.

use crate::clock::Clock;
use crate::store::{AuditRow, Store, StoreError};

/// Sign-ins that created a session (every factor passed).
pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
/// Wrong passwords (and other refused first factors) on the hosted login.
pub const LOGIN_FAILED: &str = "login.failed";

/// One event to record; `actor` is a user id, `cli`, `backend-api` or `system`.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub ip: Option<&'a str>,
}

pub async fn record_event(store: &Store, clock: &Clock, e: Event<'_>, detail: &serde_json::Value) -> Result<(), StoreError> {
    let row = AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        at: clock.now(),
        actor: e.actor.to_string(),
        action: e.action.to_string(),
        subject: e.subject.to_string(),
        detail: detail.to_string(),
        ip: e.ip.map(str::to_string),
    };
    store.insert_audit_row(&row).await
}

pub async fn record(
    store: &Store,
    clock: &Clock,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    record_event(store, clock, Event { actor, action, subject, ip: None }, detail).await
}

/// Like `record`, for events whose loss must not fail the user's request: logged instead.
pub async fn record_quietly(store: &Store, clock: &Clock, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) {
    if let Err(e) = record(store, clock, actor, action, subject, detail).await {
        tracing::error!(error = %e, action, "cannot write the audit log");
    }
}

/// `record_event` for events whose loss must not fail the user's request.
pub async fn record_event_quietly(store: &Store, clock: &Clock, e: Event<'_>, detail: &serde_json::Value) {
    if let Err(err) = record_event(store, clock, e, detail).await {
        tracing::error!(error = %err, action = e.action, "cannot write the audit log");
    }
}

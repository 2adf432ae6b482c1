//! The background sender: claims due outbox rows (a lease, so replicas never send one message
//! twice at once), delivers them, and reschedules failures with exponential back-off. A message
//! that cannot succeed (bad recipient, unreadable body) or fails `MAX_ATTEMPTS` times is given up:
//! marked failed, its bodies dropped, and the failure written to the audit log.

use super::{Mailer, Transport};
use crate::state::AppState;
use crate::store::OutboxRow;
use lettre::AsyncTransport;
use lettre::message::{Message, MultiPart};

/// Attempts before a message is given up (and left in the table, marked failed, for an admin).
pub const MAX_ATTEMPTS: i64 = 10;
const LEASE_SECONDS: i64 = 120;

fn backoff(attempts: i64) -> i64 {
    (30_i64 << attempts.clamp(0, 7)).min(3600)
}

/// Why one delivery failed: `Permanent` failures are not retried.
enum Failure {
    Permanent(String),
    Transient(String),
}

fn build(state: &AppState, m: &OutboxRow) -> Result<(Message, String), String> {
    let to: lettre::message::Mailbox = m.to_addr.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let open =
        |body: &str| super::open_body(&state.master, body).ok_or_else(|| "the body cannot be opened with this master key".to_string());
    let (text, html) = (open(&m.text_body)?, open(&m.html_body)?);
    let message = Message::builder()
        .from(state.mailer.from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{}@gatehouse>", m.id)))
        .multipart(MultiPart::alternative_plain_html(text.clone(), html))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    Ok((message, text))
}

fn links(text: &str) -> Vec<&str> {
    text.split_whitespace().filter(|w| w.starts_with("http://") || w.starts_with("https://")).collect()
}

async fn deliver(state: &AppState, m: &OutboxRow) -> Result<(), Failure> {
    let (message, text) = build(state, m).map_err(Failure::Permanent)?;
    deliver_built(&state.mailer, m, message, &text).await.map_err(Failure::Transient)
}

async fn deliver_built(mailer: &Mailer, m: &OutboxRow, message: Message, text: &str) -> Result<(), String> {
    match &*mailer.transport {
        Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| format!("SMTP: {e}")),
        Transport::Outbox(dir) => {
            // Messages carry live links: the directory is the owner's only.
            crate::store::create_private_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let path = dir.join(format!("{}.eml", m.id));
            tokio::fs::write(&path, message.formatted()).await.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(to = %m.to_addr, subject = %m.subject, file = %path.display(), links = ?links(text), "email written to the dev outbox");
            Ok(())
        }
    }
}

/// Sends everything due now; returns how many went out.
pub async fn deliver_due(state: &AppState) -> usize {
    let now = state.clock.now();
    let ids = match state.store.due_outbox_ids(now, 50).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            return 0;
        }
    };
    let mut sent = 0;
    for id in ids {
        let m = match state.store.claim_outbox(&id, state.clock.now(), LEASE_SECONDS).await {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim an outbox message");
                continue;
            }
        };
        let now = state.clock.now();
        let result = match deliver(state, &m).await {
            Ok(()) => {
                sent += 1;
                state.store.mark_outbox_sent(&m.id, now).await
            }
            Err(failure) => {
                let attempts = m.attempts + 1;
                let (error, permanent) = match failure {
                    Failure::Permanent(e) => (e, true),
                    Failure::Transient(e) => (e, false),
                };
                if permanent || attempts >= MAX_ATTEMPTS {
                    tracing::error!(id = %m.id, attempts, %error, "email delivery failed; giving up");
                    crate::auth::audit::record_quietly(
                        &state.store,
                        &state.clock,
                        "system",
                        "email.failed",
                        &m.to_addr,
                        &serde_json::json!({ "id": m.id, "subject": m.subject, "attempts": attempts, "error": error }),
                    )
                    .await;
                    state.store.mark_outbox_given_up(&m.id, &error, now).await
                } else {
                    let at = now + backoff(attempts);
                    tracing::warn!(id = %m.id, attempts, %error, retry_in = at - now, "email delivery failed; will retry");
                    state.store.mark_outbox_retry(&m.id, &error, at).await
                }
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot record an email delivery result");
        }
    }
    sent
}

pub fn spawn_sender(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            deliver_due(&state).await;
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), state.mailer.wake.notified()).await;
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(super::backoff(1), 60);
        assert_eq!(super::backoff(3), 240);
        assert_eq!(super::backoff(9), 3600);
    }
}

//! The mail outbox: bodies sealed at rest, sent rows purged promptly, undeliverable mail given
//! up after a bounded number of tries and shown to administrators.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::email::{action_email, deliver_due, enqueue, failed_deliveries};
use gatehouse::store::DeliveryStatus;

const LINK: &str = "http://localhost:8080/reset-password?token=live-token-4f1c2a";

async fn queue_reset(app: &TestApp, to: &str) {
    let content = action_email("Reset your password", &["Someone asked to reset your password."], "Reset", LINK, "Not you? Ignore this.");
    enqueue(&app.state, to, &content).await.expect("queued");
}

/// Runs the sender until `done` holds for the newest message to `to` (bounded).
async fn deliver_until(
    app: &TestApp,
    to: &str,
    advance: i64,
    done: impl Fn(&gatehouse::store::OutboxRow) -> bool,
) -> gatehouse::store::OutboxRow {
    for _ in 0..200 {
        let mine = app.state.store.outbox_messages(100).await.expect("outbox").into_iter().find(|m| m.to_addr == to);
        if let Some(m) = mine.filter(|m| done(m)) {
            return m;
        }
        app.clock.advance(advance);
        deliver_due(&app.state).await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the message to {to} never reached the expected state");
}

both_backends! {
    async fn outbox_bodies_are_sealed_and_sent_mail_is_purged(backend: Backend) {
        let app = spawn_app(backend).await;
        queue_reset(&app, "alice@example.com").await;
        // What a database reader sees: no usable link, in either body.
        let raw = app.state.store.outbox_messages(10).await.expect("outbox");
        assert_eq!(raw.len(), 1);
        for body in [&raw[0].text_body, &raw[0].html_body] {
            assert!(!body.contains("live-token-4f1c2a") && body.starts_with("v1:"), "sealed at rest: {body}");
        }
        // The sender (and the admin view) open them with the master key.
        let opened = app.email_to("alice@example.com", 1).await;
        assert!(opened.text_body.contains(LINK) && opened.html_body.contains("live-token-4f1c2a"));
        let sent = deliver_until(&app, "alice@example.com", 0, |m| m.status() == DeliveryStatus::Sent).await;
        // Kept a few minutes (sealed), then purged by the periodic clean-up.
        let sent_at = sent.sent_at.expect("sent");
        gatehouse::jobs::cleanup_once(&app.state.store, sent_at + 60).await;
        assert_eq!(app.state.store.outbox_messages(10).await.expect("outbox").len(), 1);
        gatehouse::jobs::cleanup_once(&app.state.store, sent_at + gatehouse::jobs::SENT_EMAIL_RETENTION + 1).await;
        assert!(app.state.store.outbox_messages(10).await.expect("outbox").is_empty(), "sent mail purged");
    }

    async fn undeliverable_mail_is_given_up_and_shown_to_admins(backend: Backend) {
        // Nothing listens on port 1: every attempt fails at once.
        let app = spawn_app_with(backend, &[("GATEHOUSE_SMTP_URL", "smtp://127.0.0.1:1?tls=none")]).await;
        queue_reset(&app, "alice@example.com").await;
        let failed = deliver_until(&app, "alice@example.com", 3601, |m| m.status() == DeliveryStatus::Failed).await;
        assert_eq!(failed.attempts, gatehouse::email::MAX_ATTEMPTS, "a bounded number of tries");
        assert!(failed.text_body.is_empty() && failed.html_body.is_empty(), "the bodies are dropped");
        // No further tries.
        app.clock.advance(24 * 3600);
        deliver_due(&app.state).await;
        let listed = failed_deliveries(&app.state, 10).await.expect("failed list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].to_addr, "alice@example.com");
        assert_eq!(listed[0].attempts, gatehouse::email::MAX_ATTEMPTS);
        assert!(listed[0].last_error.as_deref().unwrap_or("").contains("SMTP"), "{:?}", listed[0].last_error);
        let audit = app.state.store.audit_entries(50).await.expect("audit");
        assert!(audit.iter().any(|(_, _, action, subject, _)| action == "email.failed" && subject == "alice@example.com"), "{audit:?}");
        assert!(audit.iter().all(|(_, _, _, _, detail)| !detail.contains("live-token")), "no link in the audit log");

        // A message that can never succeed is given up at the first try.
        queue_reset(&app, "not an address").await;
        let bad = deliver_until(&app, "not an address", 0, |m| m.status() == DeliveryStatus::Failed).await;
        assert_eq!(bad.attempts, 1);
        assert!(bad.last_error.as_deref().unwrap_or("").contains("recipient"));

        // Listed for a month, then purged.
        let now = app.clock.now();
        gatehouse::jobs::cleanup_once(&app.state.store, now + gatehouse::jobs::FAILED_EMAIL_RETENTION + 1).await;
        assert!(failed_deliveries(&app.state, 10).await.expect("failed list").is_empty());
    }
}

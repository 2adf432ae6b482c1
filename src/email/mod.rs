//! Outgoing mail. Every message is rendered (askama, HTML and plain text), written to the
//! `email_outbox` table, and delivered by a background task with retries, so a failed SMTP
//! server never loses a request. Bodies carry live links (reset, verification, magic links), so
//! they are sealed with the master key: a database reader cannot use them. Sent rows are purged
//! soon after delivery; a message that cannot be delivered is given up after a bounded number
//! of tries, its bodies dropped, and the failure kept (and audited) for administrators. Delivery goes through lettre: SMTP with STARTTLS (`smtp://`)
//! or implicit TLS (`smtps://`), or, with no GATEHOUSE_SMTP_URL, `.eml` files in
//! `<data dir>/outbox/` with the links logged.

mod sender;

pub use sender::{MAX_ATTEMPTS, deliver_due, spawn_sender};

use crate::settings::Settings;
use crate::state::AppState;
use crate::store::{OutboxRow, StoreError};
use askama::Template;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("GATEHOUSE_SMTP_URL: {0}")]
    Config(String),
    #[error("GATEHOUSE_EMAIL_FROM: `{0}` is not a valid mailbox")]
    From(String),
    #[error("cannot render the email: {0}")]
    Render(#[from] askama::Error),
    #[error("cannot seal the email: {0}")]
    Seal(#[from] crate::crypto::CryptoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development default: write `.eml` files here.
    Outbox(PathBuf),
}

#[derive(Clone)]
pub struct Mailer {
    pub(crate) transport: Arc<Transport>,
    pub(crate) from: Mailbox,
    /// Pokes the sender so new mail goes out at once instead of at the next tick.
    pub(crate) wake: Arc<Notify>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match *self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Outbox(_) => "outbox",
        };
        f.debug_struct("Mailer").field("transport", &kind).field("from", &self.from.to_string()).finish()
    }
}

/// `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465` (implicit TLS). For a local
/// test relay without TLS add `?tls=none`; `?tls=opportunistic` uses STARTTLS when offered.
pub fn smtp_transport(raw: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailError> {
    let url = url::Url::parse(raw).map_err(|_| EmailError::Config("not a URL".into()))?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| EmailError::Config("no host".into()))?;
    let tls_mode = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let tls_params = || {
        lettre::transport::smtp::client::TlsParameters::new(host.to_string()).map_err(|e| EmailError::Config(format!("TLS set-up: {e}")))
    };
    use lettre::transport::smtp::client::Tls;
    let (tls, default_port) = match (url.scheme(), tls_mode.as_deref()) {
        ("smtps", None | Some("implicit")) => (Tls::Wrapper(tls_params()?), 465),
        ("smtp", None | Some("required")) => (Tls::Required(tls_params()?), 587),
        ("smtp", Some("opportunistic")) => (Tls::Opportunistic(tls_params()?), 587),
        ("smtp", Some("none")) => (Tls::None, 25),
        (scheme, mode) => return Err(EmailError::Config(format!("unsupported combination {scheme}:// with tls={}", mode.unwrap_or("")))),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(url.port().unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if !url.username().is_empty() {
        let decode =
            |s: &str| url::form_urlencoded::parse(format!("v={}", s.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned());
        let user = decode(url.username()).unwrap_or_default();
        let pass = decode(url.password().unwrap_or("")).unwrap_or_default();
        builder = builder.credentials(Credentials::new(user, pass));
    }
    Ok(builder.build())
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> Result<Self, EmailError> {
        let from: Mailbox = settings.email_from.parse().map_err(|_| EmailError::From(settings.email_from.clone()))?;
        let transport = match &settings.smtp_url {
            Some(url) => Transport::Smtp(smtp_transport(url.expose())?),
            None => Transport::Outbox(settings.data_dir.join("outbox")),
        };
        Ok(Self { transport: Arc::new(transport), from, wake: Arc::new(Notify::new()) })
    }
}

/// What one email says. Every email shares one layout (templates/email/message.{html,txt}).
pub struct EmailContent {
    pub subject: String,
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub action: Option<(String, String)>,
    pub footer: String,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlEmail<'a> {
    c: &'a EmailContent,
    product_name: &'a str,
    primary_color: &'a str,
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextEmail<'a> {
    c: &'a EmailContent,
    product_name: &'a str,
}

/// Renders and stores one email for delivery. Returns once it is safely in the outbox.
pub async fn enqueue(state: &AppState, to: &str, content: &EmailContent) -> Result<(), EmailError> {
    let look = crate::admin_settings::load(&state.store).await?;
    let html = HtmlEmail { c: content, product_name: &look.product_name, primary_color: &look.primary_color }.render()?;
    let text = TextEmail { c: content, product_name: &look.product_name }.render()?;
    let now = state.clock.now();
    let row = OutboxRow {
        // Time-ordered (and monotonic within a process), so listings keep the order mail was queued in.
        id: uuid::Uuid::now_v7().to_string(),
        to_addr: to.to_string(),
        subject: format!("{} · {}", content.subject, look.product_name),
        text_body: state.master.encrypt(text.as_bytes())?,
        html_body: state.master.encrypt(html.as_bytes())?,
        created_at: now,
        attempts: 0,
        next_attempt_at: now,
        sent_at: None,
        failed_at: None,
        last_error: None,
    };
    state.store.insert_outbox(&row).await?;
    state.mailer.wake.notify_one();
    Ok(())
}

/// A stored body in clear: sealed bodies are opened; rows queued before bodies were sealed
/// are plain text. `None` when the master key cannot open it.
pub(crate) fn open_body(master: &crate::crypto::MasterKey, stored: &str) -> Option<String> {
    if !stored.starts_with("v1:") {
        return Some(stored.to_string());
    }
    master.decrypt(stored).ok().and_then(|b| String::from_utf8(b).ok())
}

/// The newest `limit` messages with their bodies opened (tests and the admin dashboard).
pub async fn outbox_messages(state: &AppState, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
    let mut rows = state.store.outbox_messages(limit).await?;
    for m in &mut rows {
        m.text_body = open_body(&state.master, &m.text_body).unwrap_or_default();
        m.html_body = open_body(&state.master, &m.html_body).unwrap_or_default();
    }
    Ok(rows)
}

/// Messages given up on (newest first), for administrators: recipient, subject, tries, error.
pub async fn failed_deliveries(state: &AppState, limit: i64) -> Result<Vec<crate::store::FailedEmail>, StoreError> {
    state.store.failed_outbox(limit).await
}

/// Builds a standard one-button email.
pub fn action_email(subject: &str, paragraphs: &[&str], label: &str, link: &str, footer: &str) -> EmailContent {
    EmailContent {
        subject: subject.to_string(),
        heading: subject.to_string(),
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        action: Some((label.to_string(), link.to_string())),
        footer: footer.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The pooled transport spawns its reaper on the tokio runtime, so build it inside one.
    #[tokio::test]
    async fn smtp_urls_choose_the_tls_mode() {
        assert!(smtp_transport("smtp://u:p@mail.example.com:587").is_ok());
        assert!(smtp_transport("smtps://u:p@mail.example.com").is_ok());
        assert!(smtp_transport("smtp://127.0.0.1:2525?tls=none").is_ok());
        assert!(smtp_transport("smtps://mail.example.com?tls=none").is_err());
        assert!(smtp_transport("smtp://").is_err());
    }
}

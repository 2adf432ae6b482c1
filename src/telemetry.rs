//! tracing subscriber: `GATEHOUSE_LOG` filter, pretty or JSON lines, to stderr so CLI
//! commands keep stdout for their one JSON object.
//!
//! Malformed HTTP from anonymous clients (garbage on the socket, oversized heads) is logged by
//! actix at error level; it is the client's fault, not ours, and a scanner could flood the log
//! with it. Those events are taken out of the output and re-logged as one rate-limited warning
//! a minute (with the count), the rest at debug.

use crate::settings::{LogFormat, Settings};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

pub fn init(settings: &Settings) {
    // sqlx logs every Postgres NOTICE (e.g. "relation already exists, skipping") at info.
    let directives = if settings.log.contains("sqlx") { settings.log.clone() } else { format!("{},sqlx=warn", settings.log) };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let fmt = match settings.log_format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Pretty => fmt.boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(MalformedHttp::default())
        .with(fmt.with_filter(filter_fn(|meta| !is_malformed_http(meta.target(), *meta.level()))))
        .try_init();
    for w in &settings.warnings {
        tracing::warn!("{w}");
    }
}

/// actix's reports of a client's broken HTTP/1 stream.
fn is_malformed_http(target: &str, level: Level) -> bool {
    level == Level::ERROR && target.starts_with("actix_http::h1")
}

/// Re-logs malformed-HTTP events: one warning per `EVERY` with the count, the rest at debug.
#[derive(Default)]
struct MalformedHttp {
    /// (when the last warning went out, events since then).
    last: Mutex<Option<(Instant, u64)>>,
}

const EVERY: Duration = Duration::from_secs(60);

struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for MalformedHttp {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !is_malformed_http(event.metadata().target(), *event.metadata().level()) {
            return;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let now = Instant::now();
        let warn_now = {
            let Ok(mut last) = self.last.lock() else { return };
            match *last {
                Some((at, n)) if now.duration_since(at) < EVERY => {
                    *last = Some((at, n + 1));
                    None
                }
                Some((_, n)) => {
                    *last = Some((now, 0));
                    Some(n + 1)
                }
                None => {
                    *last = Some((now, 0));
                    Some(1)
                }
            }
        };
        match warn_now {
            Some(count) => {
                tracing::warn!(target: "gatehouse::http", count, detail = %message.0, "malformed HTTP from clients (one line a minute)")
            }
            None => tracing::debug!(target: "gatehouse::http", detail = %message.0, "malformed HTTP from a client"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_actix_client_stream_errors_are_demoted() {
        assert!(is_malformed_http("actix_http::h1::dispatcher", Level::ERROR));
        assert!(is_malformed_http("actix_http::h1::decoder", Level::ERROR));
        assert!(!is_malformed_http("actix_http::h1::dispatcher", Level::WARN));
        assert!(!is_malformed_http("gatehouse::web", Level::ERROR));
    }
}

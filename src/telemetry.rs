//! tracing subscriber: `GATEHOUSE_LOG` filter, pretty or JSON lines, to stderr so CLI
//! commands keep stdout for their one JSON object.

use crate::settings::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

pub fn init(settings: &Settings) {
    // sqlx logs every Postgres NOTICE (e.g. "relation already exists, skipping") at info.
    let directives = if settings.log.contains("sqlx") { settings.log.clone() } else { format!("{},sqlx=warn", settings.log) };
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    for w in &settings.warnings {
        tracing::warn!("{w}");
    }
}

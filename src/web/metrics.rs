//! Prometheus text metrics: request counts by status class and process uptime.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct Metrics {
    started: std::time::Instant,
    by_class: [AtomicU64; 5],
}

impl Default for Metrics {
    fn default() -> Self {
        Self { started: std::time::Instant::now(), by_class: Default::default() }
    }
}

impl Metrics {
    pub fn record(&self, status: u16) {
        let class = usize::from((status / 100).clamp(1, 5)) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP gatehouse_http_requests_total HTTP requests answered, by status class.\n# TYPE gatehouse_http_requests_total counter\n",
        );
        for (i, c) in self.by_class.iter().enumerate() {
            out.push_str(&format!("gatehouse_http_requests_total{{class=\"{}xx\"}} {}\n", i + 1, c.load(Ordering::Relaxed)));
        }
        out.push_str("# HELP gatehouse_uptime_seconds Seconds since the process started.\n# TYPE gatehouse_uptime_seconds gauge\n");
        out.push_str(&format!("gatehouse_uptime_seconds {}\n", self.started.elapsed().as_secs()));
        out
    }
}

/// Who may read `/metrics`: a request with the configured bearer token, or one whose client
/// address (after trusted proxies, see `net::client_ip`) is in `metrics_allow`. A request that
/// came through a proxy Gatehouse does not trust (it carries `X-Forwarded-For` or
/// `Forwarded`) is never admitted by address: behind an untrusted local proxy the peer would
/// be loopback for everyone.
pub fn metrics_allowed(
    settings: &crate::settings::Settings,
    peer: Option<std::net::IpAddr>,
    forwarded_for: Option<&str>,
    forwarded: bool,
    bearer: Option<&str>,
) -> bool {
    if let (Some(expected), Some(given)) = (&settings.metrics_token, bearer) {
        return crate::crypto::constant_time_eq(expected.expose().as_bytes(), given.as_bytes());
    }
    let Some(peer) = peer else { return false };
    let peer_trusted = settings.trusted_proxies.iter().any(|r| r.contains(peer));
    if forwarded && !peer_trusted {
        return false;
    }
    let client = crate::net::client_ip(peer, forwarded_for, &settings.trusted_proxies);
    settings.metrics_allow.iter().any(|r| r.contains(client))
}

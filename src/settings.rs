//! One `Settings` tree, loaded in layers: defaults, then `gatehouse.toml` (optional, path
//! from `--config` / `GATEHOUSE_CONFIG`), then `GATEHOUSE_*` environment variables. Every
//! secret also accepts `<NAME>_FILE`. A bad value stops start-up with one line naming the
//! setting (contract §2).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {setting}: {problem}")]
pub struct SettingsError {
    pub setting: String,
    pub problem: String,
}

fn bad(setting: &str, problem: impl Into<String>) -> SettingsError {
    SettingsError { setting: setting.to_string(), problem: problem.into() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// A value that must never be printed.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub auth_code_ttl: i64,
    /// Seconds during which a just-rotated refresh token may be presented again (a retry
    /// after a lost response) and still get a fresh pair in the same grant; 0 disables.
    pub refresh_token_reuse_grace: i64,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub issuer: String,
    pub listen: String,
    /// May carry a password; shown redacted by `Debug`.
    pub database_url: Secret,
    pub data_dir: PathBuf,
    pub master_key: Option<Secret>,
    pub smtp_url: Option<Secret>,
    pub email_from: String,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub log: String,
    pub log_format: LogFormat,
    pub tokens: TokenSettings,
    pub session_ttl: i64,
    pub key_refresh_seconds: u64,
    /// Seconds between `keys rotate` and the new key signing, so every replica
    /// publishes it first (0 = sign at once).
    pub key_publish_delay: i64,
    /// Backend API calls allowed per integration key per minute (0 = unlimited).
    pub backend_api_rate_limit: i64,
    /// When set, a backend API call whose `X-Propelauth-url` header names another host than
    /// the issuer's is refused (401), as PropelAuth refuses a key used with another project's
    /// auth URL. Off by default; propelauth-py <= 4.2.1 sends no header and is never refused.
    pub backend_api_check_auth_url: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for rate limits and the
    /// session list). Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<crate::net::IpRange>,
    // --- /metrics access (issue 11 item 15) ---
    /// Client addresses that may read `/metrics` (default: loopback only).
    pub metrics_allow: Vec<crate::net::IpRange>,
    /// A bearer token that reads `/metrics` from any address.
    pub metrics_token: Option<Secret>,
    // --- end /metrics access ---
    /// How long a request waits for a database connection (or SQLite's write lock) before it
    /// is answered 503 "temporarily unavailable".
    pub database_acquire_timeout: std::time::Duration,
    /// How long a request body may take to arrive after the request head (408 after that).
    pub request_body_timeout: std::time::Duration,
    /// How long a password check may wait for a hashing slot before the login is told to try
    /// again (503 + Retry-After), in milliseconds.
    pub password_queue_wait_ms: u64,
    /// Warnings found while loading (unknown variables); logged once telemetry is up.
    pub warnings: Vec<String>,
}

/// Every key: (toml key, env var, is_secret). Toml keys are the env names without the prefix.
const KEYS: &[(&str, bool)] = &[
    ("issuer", false),
    ("listen", false),
    ("database_url", true),
    ("data_dir", false),
    ("master_key", true),
    ("smtp_url", true),
    ("email_from", false),
    ("tls_cert", false),
    ("tls_key", false),
    ("log", false),
    ("log_format", false),
    ("access_token_ttl", false),
    ("id_token_ttl", false),
    ("refresh_token_ttl", false),
    ("auth_code_ttl", false),
    ("refresh_token_reuse_grace", false),
    ("session_ttl", false),
    ("key_refresh_seconds", false),
    ("key_publish_delay", false),
    ("backend_api_rate_limit", false),
    ("backend_api_check_auth_url", false),
    ("trusted_proxies", false),
    ("metrics_allow", false),
    ("metrics_token", true),
    ("database_acquire_timeout", false),
    ("request_body_timeout", false),
    ("password_queue_wait_ms", false),
];

fn env_name(key: &str) -> String {
    format!("GATEHOUSE_{}", key.to_ascii_uppercase())
}

impl Settings {
    /// Loads from the real process environment.
    pub fn load(config_path: Option<&Path>) -> Result<Self, SettingsError> {
        let env: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("GATEHOUSE_")).collect();
        Self::from_sources(config_path, &env)
    }

    /// Defaults → TOML file → env map. Split out so tests never touch process env.
    pub fn from_sources(config_path: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Self, SettingsError> {
        let mut values: BTreeMap<&str, String> = BTreeMap::new();
        let mut warnings = Vec::new();

        let config_path = config_path
            .map(Path::to_path_buf)
            .or_else(|| env.get("GATEHOUSE_CONFIG").map(PathBuf::from))
            .or_else(|| Path::new("gatehouse.toml").exists().then(|| PathBuf::from("gatehouse.toml")));
        if let Some(path) = config_path {
            let text =
                std::fs::read_to_string(&path).map_err(|e| bad("GATEHOUSE_CONFIG", format!("cannot read {}: {e}", path.display())))?;
            let table: toml::Table =
                text.parse().map_err(|e| bad("GATEHOUSE_CONFIG", format!("{} is not valid TOML: {e}", path.display())))?;
            for (k, v) in table {
                let Some((key, _)) = KEYS.iter().find(|(name, _)| *name == k) else {
                    return Err(bad(&k, format!("unknown key in {}", path.display())));
                };
                let text = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Boolean(b) => b.to_string(),
                    other => return Err(bad(key, format!("expected a string or number, got {}", other.type_str()))),
                };
                values.insert(key, text);
            }
        }

        for (key, secret) in KEYS {
            let name = env_name(key);
            if let Some(v) = env.get(&name) {
                values.insert(key, v.clone());
            }
            if *secret && let Some(file) = env.get(&format!("{name}_FILE")) {
                let text = std::fs::read_to_string(file).map_err(|e| bad(&format!("{name}_FILE"), format!("cannot read {file}: {e}")))?;
                values.insert(key, text.trim().to_string());
            }
        }
        for name in env.keys() {
            let known = name == "GATEHOUSE_CONFIG"
                || KEYS.iter().any(|(k, secret)| *name == env_name(k) || (*secret && *name == format!("{}_FILE", env_name(k))));
            if !known {
                warnings.push(format!("ignoring unknown environment variable {name}"));
            }
        }
        Self::from_values(values, warnings)
    }

    fn from_values(mut v: BTreeMap<&str, String>, warnings: Vec<String>) -> Result<Self, SettingsError> {
        let mut take = |k: &str| v.remove(k).filter(|s| !s.trim().is_empty());
        let issuer = take("issuer").unwrap_or_else(|| "http://localhost:8080".into());
        let parsed = url::Url::parse(&issuer).map_err(|e| bad("GATEHOUSE_ISSUER", format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(bad("GATEHOUSE_ISSUER", "must be an http:// or https:// URL with a host"));
        }
        if issuer.ends_with('/') || parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(bad("GATEHOUSE_ISSUER", "must have no trailing slash, query or fragment"));
        }
        let listen = take("listen").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = if let Some(port) = listen.strip_prefix(':') { format!("127.0.0.1:{port}") } else { listen };
        listen
            .parse::<std::net::SocketAddr>()
            .map_err(|_| bad("GATEHOUSE_LISTEN", format!("`{listen}` is not host:port (for example 127.0.0.1:8080 or :0)")))?;
        let data_dir = PathBuf::from(take("data_dir").unwrap_or_else(|| "./data".into()));
        let database_url = take("database_url").unwrap_or_else(|| format!("sqlite://{}/gatehouse.db", data_dir.display()));
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(bad("GATEHOUSE_DATABASE_URL", "must start with sqlite:// or postgres://"));
        }
        let master_key = take("master_key").map(Secret::new);
        if let Some(key) = &master_key {
            crate::crypto::MasterKey::parse(key.expose()).map_err(|e| bad("GATEHOUSE_MASTER_KEY", e.to_string()))?;
        }
        let smtp_url = take("smtp_url").map(Secret::new);
        if let Some(smtp) = &smtp_url {
            let u = url::Url::parse(smtp.expose()).map_err(|_| bad("GATEHOUSE_SMTP_URL", "not a URL"))?;
            if !matches!(u.scheme(), "smtp" | "smtps") {
                return Err(bad("GATEHOUSE_SMTP_URL", "must start with smtp:// or smtps://"));
            }
        }
        let email_from = take("email_from").unwrap_or_else(|| "Gatehouse <no-reply@localhost>".into());
        let tls_cert = take("tls_cert").map(PathBuf::from);
        let tls_key = take("tls_key").map(PathBuf::from);
        match (&tls_cert, &tls_key) {
            (Some(_), None) => return Err(bad("GATEHOUSE_TLS_KEY", "must be set when GATEHOUSE_TLS_CERT is")),
            (None, Some(_)) => return Err(bad("GATEHOUSE_TLS_CERT", "must be set when GATEHOUSE_TLS_KEY is")),
            _ => {}
        }
        for (name, path) in [("GATEHOUSE_TLS_CERT", &tls_cert), ("GATEHOUSE_TLS_KEY", &tls_key)] {
            if let Some(p) = path
                && !p.is_file()
            {
                return Err(bad(name, format!("{} is not a readable file", p.display())));
            }
        }
        let log = take("log").unwrap_or_else(|| "info".into());
        let log_format = match take("log_format").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(bad("GATEHOUSE_LOG_FORMAT", format!("`{other}` is not pretty or json"))),
        };
        let mut seconds = |key: &str, default: i64, min: i64| -> Result<i64, SettingsError> {
            match take(key) {
                None => Ok(default),
                Some(s) => match s.trim().parse::<i64>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(bad(&env_name(key), format!("`{s}` is not a whole number of seconds >= {min}"))),
                },
            }
        };
        let tokens = TokenSettings {
            access_token_ttl: seconds("access_token_ttl", 3600, 60)?,
            id_token_ttl: seconds("id_token_ttl", 3600, 60)?,
            refresh_token_ttl: seconds("refresh_token_ttl", 30 * 24 * 3600, 60)?,
            auth_code_ttl: seconds("auth_code_ttl", 60, 10)?,
            refresh_token_reuse_grace: seconds("refresh_token_reuse_grace", 5, 0)?,
        };
        let session_ttl = seconds("session_ttl", 14 * 24 * 3600, 60)?;
        let key_refresh_seconds = seconds("key_refresh_seconds", 30, 1)? as u64;
        let key_publish_delay = seconds("key_publish_delay", 60, 0)?;
        let database_acquire_timeout = std::time::Duration::from_secs(seconds("database_acquire_timeout", 3, 1)? as u64);
        let request_body_timeout = std::time::Duration::from_secs(seconds("request_body_timeout", 15, 1)? as u64);
        let backend_api_rate_limit =
            match take("backend_api_rate_limit") {
                None => 6000,
                Some(s) => s.trim().parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                    bad("GATEHOUSE_BACKEND_API_RATE_LIMIT", format!("`{s}` is not a whole number of calls per minute >= 0"))
                })?,
            };
        let backend_api_check_auth_url = match take("backend_api_check_auth_url").as_deref().map(str::trim) {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(bad("GATEHOUSE_BACKEND_API_CHECK_AUTH_URL", format!("`{other}` is not true or false")));
            }
        };
        let trusted_proxies = take("trusted_proxies")
            .map(|list| {
                list.split(',')
                    .filter(|r| !r.trim().is_empty())
                    .map(crate::net::IpRange::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| bad("GATEHOUSE_TRUSTED_PROXIES", format!("{e}; give IPs or CIDR blocks, comma-separated")))
            })
            .transpose()?
            .unwrap_or_default();
        // --- /metrics access (issue 11 item 15) ---
        let metrics_allow = take("metrics_allow")
            .unwrap_or_else(|| "127.0.0.0/8, ::1".to_string())
            .split(',')
            .filter(|r| !r.trim().is_empty())
            .map(crate::net::IpRange::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad("GATEHOUSE_METRICS_ALLOW", format!("{e}; give IPs or CIDR blocks, comma-separated")))?;
        let metrics_token = match take("metrics_token") {
            None => None,
            Some(t) if t.trim().len() >= 16 => Some(Secret::new(t.trim())),
            Some(_) => return Err(bad("GATEHOUSE_METRICS_TOKEN", "must be at least 16 characters")),
        };
        // --- end /metrics access ---
        let password_queue_wait_ms = match take("password_queue_wait_ms") {
            None => crate::auth::password::DEFAULT_QUEUE_WAIT.as_millis() as u64,
            Some(s) => s.trim().parse::<u64>().ok().filter(|n| *n <= 60_000).ok_or_else(|| {
                bad("GATEHOUSE_PASSWORD_QUEUE_WAIT_MS", format!("`{s}` is not a whole number of milliseconds from 0 to 60000"))
            })?,
        };
        Ok(Self {
            issuer,
            listen,
            database_url: Secret::new(database_url),
            data_dir,
            master_key,
            smtp_url,
            email_from,
            tls_cert,
            tls_key,
            log,
            log_format,
            tokens,
            session_ttl,
            key_refresh_seconds,
            key_publish_delay,
            backend_api_rate_limit,
            backend_api_check_auth_url,
            trusted_proxies,
            metrics_allow,
            metrics_token,
            database_acquire_timeout,
            request_body_timeout,
            password_queue_wait_ms,
            warnings,
        })
    }

    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The longest a JWT we sign stays valid: how long a retired key must stay published.
    pub fn max_jwt_lifetime(&self) -> i64 {
        self.tokens.access_token_ttl.max(self.tokens.id_token_ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = Settings::from_sources(None, &env(&[])).expect("defaults");
        assert_eq!(s.issuer, "http://localhost:8080");
        assert_eq!(s.listen, "127.0.0.1:8080");
        assert_eq!(s.database_url.expose(), "sqlite://./data/gatehouse.db");
        assert_eq!(s.email_from, "Gatehouse <no-reply@localhost>");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = Settings::from_sources(None, &env(&[("GATEHOUSE_ISSUER", "http://x/")])).unwrap_err();
        assert!(err.to_string().contains("GATEHOUSE_ISSUER"), "{err}");
        let err = Settings::from_sources(None, &env(&[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")])).unwrap_err();
        assert!(err.to_string().contains("GATEHOUSE_TRUSTED_PROXIES") && err.to_string().contains("proxy.local"), "{err}");
        let ok = Settings::from_sources(None, &env(&[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")])).expect("valid");
        assert_eq!(ok.trusted_proxies.len(), 2);
        let err = Settings::from_sources(None, &env(&[("GATEHOUSE_LISTEN", "nope")])).unwrap_err();
        assert!(err.to_string().contains("GATEHOUSE_LISTEN"), "{err}");
        let err = Settings::from_sources(None, &env(&[("GATEHOUSE_ACCESS_TOKEN_TTL", "soon")])).unwrap_err();
        assert!(err.to_string().contains("GATEHOUSE_ACCESS_TOKEN_TTL"), "{err}");
        let err = Settings::from_sources(None, &env(&[("GATEHOUSE_MASTER_KEY", "short")])).unwrap_err();
        assert!(err.to_string().contains("GATEHOUSE_MASTER_KEY"), "{err}");
    }

    #[test]
    fn toml_then_env_then_file_secrets() {
        let dir = std::env::temp_dir().join(format!("gh-settings-{}", crate::crypto::random_hex(6)));
        std::fs::create_dir_all(&dir).expect("dir");
        let toml_path = dir.join("gatehouse.toml");
        std::fs::write(&toml_path, "issuer = \"https://id.example.com\"\naccess_token_ttl = 600\nlisten = \":0\"\n").expect("write");
        let secret_file = dir.join("db");
        std::fs::write(&secret_file, "postgres://u:p@db/gh\n").expect("write");
        let s = Settings::from_sources(
            Some(&toml_path),
            &env(&[
                ("GATEHOUSE_ACCESS_TOKEN_TTL", "900"),
                ("GATEHOUSE_DATABASE_URL_FILE", secret_file.to_str().expect("utf8")),
                ("GATEHOUSE_BOGUS", "1"),
            ]),
        )
        .expect("load");
        assert_eq!(s.issuer, "https://id.example.com");
        assert_eq!(s.listen, "127.0.0.1:0");
        assert_eq!(s.tokens.access_token_ttl, 900);
        assert_eq!(s.database_url.expose(), "postgres://u:p@db/gh");
        assert!(!format!("{s:?}").contains("u:p@"));
        assert_eq!(s.warnings.len(), 1);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}

//! Builds the real application from `Settings`. Tests use the same path with port 0 and a
//! fresh database.

use crate::auth::password::PasswordHasher;
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::keys::{FirstKey, KeyManager};
use crate::settings::Settings;
use crate::state::AppState;
use crate::store::Store;
use crate::web;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[source] crate::store::StoreError),
    #[error("cannot apply migrations: {0}")]
    Migrate(#[source] crate::store::StoreError),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("signing keys: {0}")]
    Keys(#[from] crate::keys::KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("TLS set-up failed: {0}")]
    Tls(String),
    #[error("{0}")]
    Other(String),
    #[error("{0}")]
    NoDatabase(String),
}

/// Uses GATEHOUSE_MASTER_KEY, or the key file in the data dir, generating it on first use.
pub fn load_master_key(settings: &Settings) -> Result<MasterKey, StartupError> {
    if let Some(k) = &settings.master_key {
        return MasterKey::parse(k.expose()).map_err(|e| StartupError::MasterKey(e.to_string()));
    }
    let path = settings.data_dir.join("master.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| StartupError::MasterKey(format!("cannot read {}: {e}", path.display())))?;
        return MasterKey::parse(&text).map_err(|e| StartupError::MasterKey(format!("{}: {e}", path.display())));
    }
    crate::store::create_private_dir(&settings.data_dir)
        .map_err(|e| StartupError::MasterKey(format!("cannot create {}: {e}", settings.data_dir.display())))?;
    let key = MasterKey::generate();
    write_private_file(&path, &key.encode()).map_err(|e| StartupError::MasterKey(format!("cannot write {}: {e}", path.display())))?;
    tracing::info!(path = %path.display(), "generated a master key; replicas must share it (GATEHOUSE_MASTER_KEY)");
    Ok(key)
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())?;
    f.write_all(b"\n")
}

/// Opens the store and applies migrations.
pub async fn open_store(settings: &Settings) -> Result<Store, StartupError> {
    let store = Store::connect_with_timeout(settings.database_url.expose(), settings.database_acquire_timeout)
        .await
        .map_err(StartupError::Database)?;
    store.migrate().await.map_err(StartupError::Migrate)?;
    Ok(store)
}

/// For management commands (everything but `serve` and `migrate`): refuses to go on when the
/// configured database does not exist yet, instead of silently creating a second one (a
/// relative `./data` seen from another folder). The message names the database it would have
/// used and how to point at the server's.
pub async fn require_existing_database(settings: &Settings, command: &str) -> Result<(), StartupError> {
    let url = settings.database_url.expose();
    match Store::open_existing(url).await {
        Ok(Some(store)) => {
            store.close().await;
            Ok(())
        }
        Ok(None) => Err(StartupError::NoDatabase(format!(
            "`{command}` found no Gatehouse database at {}; management commands never create one (only `serve` and `migrate` do).\n\
             Point it at the server's database with the settings `serve` uses: --data-dir DIR or GATEHOUSE_DATA_DIR \
             (the SQLite file is DIR/gatehouse.db; now {}), GATEHOUSE_DATABASE_URL, or --config FILE (gatehouse.toml).",
            describe_database(url),
            absolute(&settings.data_dir).display(),
        ))),
        Err(e) => Err(StartupError::Database(e)),
    }
}

/// Where a database URL points, without its password.
pub fn describe_database(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = rest.split('?').next().unwrap_or(rest);
        return format!("{} (SQLite)", absolute(Path::new(path)).display());
    }
    match url::Url::parse(url) {
        Ok(u) => format!(
            "postgres://{}{}{} (Postgres)",
            u.host_str().unwrap_or("localhost"),
            u.port().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        Err(_) => "the configured GATEHOUSE_DATABASE_URL".to_string(),
    }
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Everything but the HTTP server, for a CLI command: the first signing key (if the database
/// has none) is made before this returns, and a password hash waits as long as it takes (the
/// operator's command is the only work; a busy answer would only fail it).
pub async fn build_cli_state(mut settings: Settings) -> Result<AppState, StartupError> {
    settings.password_queue_wait_ms = CLI_HASH_WAIT_MS;
    build_state(settings, Clock::system(), FirstKey::Now).await
}

/// How long a CLI command's password hash may wait for a hashing thread.
const CLI_HASH_WAIT_MS: u64 = 60_000;

/// Everything but the HTTP server: used by `serve` and (through `build_cli_state`) by the CLI.
async fn build_state(settings: Settings, clock: Clock, first_key: FirstKey) -> Result<AppState, StartupError> {
    let master = load_master_key(&settings)?;
    let store = open_store(&settings).await?;
    let retention = settings.max_jwt_lifetime() + 300;
    let lifetimes = crate::lifetimes::LiveLifetimes::new(crate::lifetimes::Lifetimes::from_env(&settings));
    lifetimes.refresh(&store).await;
    let keys = KeyManager::start(store.clone(), master.clone(), clock.clone(), retention, settings.key_publish_delay, first_key)
        .await?
        .following(lifetimes.clone());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let hasher = PasswordHasher::with_queue(cores, std::time::Duration::from_millis(settings.password_queue_wait_ms));
    let discovery_json: Arc<str> = crate::oidc::discovery::document(&settings.issuer).to_string().into();
    let mailer = crate::email::Mailer::from_settings(&settings).map_err(|e| StartupError::Other(e.to_string()))?;
    Ok(AppState { settings: Arc::new(settings), store, keys, hasher, clock, master, mailer, discovery_json, lifetimes })
}

pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    pub state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        let listener =
            TcpListener::bind(&settings.listen).map_err(|source| StartupError::Listen { addr: settings.listen.clone(), source })?;
        Self::build_with_listener(settings, clock, listener).await
    }

    /// For tests: the caller binds port 0 first, so the issuer can name the real port.
    pub async fn build_with_listener(settings: Settings, clock: Clock, listener: TcpListener) -> Result<Self, StartupError> {
        // A new installation answers at once; its first key follows within a second.
        let state = build_state(settings, clock, FirstKey::InBackground).await?;
        let port = listener.local_addr().map_err(|source| StartupError::Listen { addr: state.settings.listen.clone(), source })?.port();
        state.keys.spawn_refresher(state.settings.key_refresh_seconds);
        state.lifetimes.spawn_refresher(state.store.clone(), state.settings.key_refresh_seconds);
        crate::jobs::spawn_cleanup(state.store.clone(), state.clock.clone());
        crate::email::spawn_sender(state.clone());
        state.store.spawn_health_watch();
        let data = actix_web::web::Data::new(state.clone());
        let metrics = actix_web::web::Data::new(web::Metrics::default());
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .wrap(actix_web::middleware::from_fn(web::nul_guard))
                .wrap(actix_web::middleware::from_fn(web::brand_pages))
                .wrap(actix_web::middleware::from_fn(web::body_deadline))
                .wrap(actix_web::middleware::from_fn(web::outage_guard))
                .wrap(actix_web::middleware::from_fn(web::security_headers))
                .app_data(data.clone())
                .app_data(metrics.clone())
                .app_data(actix_web::web::FormConfig::default().limit(web::BODY_LIMIT))
                .app_data(actix_web::web::PayloadConfig::new(web::BODY_LIMIT))
                .configure(web::configure)
        });
        let server = match (&state.settings.tls_cert, &state.settings.tls_key) {
            (Some(cert), Some(key)) => {
                let mut builder = openssl::ssl::SslAcceptor::mozilla_intermediate(openssl::ssl::SslMethod::tls())
                    .map_err(|e| StartupError::Tls(e.to_string()))?;
                builder
                    .set_private_key_file(key, openssl::ssl::SslFiletype::PEM)
                    .map_err(|e| StartupError::Tls(format!("GATEHOUSE_TLS_KEY: {e}")))?;
                builder.set_certificate_chain_file(cert).map_err(|e| StartupError::Tls(format!("GATEHOUSE_TLS_CERT: {e}")))?;
                server.listen_openssl(listener, builder).map_err(|e| StartupError::Tls(e.to_string()))?
            }
            _ => server.listen(listener).map_err(|source| StartupError::Listen { addr: state.settings.listen.clone(), source })?,
        };
        let server = server.shutdown_timeout(10).run();
        Ok(Self { port, server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

//! Test harness: the real application on port 0 against a fresh database per test
//! (a temp-file SQLite, or a new `gh_test_*` Postgres database from TEST_DATABASE_URL).

use gatehouse::clock::Clock;
use gatehouse::oidc::clients::{self, NewClient};
use gatehouse::settings::Settings;
use gatehouse::startup::Application;
use gatehouse::state::AppState;
use gatehouse::users::{self, CreateUser};
use josekit::jws::RS256;
use reqwest::StatusCode;
use serde_json::{Map, Value};
use sqlx::Connection;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub issuer: String,
    pub state: AppState,
    pub clock: Clock,
    /// A browser: keeps cookies, never follows redirects.
    pub browser: reqwest::Client,
    pub database_url: String,
    pub master_key: String,
    /// The data directory this app created, removed with it.
    pub owned_dir: Option<TempDir>,
}

pub struct TestClient {
    pub id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The one Postgres database the tests share; each test gets its own schema in it, which
/// is much cheaper than a database per test (DROP DATABASE forces a checkpoint).
const PG_TEST_DB: &str = "gh_tests";

/// A fresh, empty database URL for the backend.
pub async fn fresh_database(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/gatehouse.db", data_dir.display()),
        Backend::Postgres => {
            let admin = pg_admin_url();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).expect("database url has a path");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("Postgres must be reachable at TEST_DATABASE_URL (scripts/test starts it)");
            let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(PG_TEST_DB)
                .fetch_optional(&mut conn)
                .await
                .expect("query");
            if exists.is_none() {
                // Parallel tests may race to create it; losing the race is fine.
                let _ = sqlx::query(&format!("CREATE DATABASE {PG_TEST_DB}")).execute(&mut conn).await;
            }
            let schema = format!("t_{}", gatehouse::crypto::random_hex(8));
            let mut test_db = sqlx::PgConnection::connect(&format!("{base}/{PG_TEST_DB}")).await.expect("connect to the test database");
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut test_db).await.expect("create schema");
            format!("{base}/{PG_TEST_DB}?options=-c%20search_path%3D{schema}")
        }
    }
}

/// A scratch directory, removed when dropped (a test leaves nothing behind in /tmp).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("gatehouse-test-{}", gatehouse::crypto::random_hex(8)));
    std::fs::create_dir_all(&dir).expect("temp dir");
    TempDir(dir)
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the app with extra `GATEHOUSE_*` settings.
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = temp_dir();
    let database_url = fresh_database(backend, &data_dir).await;
    let master_key = gatehouse::crypto::MasterKey::generate().encode();
    let mut app = spawn_on(&database_url, &data_dir, &master_key, extra).await;
    app.owned_dir = Some(data_dir);
    app
}

/// Starts a server on an existing database (a second replica, for instance), once its
/// signing key is loaded (a new database gets its first key in the background).
pub async fn spawn_on(database_url: &str, data_dir: &std::path::Path, master_key: &str, extra: &[(&str, &str)]) -> TestApp {
    let app = spawn_on_as_started(database_url, data_dir, master_key, extra).await;
    app.state.keys.wait_until_loaded().await.expect("the first signing key");
    app
}

/// As `spawn_on`, returning as soon as the server listens.
pub async fn spawn_on_as_started(database_url: &str, data_dir: &std::path::Path, master_key: &str, extra: &[(&str, &str)]) -> TestApp {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let issuer = format!("http://127.0.0.1:{port}");
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in [
        ("GATEHOUSE_ISSUER", issuer.as_str()),
        ("GATEHOUSE_LISTEN", "127.0.0.1:0"),
        ("GATEHOUSE_DATABASE_URL", database_url),
        ("GATEHOUSE_DATA_DIR", data_dir.to_str().expect("utf8")),
        ("GATEHOUSE_MASTER_KEY", master_key),
        ("GATEHOUSE_LOG", "warn"),
        ("GATEHOUSE_KEY_PUBLISH_DELAY", "0"),
    ] {
        env.insert(k.into(), v.into());
    }
    for (k, v) in extra {
        env.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::from_sources(None, &env).expect("settings");
    let clock = Clock::system();
    let app = Application::build_with_listener(settings, clock.clone(), listener).await.expect("app builds");
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        issuer,
        state,
        clock,
        browser: browser(),
        database_url: database_url.to_string(),
        master_key: master_key.to_string(),
        owned_dir: None,
    }
}

pub fn form_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#x2d;", "-").replace("&#x5f;", "_").replace("&amp;", "&"))
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_default()
}

pub fn query_of(url: &str) -> BTreeMap<String, String> {
    let parsed = url::Url::parse(url).or_else(|_| url::Url::parse(&format!("http://x{url}"))).expect("url");
    parsed.query_pairs().into_owned().collect()
}

pub fn pkce_pair() -> (String, String) {
    let verifier = gatehouse::crypto::random_token(40);
    let challenge = gatehouse::crypto::b64url(&gatehouse::crypto::sha256(verifier.as_bytes()));
    (verifier, challenge)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub async fn create_user(&self, email: &str) -> String {
        let input = CreateUser {
            email: email.into(),
            password: Some(PASSWORD.into()),
            first_name: Some("Alice".into()),
            last_name: Some("Liddell".into()),
            username: Some(email.split('@').next().expect("local part").into()),
            email_verified: true,
            ..Default::default()
        };
        users::create(&self.state.store, &self.state.hasher, &self.clock, input).await.expect("user created")
    }

    pub async fn create_client_with(&self, public: bool, require_consent: bool, redirect_uri: &str) -> TestClient {
        let created = clients::create(
            &self.state.store,
            &self.clock,
            NewClient {
                name: "Demo App".into(),
                redirect_uris: vec![redirect_uri.into()],
                post_logout_redirect_uris: vec!["http://localhost:8501/signed-out".into()],
                public,
                require_consent,
                dev: false,
                client_credentials_scopes: vec!["reports:read".into()],
            },
        )
        .await
        .expect("client created");
        TestClient { id: created.client_id, secret: created.client_secret, redirect_uri: redirect_uri.into() }
    }

    pub async fn create_client(&self) -> TestClient {
        self.create_client_with(false, false, "http://localhost:8501/oauth2callback").await
    }

    pub async fn get(&self, path_or_url: &str) -> reqwest::Response {
        let url = if path_or_url.starts_with("http") { path_or_url.to_string() } else { self.url(path_or_url) };
        self.browser.get(url).send().await.expect("request")
    }

    /// Sends the browser to the authorization endpoint with `params`.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.browser.get(self.url("/oauth2/authorize")).query(params).send().await.expect("authorize")
    }

    /// Fills and submits the hosted login form found at `login_url`.
    pub async fn submit_login(&self, login_url: &str, email: &str, password: &str) -> reqwest::Response {
        self.submit_login_with(&self.browser, login_url, email, password).await
    }

    /// The same, from another browser.
    pub async fn submit_login_with(&self, browser: &reqwest::Client, login_url: &str, email: &str, password: &str) -> reqwest::Response {
        let page = browser.get(self.url(login_url)).send().await.expect("login page");
        assert_eq!(page.status(), StatusCode::OK, "login page");
        let html = page.text().await.expect("html");
        assert!(html.contains("id=\"login-form\""), "login form present");
        let csrf = form_value(&html, "csrf_token").expect("csrf token in form");
        let mut form = vec![("csrf_token", csrf), ("email", email.to_string()), ("password", password.to_string())];
        if let Some(req) = form_value(&html, "request") {
            form.push(("request", req));
        }
        browser.post(self.url("/login")).form(&form).send().await.expect("login post")
    }

    /// A new browser, logged in as `email`.
    pub async fn logged_in_browser(&self, email: &str) -> reqwest::Client {
        let b = browser();
        let res = self.submit_login_with(&b, "/login", email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login as {email}");
        b
    }

    /// GETs `path` in `browser` and returns the page's CSRF token.
    pub async fn csrf_for(&self, browser: &reqwest::Client, path: &str) -> String {
        let html = browser.get(self.url(path)).send().await.expect("get").text().await.expect("html");
        form_value(&html, "csrf_token").unwrap_or_else(|| panic!("no csrf token on {path}: {html}"))
    }

    /// Runs the browser side of the code flow: authorize, log in when asked, and return
    /// the final redirect to the client.
    pub async fn authorize_and_login(&self, params: &[(&str, &str)], email: &str) -> String {
        let res = self.authorize(params).await;
        assert_eq!(res.status(), StatusCode::FOUND, "authorize redirects");
        let mut loc = location(&res);
        if loc.starts_with("/login") {
            let res = self.submit_login(&loc, email, PASSWORD).await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "login succeeds");
            let resume = location(&res);
            let res = self.get(&resume).await;
            assert_eq!(res.status(), StatusCode::FOUND, "resume redirects to the client");
            loc = location(&res);
        }
        loc
    }

    /// Standard code-flow parameters for `client`.
    pub fn code_params<'a>(client: &'a TestClient, scope: &'a str, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("response_type", "code"),
            ("client_id", &client.id),
            ("redirect_uri", &client.redirect_uri),
            ("scope", scope),
            ("state", "st-123"),
            ("nonce", "n-456"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ]
    }

    /// Logs `email` in through a full code flow and returns (code, verifier).
    pub async fn code_for(&self, client: &TestClient, scope: &str, email: &str) -> (String, String) {
        let (verifier, challenge) = pkce_pair();
        let loc = self.authorize_and_login(&Self::code_params(client, scope, &challenge), email).await;
        assert!(loc.starts_with(&client.redirect_uri), "redirected to the client: {loc}");
        let q = query_of(&loc);
        assert_eq!(q.get("state").map(String::as_str), Some("st-123"));
        (q.get("code").expect("code").clone(), verifier)
    }

    pub async fn token(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut req = reqwest::Client::new().post(self.url("/oauth2/token"));
        if let Some(secret) = &client.secret {
            req = req.basic_auth(&client.id, Some(secret));
        }
        let mut form: Vec<(&str, &str)> = form.to_vec();
        if client.secret.is_none() {
            form.push(("client_id", &client.id));
        }
        req.form(&form).send().await.expect("token request")
    }

    pub async fn redeem(&self, client: &TestClient, code: &str, verifier: &str) -> reqwest::Response {
        self.token(
            client,
            &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", &client.redirect_uri), ("code_verifier", verifier)],
        )
        .await
    }

    /// Logs in and redeems a code; returns the token response JSON.
    pub async fn tokens_for(&self, client: &TestClient, scope: &str, email: &str) -> Value {
        let (code, verifier) = self.code_for(client, scope, email).await;
        let res = self.redeem(client, &code, &verifier).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("json")
    }

    /// Verifies a JWT the way a relying party does: against the published JWKS.
    pub async fn verify_jwt(&self, token: &str) -> Map<String, Value> {
        let jwks: Value = self.get("/.well-known/jwks.json").await.json().await.expect("jwks");
        let header = josekit::jwt::decode_header(token).expect("header");
        let kid = header.claim("kid").and_then(Value::as_str).expect("kid").to_string();
        let key = jwks["keys"].as_array().expect("keys").iter().find(|k| k["kid"] == kid).expect("kid published").clone();
        let jwk = josekit::jwk::Jwk::from_map(key.as_object().expect("object").clone()).expect("jwk");
        let verifier = RS256.verifier_from_jwk(&jwk).expect("verifier");
        let (payload, _) = josekit::jws::deserialize_compact(token, &verifier).expect("signature verifies");
        serde_json::from_slice(&payload).expect("claims")
    }
}

/// Runs each test body once on SQLite and once on Postgres.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($backend: $crate::helpers::Backend) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() { run($crate::helpers::Backend::Sqlite).await }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() { run($crate::helpers::Backend::Postgres).await }
            }
        )*
    };
}

/// Hosted-pages helpers: forms, the mail outbox, admin settings.
impl TestApp {
    /// A CSRF token for `browser` (from a page that always renders a form).
    pub async fn csrf_with(&self, browser: &reqwest::Client) -> String {
        let html = browser.get(self.url("/forgot-password")).send().await.expect("page").text().await.expect("html");
        form_value(&html, "csrf_token").expect("csrf token")
    }

    /// POSTs a form with this browser's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form_with(&self.browser, path, fields).await
    }

    pub async fn post_form_with(&self, browser: &reqwest::Client, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf_with(browser).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
        form.extend_from_slice(fields);
        browser.post(self.url(path)).form(&form).send().await.expect("post")
    }

    pub async fn set_setting(&self, key: &str, value: &str) {
        gatehouse::admin_settings::set(&self.state.store, &self.clock, CLI, key, value).await.expect("setting accepted");
    }

    /// Every email written to the outbox (bodies opened with the master key), newest first.
    pub async fn emails(&self) -> Vec<gatehouse::store::OutboxRow> {
        gatehouse::email::outbox_messages(&self.state, 1000).await.expect("outbox")
    }

    /// Waits (bounded) for the `n`th email to `to`: mail is enqueued off the request so that
    /// response timing does not reveal whether an account exists.
    pub async fn email_to(&self, to: &str, n: usize) -> gatehouse::store::OutboxRow {
        for _ in 0..200 {
            let mut mine: Vec<_> = self.emails().await.into_iter().filter(|m| m.to_addr == to).collect();
            mine.reverse();
            if mine.len() >= n {
                return mine.swap_remove(n - 1);
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("no email #{n} to {to} arrived");
    }

    /// Lets background mail work settle, then asserts nothing went to `to`.
    pub async fn assert_no_email_to(&self, to: &str) {
        for _ in 0..20 {
            tokio::task::yield_now().await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(self.emails().await.iter().all(|m| m.to_addr != to), "unexpected email to {to}");
    }

    /// Logs in with a password and returns the final location.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit_login("/login", email, password).await
    }
}

/// The first link in an email's text body that contains `path`.
pub fn link_in(text: &str, path: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in:\n{text}"))
        .to_string()
}

/// An audit actor for settings changed in tests, as the CLI would.
pub const CLI: gatehouse::auth::audit::Event<'static> =
    gatehouse::auth::audit::Event { actor: "cli", action: "settings.set", subject: "", ip: None };

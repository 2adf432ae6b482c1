//! A database outage answers fast and honestly: 503 with `Retry-After` in each endpoint's own
//! error shape, `/readyz` 503, and service back without a restart once the database is.
//! Postgres: a throwaway cluster on its own port that the test stops (never the shared one).
//! SQLite: another process holding the write lock (a backup, a stuck migration).

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;
use std::process::Command;

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A Postgres cluster of the test's own, in a scratch directory, on a free port.
struct Cluster {
    dir: TempDir,
    port: u16,
}

fn as_postgres(args: &[&str]) {
    let out = Command::new("runuser").args(["-u", "postgres", "--"]).args(args).output().expect("runuser");
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

impl Cluster {
    fn create() -> Self {
        let dir = temp_dir();
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        Command::new("chown").args(["-R", "postgres:postgres"]).arg(&*dir).status().expect("chown");
        let data = dir.join("pg");
        as_postgres(&[&format!("{PG_BIN}/initdb"), "-D", data.to_str().expect("utf8"), "-A", "trust", "-U", "postgres", "--no-sync"]);
        let cluster = Self { dir, port };
        cluster.start();
        cluster
    }

    fn pg_ctl(&self, action: &[&str]) {
        let data = self.dir.join("pg");
        let log = self.dir.join("pg.log");
        let opts = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.display());
        let mut args = vec![format!("{PG_BIN}/pg_ctl"), "-D".into(), data.display().to_string(), "-l".into(), log.display().to_string()];
        args.extend(["-o".into(), opts, "-w".into()]);
        args.extend(action.iter().map(|s| s.to_string()));
        as_postgres(&args.iter().map(String::as_str).collect::<Vec<_>>());
    }

    fn start(&self) {
        self.pg_ctl(&["start"]);
    }

    fn stop(&self) {
        self.pg_ctl(&["-m", "immediate", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("pg");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{PG_BIN}/pg_ctl"), "-D", data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .output();
    }
}

/// The database "goes away" and comes back, per backend.
enum Outage {
    Postgres(Cluster),
    Sqlite { url: String, holder: Option<sqlx::SqliteConnection> },
}

impl Outage {
    async fn begin(&mut self) {
        match self {
            Outage::Postgres(c) => c.stop(),
            Outage::Sqlite { url, holder } => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.expect("second connection");
                sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await.expect("write lock");
                *holder = Some(conn);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::Postgres(c) => c.start(),
            Outage::Sqlite { holder, .. } => {
                let mut conn = holder.take().expect("lock held");
                sqlx::query("ROLLBACK").execute(&mut conn).await.expect("release");
            }
        }
    }
}

async fn app_with_outage(backend: Backend) -> (TestApp, Outage, TempDir) {
    let dir = temp_dir();
    let master = gatehouse::crypto::MasterKey::generate().encode();
    let extra = [("GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT", "1")];
    match backend {
        Backend::Postgres => {
            let cluster = Cluster::create();
            let app = spawn_on(&cluster.url(), &dir, &master, &extra).await;
            (app, Outage::Postgres(cluster), dir)
        }
        Backend::Sqlite => {
            let url = format!("sqlite://{}/gatehouse.db", dir.display());
            let app = spawn_on(&url, &dir, &master, &extra).await;
            (app, Outage::Sqlite { url, holder: None }, dir)
        }
    }
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After")
}

both_backends! {
    async fn a_database_outage_answers_503_in_each_shape_and_recovers(backend: Backend) {
        let (app, mut outage, _dir) = app_with_outage(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let key = gatehouse::auth::api_keys::create(&app.state.store, &app.clock, "tests").await.expect("api key").key;
        let http = reqwest::Client::new();
        let create_user = |email: &'static str| {
            http.post(app.url("/api/backend/v1/user/")).bearer_auth(&key).json(&json!({ "email": email })).send()
        };
        // A login form fetched before the outage, submitted during it.
        let browser = browser();
        let html = browser.get(app.url("/login")).send().await.expect("login page").text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let login_form = [("csrf_token", csrf.as_str()), ("email", "alice@example.com"), ("password", PASSWORD)];

        outage.begin().await;

        let res = create_user("bob@example.com").await.expect("backend API");
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "backend API");
        assert!(retry_after(&res) > 0);
        let body: Value = res.json().await.expect("backend JSON");
        assert_eq!(body["error_code"], "temporarily_unavailable");

        let res = app.token(&client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "token endpoint");
        assert!(retry_after(&res) > 0);
        let body: Value = res.json().await.expect("OAuth JSON");
        assert_eq!(body["error"], "temporarily_unavailable");

        let res = browser.post(app.url("/login")).form(&login_form).send().await.expect("login");
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "login page");
        assert!(retry_after(&res) > 0);
        assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("text/html"));
        assert!(res.text().await.expect("html").contains("Temporarily unavailable"));

        let res = app.get("/readyz").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "readyz");

        outage.end().await;

        // Back without a restart: the watcher sees the database again (bounded wait).
        let mut ready = false;
        for _ in 0..100 {
            if app.get("/readyz").await.status() == StatusCode::OK {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "ready again");
        assert_eq!(create_user("bob@example.com").await.expect("backend API").status(), StatusCode::OK);
        assert_eq!(app.token(&client, &[("grant_type", "client_credentials")]).await.status(), StatusCode::OK);
        let res = app.login("alice@example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login works again");
    }
}

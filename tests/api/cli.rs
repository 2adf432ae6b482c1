//! The CLI: each creating command prints exactly one JSON object on stdout, and acts on
//! the same database the server uses.

use crate::both_backends;
use crate::helpers::*;
use serde_json::Value;
use std::process::{Command, Output, Stdio};

pub fn gatehouse(database_url: &str, data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(data_dir);
    let mut child = cmd.spawn().expect("spawn gatehouse");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

pub fn json_line(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout.clone()).expect("utf8");
    assert_eq!(stdout.lines().count(), 1, "exactly one line on stdout: {stdout:?}");
    serde_json::from_str(&stdout).expect("one JSON object")
}

both_backends! {
    async fn a_cli_command_during_the_first_start_leaves_one_signing_key(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let master = gatehouse::crypto::MasterKey::generate().encode();
        // The CLI reads the master key from the data directory, as beside a real server.
        std::fs::write(dir.join("master.key"), &master).expect("master key file");
        // The server makes its first key in the background; the CLI makes one before it acts
        // unless a live key is stored already. Whichever stores first, the other uses it.
        // The server has applied the migrations when it listens; the key may not be made yet.
        let server = spawn_on_as_started(&url, &dir, &master, &[]).await;
        let cli = {
            let (url, dir) = (url.clone(), dir.to_path_buf());
            let args = ["client", "create", "--name", "Racer", "--redirect-uri", "http://localhost:8501/cb"];
            tokio::task::spawn_blocking(move || gatehouse(&url, &dir, &args, None))
        };
        let out = cli.await.expect("join");
        json_line(&out);
        server.state.keys.wait_until_loaded().await.expect("a key");
        let keys = server.state.store.publishable_signing_keys(0).await.expect("keys");
        assert_eq!(keys.len(), 1, "one first key, not one per process: {:?}", keys.iter().map(|k| &k.kid).collect::<Vec<_>>());
        assert_eq!(keys[0].retired_at, None);
        assert_eq!(server.state.keys.current_kid().as_deref(), Some(keys[0].kid.as_str()));
    }

    async fn cli_commands_print_one_json_object(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let out = gatehouse(&url, &dir, &["migrate"], None);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());

        let user = json_line(&gatehouse(&url, &dir, &["user", "create", "--email", "Ann@Example.com", "--password", PASSWORD, "--first-name", "Ann", "--email-verified"], None));
        let user_id = user["user_id"].as_str().expect("user_id");
        assert_eq!(uuid::Uuid::parse_str(user_id).expect("uuid").get_version_num(), 4);
        assert_eq!(user_id, user_id.to_lowercase());
        let dup = gatehouse(&url, &dir, &["user", "create", "--email", "ann@example.com", "--password", PASSWORD], None);
        assert!(!dup.status.success());
        assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
        let stdin_user = json_line(&gatehouse(&url, &dir, &["user", "create", "--email", "bo@example.com", "--password-stdin", "--admin"], Some("a long password\n")));
        assert!(stdin_user["user_id"].is_string());
        let short = gatehouse(&url, &dir, &["user", "create", "--email", "cy@example.com", "--password", "short"], None);
        assert!(!short.status.success());

        let client = json_line(&gatehouse(&url, &dir, &["client", "create", "--name", "Streamlit", "--redirect-uri", "http://localhost:8501/oauth2callback", "--post-logout-redirect-uri", "http://localhost:8501/"], None));
        assert!(client["client_id"].as_str().expect("id").len() >= 20);
        assert!(client["client_secret"].as_str().expect("secret").len() >= 43, "256-bit secret");
        let public = json_line(&gatehouse(&url, &dir, &["client", "create", "--name", "SPA", "--redirect-uri", "http://localhost:3000/cb", "--public"], None));
        assert!(public.get("client_secret").is_none());
        let http = gatehouse(&url, &dir, &["client", "create", "--name", "Bad", "--redirect-uri", "http://app.example.com/cb"], None);
        assert!(!http.status.success());
        assert!(String::from_utf8_lossy(&http.stderr).contains("--dev"));
        let dev = json_line(&gatehouse(&url, &dir, &["client", "create", "--name", "Dev", "--redirect-uri", "http://testserver/auth", "--dev"], None));
        assert!(dev["client_secret"].is_string());

        let key = json_line(&gatehouse(&url, &dir, &["api-key", "create", "--name", "backend"], None));
        assert!(key["api_key_id"].is_string() && key["api_key"].as_str().expect("key").len() >= 64);

        let org = json_line(&gatehouse(&url, &dir, &["org", "create", "--name", "Acme", "--owner-email", "ann@example.com"], None));
        let org_id = org["org_id"].as_str().expect("org_id").to_string();
        assert_eq!(uuid::Uuid::parse_str(&org_id).expect("uuid").get_version_num(), 4);
        let added = json_line(&gatehouse(&url, &dir, &["org", "add-member", "--org-id", &org_id, "--email", "bo@example.com", "--role", "Admin"], None));
        assert_eq!(added, serde_json::json!({"ok": true}));
        let again = gatehouse(&url, &dir, &["org", "add-member", "--org-id", &org_id, "--email", "bo@example.com", "--role", "Admin"], None);
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already a member"));
        let bad_role = gatehouse(&url, &dir, &["org", "add-member", "--org-id", &org_id, "--email", "ann@example.com", "--role", "Boss"], None);
        assert!(!bad_role.status.success());
        let roles = json_line(&gatehouse(&url, &dir, &["roles", "show"], None));
        assert_eq!(roles["roles"][0]["name"], "Owner");
        let file = dir.join("roles.json");
        let mut edited = roles.clone();
        edited["roles"][2]["permissions"] = serde_json::json!(["reports:read"]);
        std::fs::write(&file, edited.to_string()).expect("write roles");
        let set = json_line(&gatehouse(&url, &dir, &["roles", "set", "--file", file.to_str().expect("utf8")], None));
        assert_eq!(set["roles"][2]["permissions"], serde_json::json!(["reports:read"]));
        std::fs::write(&file, r#"{"name":"Default","roles":[{"name":"Member"}]}"#).expect("write roles");
        let refused = gatehouse(&url, &dir, &["roles", "set", "--file", file.to_str().expect("utf8")], None);
        assert!(!refused.status.success(), "Owner and Admin are still assigned");

        let first = json_line(&gatehouse(&url, &dir, &["keys", "rotate"], None));
        let second = json_line(&gatehouse(&url, &dir, &["keys", "rotate"], None));
        assert_ne!(first["kid"], second["kid"]);

        // The server sees what the CLI created.
        let master = std::fs::read_to_string(dir.join("master.key")).expect("generated master key");
        let app = spawn_on(&url, &dir, master.trim(), &[]).await;
        let stored = app.state.store.user_by_email("ann@example.com").await.expect("query").expect("user");
        assert_eq!(stored.id, user_id);
        assert!(stored.email_verified);
        let jwks: Value = app.get("/.well-known/jwks.json").await.json().await.expect("jwks");
        assert!(jwks.to_string().contains(second["kid"].as_str().expect("kid")));
    }
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_setting() {
    let dir = temp_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(["migrate"])
        .env("GATEHOUSE_DATA_DIR", &dir)
        .env("GATEHOUSE_ISSUER", "not a url")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("GATEHOUSE_ISSUER"), "{stderr}");
}

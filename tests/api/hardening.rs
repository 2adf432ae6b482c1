//! Smaller hardening (issue 11, item 7): Allow on the backend API's 405s, OAuth JSON for an
//! oversized token request, a deadline for slow request bodies, private SQLite files; and a NUL
//! character in any input (found by schemathesis: PostgreSQL refused it and the call was a 500).

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::io::{Read, Write};

both_backends! {
    async fn backend_api_405s_name_the_allowed_methods(backend: Backend) {
        let app = spawn_app(backend).await;
        let key = gatehouse::auth::api_keys::create(&app.state.store, &app.clock, "tests").await.expect("api key").key;
        let http = reqwest::Client::new();
        for (method, path, allow) in [
            ("PATCH", "/api/backend/v1/user/email", "GET"),
            ("POST", "/api/backend/v1/user/some-id", "GET, PUT, DELETE"),
            ("DELETE", "/api/v1/token_verification_metadata", "GET"),
        ] {
            let res = http.request(method.parse().expect("method"), app.url(path)).bearer_auth(&key).send().await.expect("request");
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(res.headers().get("allow").and_then(|v| v.to_str().ok()), Some(allow), "{method} {path}");
        }
    }

    async fn an_oversized_token_request_is_an_oauth_error(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let big = "x".repeat(200 * 1024);
        let res = app.token(&client, &[("grant_type", "client_credentials"), ("scope", &big)]).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.headers()["content-type"].to_str().expect("ascii").starts_with("application/json"));
        let body: Value = res.json().await.expect("OAuth JSON");
        assert_eq!(body["error"], "invalid_request");
    }

    async fn a_nul_character_in_any_input_is_a_clear_400(backend: Backend) {
        let app = spawn_app(backend).await;
        let key = gatehouse::auth::api_keys::create(&app.state.store, &app.clock, "tests").await.expect("api key").key;
        let client = app.create_client().await;
        let http = reqwest::Client::new();
        for path in ["/api/backend/v1/user/%00", "/api/backend/v1/org/a%00b", "/api/backend/v1/user/query?email_or_username=a%00", "/api/backend/v1/user/org/%00"] {
            let res = http.get(app.url(path)).bearer_auth(&key).send().await.expect("request");
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
            let body: Value = res.json().await.expect("field errors");
            assert!(body["request"][0].as_str().is_some_and(|m| m.contains("NUL")), "{path}: {body}");
        }
        // The authorize endpoint is a browser page: plain words, no redirect to an unchecked URI.
        let res = app.get(&format!("/oauth2/authorize?client_id={}&response_type=code&redirect_uri=%00", client.id)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.expect("text").contains("NUL character"));
        // A form body (the token endpoint answers OAuth JSON).
        let res = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "a\0b")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.expect("OAuth JSON");
        assert_eq!(body["error"], "invalid_request");
        // JSON bodies name the field, and nothing is written.
        let res = http
            .post(app.url("/api/backend/v1/migrate_user/"))
            .bearer_auth(&key)
            .json(&serde_json::json!({ "email": "nul@example.com", "username": "a\u{0}b" }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.expect("field errors");
        assert!(body["username"][0].as_str().is_some_and(|m| m.contains("NUL")), "{body}");
        assert!(app.state.store.user_by_email("nul@example.com").await.expect("lookup").is_none());
        let res = http
            .post(app.url("/api/backend/v1/user/user_ids"))
            .bearer_auth(&key)
            .json(&serde_json::json!({ "user_ids": ["ok", "a\u{0}"] }))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // A body that is JSON but not an object is refused, as the OpenAPI document says.
        let res = http.put(app.url("/api/backend/v1/user/anyone")).bearer_auth(&key).header("content-type", "application/json").body("null").send().await.expect("request");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // The hosted login form too; and a clean request still works afterwards.
        let res = app.post_form("/login", &[("email", "a\0@example.com"), ("password", "whatever1")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app.token(&client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn a_request_body_that_never_arrives_is_cut_off(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_REQUEST_BODY_TIMEOUT", "1")]).await;
        let addr = app.issuer.trim_start_matches("http://").to_string();
        // A head promising 100 bytes, then 10 of them and silence (slowloris on the body).
        let answer = tokio::task::spawn_blocking(move || {
            let mut s = std::net::TcpStream::connect(addr).expect("connect");
            s.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
            s.write_all(b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type").expect("write");
            let mut buf = [0u8; 512];
            let n = s.read(&mut buf).expect("an answer, not a hang");
            String::from_utf8_lossy(&buf[..n]).to_string()
        })
        .await
        .expect("join");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_database_and_data_dir_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = temp_dir();
    let data = parent.join("data");
    let url = format!("sqlite://{}/gatehouse.db", data.display());
    let master = gatehouse::crypto::MasterKey::generate().encode();
    let app = spawn_on(&url, &data, &master, &[]).await;
    app.create_user("alice@example.com").await; // something in the WAL
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data dir");
    for f in ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"] {
        assert_eq!(mode(&data.join(f)), 0o600, "{f}");
    }
}

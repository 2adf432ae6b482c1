//! Snapshots of every JSON shape the backend API answers, so PropelAuth compatibility cannot
//! drift unnoticed. Volatile values (ids, times, tokens, keys) are replaced by placeholders;
//! SQLite and Postgres must produce the same snapshot.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use serde_json::{Map, Value, json};

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

fn redact(v: &Value) -> Value {
    match v {
        Value::String(s) if is_uuid(s) => json!("[uuid]"),
        Value::String(s) if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) => json!("[hex32]"),
        Value::String(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => json!("[token]"),
        Value::String(s) if s.starts_with("eyJ") => json!("[jwt]"),
        Value::String(s) if s.starts_with("-----BEGIN PUBLIC KEY-----") => json!("[pem]"),
        Value::String(s) if s.starts_with("http://127.0.0.1:") => json!("[issuer]"),
        Value::Number(n) if n.as_i64().is_some_and(|t| t > 1_000_000_000) => json!("[time]"),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        // Org ids are also object keys (`org_id_to_org_info`).
        Value::Object(o) => Value::Object(
            o.iter().map(|(k, v)| (if is_uuid(k) { "[uuid]".to_string() } else { k.clone() }, redact(v))).collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

both_backends! {
    async fn backend_api_response_shapes(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_BACKEND_API_RATE_LIMIT", "1000")]).await;
        let api = Api::new(&app).await;
        let mut shapes = Map::new();
        let mut snap = |name: &str, status: reqwest::StatusCode, body: Value| {
            shapes.insert(name.to_string(), json!({ "status": status.as_u16(), "body": redact(&body) }));
        };
        let (s, b) = api.call("GET", "/api/v1/token_verification_metadata", None).await;
        snap("token_verification_metadata", s, b);
        let (s, b) = api.call("POST", "/user/", Some(json!({"email": "snap@example.com", "username": "snap", "password": "hunter22hunter",
            "first_name": "S", "last_name": "Nap", "properties": {"p": 1}, "email_confirmed": true}))).await;
        let id = b["user_id"].as_str().expect("id").to_string();
        snap("create_user", s, b);
        let (s, b) = api.call("POST", "/user/", Some(json!({"email": "snap@example.com"}))).await;
        snap("create_user_duplicate", s, b);
        let (s, b) = api.call("GET", &format!("/user/{id}?include_orgs=true"), None).await;
        snap("fetch_user_metadata_include_orgs", s, b);
        let (s, b) = api.call("GET", &format!("/user/{id}"), None).await;
        snap("fetch_user_metadata", s, b);
        let (s, b) = api.call("GET", "/user/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", None).await;
        snap("not_found", s, b);
        let (s, b) = api.call("POST", "/user/emails", Some(json!({"emails": ["snap@example.com"]}))).await;
        snap("fetch_batch_user_metadata", s, b);
        let (s, b) = api.call("GET", "/user/query?page_size=5", None).await;
        snap("fetch_users_by_query", s, b);
        let (s, b) = api.call("GET", &format!("/user/{id}/signup_query_parameters"), None).await;
        snap("signup_query_parameters", s, b);
        let (s, b) = api.call("GET", &format!("/user/{id}/mfa"), None).await;
        snap("fetch_user_mfa_methods", s, b);
        let (s, b) = api.call("PUT", &format!("/user/{id}"), Some(json!({"first_name": "Snappy"}))).await;
        snap("mutation_ok", s, b);
        let (s, b) = api.call("POST", "/resend_email_confirmation", Some(json!({"user_id": id}))).await;
        snap("resend_email_confirmation_confirmed", s, b);
        let (s, b) = api.call("POST", "/access_token", Some(json!({"user_id": id, "duration_in_minutes": 10}))).await;
        snap("create_access_token", s, b);
        let (s, b) = api.call("POST", "/access_token", Some(json!({"user_id": "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", "duration_in_minutes": 10}))).await;
        snap("create_access_token_unknown_user", s, b);
        let (s, b) = api.call("POST", "/migrate_user/", Some(json!({"email": "mig@example.com", "existing_password_hash": "nope"}))).await;
        snap("migrate_user_bad_hash", s, b);
        let (s, b) = api.call("POST", "/end_user_api_keys", Some(json!({"user_id": id, "display_name": "k", "metadata": {"m": 1}}))).await;
        let token = b["api_key_token"].as_str().expect("token").to_string();
        let key_id = b["api_key_id"].as_str().expect("key id").to_string();
        snap("create_api_key", s, b);
        let (s, b) = api.call("GET", &format!("/end_user_api_keys/{key_id}"), None).await;
        snap("fetch_api_key", s, b);
        let (s, b) = api.call("GET", "/end_user_api_keys", None).await;
        snap("fetch_current_api_keys", s, b);
        let (s, b) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": token}))).await;
        snap("validate_api_key", s, b);
        let (s, b) = api.call("POST", "/end_user_api_keys/import", Some(json!({"imported_api_key": "imported-token-123456"}))).await;
        snap("import_api_key_without_owner", s, b);
        let (s, b) = api.call("GET", "/end_user_api_keys/usage?date=2020-01-01", None).await;
        snap("fetch_api_key_usage", s, b);
        let (s, b) = api.call("POST", "/org/", Some(json!({"name": "Acme", "domain": "example.com", "max_users": 10}))).await;
        let org = b["org_id"].as_str().expect("org").to_string();
        snap("create_org", s, b);
        let (s, b) = api.call("GET", &format!("/org/{org}"), None).await;
        snap("fetch_org", s, b);
        let (s, b) = api.call("GET", "/org/query", None).await;
        snap("fetch_org_by_query", s, b);
        let (s, b) = api.call("POST", "/org/add_user", Some(json!({"user_id": id, "org_id": org, "role": "Owner"}))).await;
        snap("add_user_to_org", s, b);
        let (s, b) = api.call("POST", "/org/add_user", Some(json!({"user_id": id, "org_id": org, "role": "Nope"}))).await;
        snap("add_user_to_org_bad_role", s, b);
        let (s, b) = api.call("GET", &format!("/user/org/{org}?include_orgs=true"), None).await;
        snap("fetch_users_in_org", s, b);
        let (s, b) = api.call("POST", "/invite_user", Some(json!({"email": "inv@example.com", "org_id": org, "role": "Member"}))).await;
        snap("invite_user_to_org", s, b);
        let (s, b) = api.call("GET", "/pending_org_invites", None).await;
        snap("fetch_pending_invites", s, b);
        let (s, b) = api.call("GET", "/custom_role_mappings", None).await;
        snap("fetch_custom_role_mappings", s, b);
        let (s, b) = api.call("POST", "/access_token", Some(json!({"user_id": id, "duration_in_minutes": 10, "active_org_id": org}))).await;
        snap("create_access_token_active_org", s, b);
        let (_, k) = api.call("POST", "/end_user_api_keys", Some(json!({"org_id": org, "user_id": id}))).await;
        let (s, b) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": k["api_key_token"]}))).await;
        snap("validate_org_api_key", s, b);
        let (s, mut b) = api.call("POST", "/magic_link", Some(json!({"email": "snap@example.com"}))).await;
        b["url"] = json!(b["url"].as_str().map(|u| u.split_once('?').map_or(u, |(p, _)| p).replace(&app.issuer, "[issuer]")));
        snap("create_magic_link", s, b);
        let (s, b) = api.call("POST", "/magic_link", Some(json!({"email": "snap@example.com", "expires_in_hours": 0}))).await;
        snap("create_magic_link_bad_expiry", s, b);
        let (s, b) = api.call("POST", "/magic_link", Some(json!({"email": "snap@example.com", "user_signup_query_parameters": {"n": 1}}))).await;
        snap("create_magic_link_bad_signup_query_parameters", s, b);
        let (s, b) = api.call("POST", "/user/", Some(json!({"email": "big@example.com", "properties": {"blob": "x".repeat(1024 * 1024)}}))).await;
        snap("payload_too_large", s, b);
        let (s, b) = api.call("GET", "/employee/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", None).await;
        snap("feature_not_offered", s, b);
        let (s, b) = api.call("PATCH", "/user/query", None).await;
        snap("method_not_allowed", s, b);
        let res = reqwest::Client::new().get(app.url("/api/backend/v1/user/query")).bearer_auth("wrong").send().await.expect("send");
        snap("unauthorized", res.status(), res.json().await.expect("json"));
        let checked = spawn_app_with(backend, &[("GATEHOUSE_BACKEND_API_CHECK_AUTH_URL", "true")]).await;
        let key = Api::new(&checked).await.key;
        let res = reqwest::Client::new().get(checked.url("/api/backend/v1/user/query")).bearer_auth(&key)
            .header("X-Propelauth-url", "other.example.com").send().await.expect("send");
        let (s, mut b) = (res.status(), res.json::<Value>().await.expect("json"));
        b["user_facing_error"] = json!(b["user_facing_error"].as_str().map(|m| m.replace(checked.issuer.trim_start_matches("http://"), "[host]")));
        snap("wrong_auth_url", s, b);
        let limited = spawn_app_with(backend, &[("GATEHOUSE_BACKEND_API_RATE_LIMIT", "1")]).await;
        let lapi = Api::new(&limited).await;
        lapi.call("GET", "/user/query", None).await;
        let (s, mut b) = lapi.call("GET", "/user/query", None).await;
        b["wait_seconds"] = json!("[seconds]");
        snap("rate_limited", s, b);
        insta::assert_json_snapshot!("backend_api_response_shapes", Value::Object(shapes));
    }
}

//! Password hashing under hostile input and load (issue 11 item 1): imported hashes are
//! capped in cost, a stored hash above the cap is never computed, and a login that cannot
//! get a hashing slot soon is told to try again instead of hanging.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// bcrypt cost 31 (days of work) and argon2 with 4 GiB and 2^32-1 passes (forever).
fn hostile_hashes() -> Vec<String> {
    let bcrypt31 = format!("$2b$31${}", &bcrypt::hash("old system pw", 4).expect("bcrypt")[7..]);
    let argon = "$argon2id$v=19$m=4194304,t=4294967295,p=255$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    vec![bcrypt31, argon.to_string()]
}

both_backends! {
    async fn imported_hashes_above_the_cost_caps_are_refused_with_a_field_error(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        for hash in hostile_hashes() {
            let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "m@example.com", "email_confirmed": true,
                "existing_password_hash": hash}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{hash}: {body}");
            let msg = body["existing_password_hash"][0].as_str().expect("field error");
            assert!(msg.contains("too costly"), "{msg}");
            assert!(app.state.store.user_by_email("m@example.com").await.expect("db").is_none(), "nothing created");
        }
        // The same cap on replacing a migrated user's hash.
        let ok = bcrypt::hash("old system pw", 4).expect("bcrypt");
        let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "m@example.com", "existing_password_hash": ok}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["user_id"].as_str().expect("id").to_string();
        for hash in hostile_hashes() {
            let (status, body) = api.call("POST", "/migrate_user/password", Some(json!({"user_id": id, "password_hash": hash}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert!(body["password_hash"][0].as_str().is_some_and(|m| m.contains("too costly")), "{body}");
        }
        // At the caps is still accepted.
        let at_cap = format!("$2b$13${}", &bcrypt::hash("x", 4).expect("bcrypt")[7..]);
        let (status, body) = api.call("POST", "/migrate_user/password", Some(json!({"user_id": id, "password_hash": at_cap}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn a_stored_hash_above_the_caps_is_never_computed(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("victim@example.com").await;
        for hash in hostile_hashes() {
            // As if written before the cap existed: the login is refused at once (before
            // the fix each attempt held a hashing slot for days) and others still log in.
            app.state.store.set_user_password_hash(&id, &hash, app.clock.now()).await.expect("db");
            let res = app.login("victim@example.com", "old system pw").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
            let res = app.login("victim@example.com", "old system pw").await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        }
        app.create_user("other@example.com").await;
        let res = app.login("other@example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "valid logins are not starved");
    }

    async fn a_login_that_cannot_get_a_hashing_slot_is_told_to_try_again(backend: Backend) {
        // A zero wait: every password check finds no slot in time, deterministically.
        let app = spawn_app_with(backend, &[("GATEHOUSE_PASSWORD_QUEUE_WAIT_MS", "0")]).await;
        let res = app.login("someone@example.com", "some password").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("2"));
        let html = res.text().await.expect("html");
        assert!(html.contains("try again"), "{html}");
        // The backend API answers 503 + Retry-After with its JSON error shape.
        let api = Api::new(&app).await;
        let (status, body) = api.call("POST", "/user/", Some(json!({"email": "n@example.com", "password": "a long password"}))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error_code"], "temporarily_unavailable");
        assert!(app.state.store.user_by_email("n@example.com").await.expect("db").is_none());
    }
}

//! Issue 11 item 6: one email-address rule at every entry point (hosted signup, backend API,
//! CLI), so no account exists whose mail the mailer refuses forever.

use crate::backend_api::Api;
use crate::both_backends;
use crate::cli::gatehouse;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

const BIDI: &str = "\u{202e}moc.elpmaxe@ecila";
const ZERO_WIDTH: &str = "ali\u{200b}ce@example.com";

both_backends! {
    async fn hosted_signup_refuses_control_and_bidi_addresses(backend: Backend) {
        let app = spawn_app(backend).await;
        for bad in [BIDI, ZERO_WIDTH, "a..b@example.com"] {
            let res = app.post_form("/signup", &[("email", bad), ("password", PASSWORD)]).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(res.text().await.expect("html").contains("not a valid email address"), "{bad:?}");
        }
        assert!(app.emails().await.is_empty(), "nothing queued for the mailer");
    }

    async fn backend_api_refuses_control_and_bidi_addresses(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        for bad in [BIDI, ZERO_WIDTH, "al\u{7}ice@example.com"] {
            let (status, body) = api.call("POST", "/user/", Some(json!({"email": bad, "password": "hunter22hunter"}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
            assert!(body["email"].to_string().contains("not a valid email address"), "{body}");
            let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": bad, "email_confirmed": true}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        }
        let id = api.create_user("ok@example.com", "ok").await;
        let (status, body) = api.call("PUT", &format!("/user/{id}/email"), Some(json!({"new_email": BIDI, "require_email_confirmation": false}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }

    async fn cli_refuses_control_and_bidi_addresses(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        // Management commands act on an existing database only.
        assert!(gatehouse(&url, &dir, &["migrate"], None).status.success());
        let out = gatehouse(&url, &dir, &["user", "create", "--email", BIDI, "--password", PASSWORD], None);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("not a valid email address"), "{stderr}");
        assert!(!stderr.contains('\u{202e}'), "the error does not echo the control character");
    }
}

//! Issue 11 item 11: a disabled user has no session anywhere (the session lookup checks
//! `enabled`), cannot finish a login's MFA step, and loses pending MFA steps; finishing a
//! required enrolment is a complete login (new session, failure count cleared).

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use gatehouse::auth::mfa::current_code;
use reqwest::StatusCode;

both_backends! {
    async fn disabled_users_lose_their_session_at_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
        // Even while the session row still exists, the gate refuses a disabled user.
        app.state.store.set_user_enabled(&id, false, app.clock.now()).await.expect("disable");
        assert_eq!(location(&app.get("/account").await), "/login?return_to=%2Faccount");
        // The org pages went by the session alone: they must refuse it too.
        let orgs = app.get("/orgs").await;
        assert_eq!(orgs.status(), StatusCode::SEE_OTHER, "the org list sends a disabled user to the login page");
        assert!(location(&orgs).starts_with("/login"), "{}", location(&orgs));
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert!(location(&res).starts_with("/login"), "no code for a disabled user's session");
    }

    async fn disabled_users_cannot_finish_a_required_enrolment(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.set_setting("require_mfa", "true").await;
        assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/login/mfa/enrol");
        let html = app.get("/login/mfa/enrol").await.text().await.expect("html");
        let secret = secret_of(&html);
        app.state.store.set_user_enabled(&id, false, app.clock.now()).await.expect("disable");
        let code = current_code(&secret, app.clock.now()).expect("code");
        let res = app.post_form("/login/mfa/enrol", &[("code", &code)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sent back to the login page");
        assert!(app.state.store.sessions_for_user(&id, app.clock.now()).await.expect("db").is_empty(), "no session");
        assert!(!app.state.store.user_mfa_enabled(&id).await.expect("db"));
    }

    async fn disabling_retires_pending_mfa_steps(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.set_setting("require_mfa", "true").await;
        assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/login/mfa/enrol");
        let html = app.get("/login/mfa/enrol").await.text().await.expect("html");
        let secret = secret_of(&html);
        let api = Api::new(&app).await;
        assert_eq!(api.call("POST", &format!("/user/{id}/disable"), None).await.0, StatusCode::OK);
        api.call("POST", &format!("/user/{id}/enable"), None).await;
        // Re-enabled: the step begun before the disable is gone all the same.
        let code = current_code(&secret, app.clock.now()).expect("code");
        let res = app.post_form("/login/mfa/enrol", &[("code", &code)]).await;
        assert_eq!(location(&res), "/login");
        assert!(app.state.store.sessions_for_user(&id, app.clock.now()).await.expect("db").is_empty());
    }

    async fn finishing_an_enrolment_replaces_the_previous_session(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        app.set_setting("require_mfa", "true").await;
        // Signed in already, this browser signs in again (the login form posts anyway), after a
        // wrong password: the completed login must clear the failure count.
        let wrong = app.post_form("/login", &[("email", "alice@example.com"), ("password", "wrong password")]).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let right = app.post_form("/login", &[("email", "alice@example.com"), ("password", PASSWORD)]).await;
        assert_eq!(location(&right), "/login/mfa/enrol");
        let html = app.get("/login/mfa/enrol").await.text().await.expect("html");
        let code = current_code(&secret_of(&html), app.clock.now()).expect("code");
        assert_eq!(app.post_form("/login/mfa/enrol", &[("code", &code)]).await.status(), StatusCode::OK);
        let sessions = app.state.store.sessions_for_user(&id, app.clock.now()).await.expect("db");
        assert_eq!(sessions.len(), 1, "the browser's earlier session ended (no fixation)");
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
        assert!(!app.state.store.clear_all_login_failures("alice@example.com", app.clock.now()).await.expect("db"), "already cleared by the login");
    }

    async fn a_disabled_users_tokens_code_and_refresh_token_stop_working(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid email offline_access", "alice@example.com").await;
        let (at, rt) = (tokens["access_token"].as_str().expect("at"), tokens["refresh_token"].as_str().expect("rt"));
        let userinfo = |token: &str| reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(token.to_string()).send();
        assert_eq!(userinfo(at).await.expect("userinfo").status(), StatusCode::OK);
        // A code issued while the user was enabled, redeemed after they were disabled.
        let (code, verifier) = app.code_for(&client, "openid", "alice@example.com").await;
        app.state.store.set_user_enabled(&id, false, app.clock.now()).await.expect("disable");

        let res = userinfo(at).await.expect("userinfo");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "the access token of a disabled user describes nobody");
        assert!(res.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("invalid_token")));
        let res = app.redeem(&client, &code, &verifier).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_description"], "the user no longer exists or is disabled");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["error_description"], "the user no longer exists or is disabled");

        // Enabled again, the same access token works (nothing was revoked, only refused).
        app.state.store.set_user_enabled(&id, true, app.clock.now()).await.expect("enable");
        assert_eq!(userinfo(at).await.expect("userinfo").status(), StatusCode::OK);
    }
}

fn secret_of(html: &str) -> String {
    let marker = "id=\"mfa-secret\" class=\"secret\">";
    let start = html.find(marker).expect("secret shown") + marker.len();
    // The key is shown in groups of four (`<span class="group">ABCD</span>…`); its text is the key.
    let inner = &html[start..start + html[start..].find("</code>").expect("end")];
    inner.replace("<span class=\"group\">", "").replace("</span>", "")
}

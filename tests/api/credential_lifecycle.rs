//! Issue 11 items 9-10: what a password change, a reset and "sign out other sessions" retire:
//! sessions, OIDC grants (refresh and access tokens), reset links and magic links.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use gatehouse::auth::magic_link::{self, NewLink};
use reqwest::StatusCode;
use serde_json::Value;

/// A full code flow in `browser` (logging in there when asked); returns the token response.
async fn tokens_in(app: &TestApp, browser: &reqwest::Client, client: &TestClient, email: &str) -> Value {
    let (verifier, challenge) = pkce_pair();
    let params = TestApp::code_params(client, "openid offline_access", &challenge);
    let res = browser.get(app.url("/oauth2/authorize")).query(&params).send().await.expect("authorize");
    let mut loc = location(&res);
    if loc.starts_with("/login") {
        let res = app.submit_login_with(browser, &loc, email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "login");
        loc = location(&browser.get(app.url(&location(&res))).send().await.expect("resume"));
    }
    let code = query_of(&loc)["code"].clone();
    let res = app.redeem(client, &code, &verifier).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

async fn refresh_status(app: &TestApp, client: &TestClient, tokens: &Value) -> StatusCode {
    let rt = tokens["refresh_token"].as_str().expect("refresh token");
    app.token(client, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await.status()
}

async fn userinfo_status(app: &TestApp, tokens: &Value) -> StatusCode {
    let at = tokens["access_token"].as_str().expect("access token");
    reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(at).send().await.expect("userinfo").status()
}

async fn reset_link(app: &TestApp, email: &str, n: usize) -> String {
    app.post_form("/forgot-password", &[("email", email)]).await;
    let link = link_in(&app.email_to(email, n).await.text_body, "/reset-password");
    let html = app.get(&link).await.text().await.expect("html");
    form_value(&html, "token").expect("token")
}

both_backends! {
    async fn password_change_revokes_oidc_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = tokens_in(&app, &app.browser, &client, "alice@example.com").await;
        assert_eq!(userinfo_status(&app, &tokens).await, StatusCode::OK);
        let res = app.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(refresh_status(&app, &client, &tokens).await, StatusCode::BAD_REQUEST, "the refresh token died with the old password");
        assert_eq!(userinfo_status(&app, &tokens).await, StatusCode::UNAUTHORIZED, "so did the access token");
    }

    async fn password_reset_revokes_oidc_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let thief = browser();
        let tokens = tokens_in(&app, &thief, &client, "alice@example.com").await;
        let token = reset_link(&app, "alice@example.com", 1).await;
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(refresh_status(&app, &client, &tokens).await, StatusCode::BAD_REQUEST);
        assert_eq!(userinfo_status(&app, &tokens).await, StatusCode::UNAUTHORIZED);
    }

    async fn signing_out_other_sessions_revokes_their_grants(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let other = browser();
        let theirs = tokens_in(&app, &other, &client, "alice@example.com").await;
        let mine = tokens_in(&app, &app.browser, &client, "alice@example.com").await;
        let res = app.post_form("/account/sessions/revoke-others", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(refresh_status(&app, &client, &theirs).await, StatusCode::BAD_REQUEST, "the other session's grant is revoked");
        assert_eq!(userinfo_status(&app, &theirs).await, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh_status(&app, &client, &mine).await, StatusCode::OK, "this session's grant lives on");
    }

    async fn password_change_retires_reset_and_magic_links(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let token = reset_link(&app, "alice@example.com", 1).await;
        let link = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), ..NewLink::default() }).await.expect("link");
        let reusable = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), expire_after_first_use: Some(false), ..NewLink::default() }).await.expect("link");
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let res = app.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "attacker password 1")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "the reset link died with the password change");
        for url in [link, reusable] {
            assert_eq!(browser().get(&url).send().await.expect("get").status(), StatusCode::BAD_REQUEST, "{url}");
        }
        assert_eq!(app.submit_login_with(&browser(), "/login", "alice@example.com", "new password 123").await.status(), StatusCode::SEE_OTHER);
    }

    async fn backend_api_password_update_retires_links_and_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = tokens_in(&app, &browser(), &client, "alice@example.com").await;
        let token = reset_link(&app, "alice@example.com", 1).await;
        let api = Api::new(&app).await;
        let (status, _) = api.call("PUT", &format!("/user/{id}/password"), Some(serde_json::json!({"password": "set by admin 123"}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(refresh_status(&app, &client, &tokens).await, StatusCode::BAD_REQUEST);
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "attacker password 1")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    async fn disabled_users_cannot_reset_their_password(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let token = reset_link(&app, "alice@example.com", 1).await;
        // Disabled behind the services' back (no clean-up): the reset itself must refuse.
        app.state.store.set_user_enabled(&id, false, app.clock.now()).await.expect("disable");
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let user = app.state.store.user_by_id(&id).await.expect("db").expect("user");
        assert!(app.state.hasher.verify(PASSWORD, user.password_hash.as_deref()).await.expect("verify"), "the password is unchanged");
    }
}

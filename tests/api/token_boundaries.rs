//! Issue 11 item 14: introspection limited to the token's own client, client-credentials scopes
//! allow-listed per client, `aud` on access tokens.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let req = reqwest::Client::new().post(app.url("/oauth2/introspect")).basic_auth(&client.id, client.secret.as_ref());
    req.form(&[("token", token)]).send().await.expect("introspect").json().await.expect("json")
}

both_backends! {
    async fn introspection_shows_a_client_only_its_own_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let other = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let at = tokens["access_token"].as_str().expect("at");
        assert_eq!(introspect(&app, &client, at).await["active"], true);
        assert_eq!(introspect(&app, &other, at).await, json!({"active": false}), "another client learns nothing");
    }

    async fn client_credentials_scopes_are_allow_listed_per_client(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await; // allowed: reports:read
        let res = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "reports:read admin:all")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_scope");
        assert!(body["error_description"].as_str().expect("description").contains("admin:all"));
        let res = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "reports:read")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        // A client registered without any keeps working without a scope, and gets none.
        let created = gatehouse::oidc::clients::create(&app.state.store, &app.clock, gatehouse::oidc::clients::NewClient {
            name: "Plain".into(), redirect_uris: vec!["https://app.example.com/cb".into()], post_logout_redirect_uris: vec![],
            public: false, require_consent: false, dev: false, client_credentials_scopes: vec![],
        }).await.expect("client");
        let plain = TestClient { id: created.client_id, secret: created.client_secret, redirect_uri: "https://app.example.com/cb".into() };
        let res = app.token(&plain, &[("grant_type", "client_credentials")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.token(&plain, &[("grant_type", "client_credentials"), ("scope", "reports:read")]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_scope");
    }

    async fn access_tokens_carry_their_client_as_audience(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let at = app.verify_jwt(tokens["access_token"].as_str().expect("at")).await;
        assert_eq!(at["aud"], client.id.as_str());
        let cc: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.expect("json");
        let cat = app.verify_jwt(cc["access_token"].as_str().expect("at")).await;
        assert_eq!(cat["aud"], client.id.as_str());
        // An access token is still not accepted as an id_token_hint.
        let (_, challenge) = pkce_pair();
        let mut params = TestApp::code_params(&client, "openid", &challenge);
        let access = tokens["access_token"].as_str().expect("at").to_string();
        params.push(("id_token_hint", &access));
        let q = query_of(&location(&app.authorize(&params).await));
        assert_eq!(q["error"], "invalid_request");
    }
}

//! Userinfo (OIDC Core §5.3), revocation (RFC 7009) and introspection (RFC 7662).

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(app.url("/oauth2/introspect"));
    if let Some(secret) = &client.secret {
        req = req.basic_auth(&client.id, Some(secret));
    }
    req.form(&[("token", token), ("client_id", client.id.as_str())]).send().await.expect("introspect")
}

async fn revoke(app: &TestApp, client: &TestClient, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/oauth2/revoke"))
        .basic_auth(&client.id, client.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("revoke")
}

both_backends! {
    async fn userinfo_by_get_and_post(backend: Backend) {
        let app = spawn_app(backend).await;
        let user_id = app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid email profile", "alice@example.com").await;
        let at = tokens["access_token"].as_str().expect("at");
        let http = reqwest::Client::new();
        let got: Value = http.get(app.url("/oauth2/userinfo")).bearer_auth(at).send().await.expect("get").json().await.expect("json");
        assert_eq!(got["sub"], user_id.as_str());
        assert_eq!(got["email"], "alice@example.com");
        assert_eq!(got["name"], "Alice Liddell");
        let posted: Value = http.post(app.url("/oauth2/userinfo")).bearer_auth(at).send().await.expect("post").json().await.expect("json");
        assert_eq!(posted, got);
        let form: Value = http.post(app.url("/oauth2/userinfo")).form(&[("access_token", at)]).send().await.expect("post").json().await.expect("json");
        assert_eq!(form, got);
        // Only the scopes granted.
        let narrow = app.tokens_for(&client, "openid", "alice@example.com").await;
        let got: Value = http.get(app.url("/oauth2/userinfo")).bearer_auth(narrow["access_token"].as_str().expect("at")).send().await.expect("get").json().await.expect("json");
        assert_eq!(got, serde_json::json!({"sub": user_id}));
    }

    async fn userinfo_refuses_bad_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let http = reqwest::Client::new();
        let res = http.get(app.url("/oauth2/userinfo")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Bearer"));
        let res = http.get(app.url("/oauth2/userinfo")).bearer_auth("garbage").send().await.expect("get");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers()["www-authenticate"].to_str().expect("ascii").contains("error=\"invalid_token\""));
        // The ID token is not an access token.
        let res = http.get(app.url("/oauth2/userinfo")).bearer_auth(tokens["id_token"].as_str().expect("id")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Client-credentials tokens have no user.
        let res = app.token(&client, &[("grant_type", "client_credentials")]).await;
        let cc: Value = res.json().await.expect("json");
        let res = http.get(app.url("/oauth2/userinfo")).bearer_auth(cc["access_token"].as_str().expect("at")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Expired.
        app.clock.advance(3601);
        let res = http.get(app.url("/oauth2/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    async fn introspection_answers_authenticated_clients_only(backend: Backend) {
        let app = spawn_app(backend).await;
        let user_id = app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        let at = tokens["access_token"].as_str().expect("at");
        let body: Value = introspect(&app, &client, at).await.json().await.expect("json");
        assert_eq!(body["active"], true);
        assert_eq!(body["sub"], user_id.as_str());
        assert_eq!(body["client_id"], client.id.as_str());
        assert_eq!(body["scope"], "openid offline_access");
        let body: Value = introspect(&app, &client, tokens["refresh_token"].as_str().expect("rt")).await.json().await.expect("json");
        assert_eq!(body["active"], true);
        assert_eq!(body["token_type"], "refresh_token");
        let body: Value = introspect(&app, &client, "nonsense").await.json().await.expect("json");
        assert_eq!(body, serde_json::json!({"active": false}));
        // No credentials → 401; public client → refused.
        let res = reqwest::Client::new().post(app.url("/oauth2/introspect")).form(&[("token", at)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let public = app.create_client_with(true, false, "http://localhost:3000/cb").await;
        let res = introspect(&app, &public, at).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "unauthorized_client");
    }

    async fn revocation_of_refresh_and_access_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        let at = tokens["access_token"].as_str().expect("at");
        let rt = tokens["refresh_token"].as_str().expect("rt");
        // Unknown tokens and other clients' tokens: 200, nothing happens.
        assert_eq!(revoke(&app, &client, "unknown").await.status(), StatusCode::OK);
        let other = app.create_client().await;
        assert_eq!(revoke(&app, &other, rt).await.status(), StatusCode::OK);
        assert_eq!(introspect(&app, &client, rt).await.json::<Value>().await.expect("json")["active"], true);
        // Revoking the access token ends that token only.
        assert_eq!(revoke(&app, &client, at).await.status(), StatusCode::OK);
        assert_eq!(introspect(&app, &client, at).await.json::<Value>().await.expect("json")["active"], false);
        assert_eq!(introspect(&app, &client, rt).await.json::<Value>().await.expect("json")["active"], true);
        // Revoking the refresh token ends the grant.
        assert_eq!(revoke(&app, &client, rt).await.status(), StatusCode::OK);
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", rt)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        // Client-credentials tokens are revocable too.
        let cc: Value = app.token(&client, &[("grant_type", "client_credentials")]).await.json().await.expect("json");
        let cat = cc["access_token"].as_str().expect("at");
        assert_eq!(introspect(&app, &client, cat).await.json::<Value>().await.expect("json")["active"], true);
        revoke(&app, &client, cat).await;
        assert_eq!(introspect(&app, &client, cat).await.json::<Value>().await.expect("json")["active"], false);
        // Missing token parameter.
        let res = reqwest::Client::new().post(app.url("/oauth2/revoke")).basic_auth(&client.id, client.secret.as_ref()).form(&[("x", "y")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }
}

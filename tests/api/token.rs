//! The token endpoint: code redemption, PKCE, client authentication, replay, refresh
//! rotation, client credentials, and the tokens' claims.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::oidc::tokens::at_hash;
use reqwest::StatusCode;
use serde_json::Value;

both_backends! {
    async fn code_flow_issues_spec_correct_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        let user_id = app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let (code, verifier) = app.code_for(&client, "openid email profile", "alice@example.com").await;
        let res = app.redeem(&client, &code, &verifier).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "openid email profile");
        assert!(body.get("refresh_token").is_none(), "no offline_access, no refresh token");

        let id = app.verify_jwt(body["id_token"].as_str().expect("id_token")).await;
        assert_eq!(id["iss"], app.issuer);
        assert_eq!(id["sub"], user_id.as_str());
        assert_eq!(id["aud"], client.id.as_str());
        assert_eq!(id["nonce"], "n-456");
        assert_eq!(id["at_hash"], at_hash(body["access_token"].as_str().expect("at")).as_str());
        assert!(id["exp"].as_i64().expect("exp") > id["iat"].as_i64().expect("iat"));
        assert!(id["auth_time"].as_i64().expect("auth_time") <= id["iat"].as_i64().expect("iat"));
        assert_eq!(id["email"], "alice@example.com");
        assert_eq!(id["email_verified"], true);
        assert_eq!(id["name"], "Alice Liddell");
        assert_eq!(id["given_name"], "Alice");
        assert_eq!(id["family_name"], "Liddell");
        assert_eq!(id["preferred_username"], "alice");
        assert!(id["picture"].as_str().expect("picture").starts_with("http"));
        assert!(id["profile"].as_str().expect("profile").starts_with("http"));

        let at = app.verify_jwt(body["access_token"].as_str().expect("access_token")).await;
        for claim in ["iss", "sub", "client_id", "scope", "exp", "iat", "jti", "user_id", "email", "first_name", "last_name", "username", "login_method", "properties"] {
            assert!(at.contains_key(claim), "access token lacks {claim}");
        }
        assert_eq!(at["user_id"], user_id.as_str());
        assert_eq!(at["sub"], user_id.as_str());
        assert_eq!(at["client_id"], client.id.as_str());
        assert_eq!(at["org_id_to_org_member_info"], serde_json::json!({}));
        assert_eq!(at["login_method"], serde_json::json!({"login_method": "password"}));
        let header = josekit::jwt::decode_header(body["access_token"].as_str().expect("at")).expect("header");
        assert_eq!(header.claim("alg").and_then(Value::as_str), Some("RS256"));
    }

    async fn scopes_limit_the_id_token_claims(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let body = app.tokens_for(&client, "openid unknown_scope", "alice@example.com").await;
        assert_eq!(body["scope"], "openid");
        let id = app.verify_jwt(body["id_token"].as_str().expect("id_token")).await;
        assert!(id.get("email").is_none() && id.get("name").is_none());
    }

    async fn client_authentication_methods(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let secret = client.secret.clone().expect("secret");
        // client_secret_post
        let (code, verifier) = app.code_for(&client, "openid", "alice@example.com").await;
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).form(&[
            ("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &verifier), ("client_id", &client.id), ("client_secret", &secret)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::OK);
        // Wrong secret with Basic → 401 invalid_client and a Basic challenge.
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).basic_auth(&client.id, Some("wrong"))
            .form(&[("grant_type", "client_credentials")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Basic"));
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_client");
        // A confidential client cannot skip authentication.
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).form(&[("grant_type", "client_credentials"), ("client_id", &client.id)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Unknown client, no credentials at all, a non-form body.
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).basic_auth("nobody", Some("x")).form(&[("grant_type", "client_credentials")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).form(&[("grant_type", "client_credentials")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let res = reqwest::Client::new().post(app.url("/oauth2/token")).json(&serde_json::json!({"grant_type": "client_credentials"})).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_request");
        // Unsupported grant type.
        let res = app.token(&client, &[("grant_type", "password"), ("username", "a"), ("password", "b")]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "unsupported_grant_type");
    }

    async fn public_client_with_pkce_and_no_secret(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client_with(true, false, "http://127.0.0.1:9999/cb").await;
        assert!(client.secret.is_none());
        let body = app.tokens_for(&client, "openid", "alice@example.com").await;
        assert!(body["id_token"].is_string());
        // A public client cannot use client_credentials.
        let res = app.token(&client, &[("grant_type", "client_credentials")]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "unauthorized_client");
    }

    async fn pkce_is_enforced(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let (code, _) = app.code_for(&client, "openid", "alice@example.com").await;
        let (other_verifier, _) = pkce_pair();
        let res = app.redeem(&client, &code, &other_verifier).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let (code, _) = app.code_for(&client, "openid", "alice@example.com").await;
        let res = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        // RFC 7636 §4.1: a verifier outside the unreserved characters is refused even when it hashes right.
        let odd_verifier = format!("{}+/=", "a".repeat(40));
        let challenge = gatehouse::crypto::b64url(&gatehouse::crypto::sha256(odd_verifier.as_bytes()));
        let loc = app.authorize_and_login(&TestApp::code_params(&client, "openid", &challenge), "alice@example.com").await;
        let res = app.redeem(&client, &query_of(&loc)["code"], &odd_verifier).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        // A confidential client may skip PKCE (authlib's default) ...
        let params = [("response_type", "code"), ("client_id", client.id.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("scope", "openid"), ("nonce", "n")];
        let loc = app.authorize_and_login(&params, "alice@example.com").await;
        let code = query_of(&loc)["code"].clone();
        // ... but then cannot send a verifier out of nowhere.
        let res = app.redeem(&client, &code, &other_verifier).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let loc = app.authorize_and_login(&params, "alice@example.com").await;
        let code = query_of(&loc)["code"].clone();
        let res = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(res.status(), StatusCode::OK);
    }

    async fn codes_are_single_use_and_replay_revokes_the_grant(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let (code, verifier) = app.code_for(&client, "openid offline_access", "alice@example.com").await;
        let first: Value = app.redeem(&client, &code, &verifier).await.json().await.expect("json");
        let access = first["access_token"].as_str().expect("access");
        let refresh = first["refresh_token"].as_str().expect("refresh");
        let userinfo = |t: &str| reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(t).send();
        assert_eq!(userinfo(access).await.expect("userinfo").status(), StatusCode::OK);
        let replay = app.redeem(&client, &code, &verifier).await;
        assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
        assert_eq!(replay.json::<Value>().await.expect("json")["error"], "invalid_grant");
        assert_eq!(userinfo(access).await.expect("userinfo").status(), StatusCode::UNAUTHORIZED, "replay revoked the access token");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant", "replay revoked the refresh token");
    }

    async fn codes_are_bound_to_client_redirect_uri_and_expire(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let other = app.create_client().await;
        let (code, verifier) = app.code_for(&client, "openid", "alice@example.com").await;
        let res = app.token(&other, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &client.redirect_uri), ("code_verifier", &verifier)]).await;
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"].as_str().expect("desc").contains("another client"), "{body}");
        // Another client presenting it does not spend it: its own client still can.
        assert_eq!(app.redeem(&client, &code, &verifier).await.status(), StatusCode::OK);
        let (code, verifier) = app.code_for(&client, "openid", "alice@example.com").await;
        let res = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://localhost:8501/other"), ("code_verifier", &verifier)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let (code, verifier) = app.code_for(&client, "openid", "alice@example.com").await;
        app.clock.advance(61);
        let res = app.redeem(&client, &code, &verifier).await;
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"].as_str().expect("desc").contains("expired"));
        let res = app.token(&client, &[("grant_type", "authorization_code"), ("code", "made-up"), ("redirect_uri", &client.redirect_uri)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
    }

    async fn refresh_tokens_rotate_and_reuse_revokes_the_grant(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let first = app.tokens_for(&client, "openid email offline_access", "alice@example.com").await;
        let r1 = first["refresh_token"].as_str().expect("refresh").to_string();
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let second: Value = res.json().await.expect("json");
        let r2 = second["refresh_token"].as_str().expect("rotated").to_string();
        assert_ne!(r1, r2);
        let id = app.verify_jwt(second["id_token"].as_str().expect("id token on refresh")).await;
        assert_eq!(id["aud"], client.id.as_str());
        // Narrowing the scope is allowed; widening is not, nor asking for unknown scopes, and a
        // refused request leaves the refresh token usable.
        for scope in ["openid profile", "openid bogus", "bogus"] {
            let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r2), ("scope", scope)]).await;
            assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_scope", "{scope}");
        }
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r2), ("scope", "email")]).await;
        assert_eq!(res.status(), StatusCode::OK, "narrowed to email");
        let narrowed: Value = res.json().await.expect("json");
        // The narrowed access token has no openid: userinfo says insufficient_scope (RFC 6750 §3.1).
        let res = reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(narrowed["access_token"].as_str().expect("at")).send().await.expect("userinfo");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.headers()["www-authenticate"].to_str().expect("ascii").contains("error=\"insufficient_scope\""));
        let r2 = narrowed["refresh_token"].as_str().expect("rotated again").to_string();
        // Another client cannot use it.
        let other = app.create_client().await;
        let res = app.token(&other, &[("grant_type", "refresh_token"), ("refresh_token", &r2)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        // Reusing r1 (already rotated) after the grace period kills the grant: r2 stops working too.
        app.clock.advance(6);
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r1)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r2)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        let at = second["access_token"].as_str().expect("at");
        let res = reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(at).send().await.expect("userinfo");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    async fn a_refresh_retried_within_the_grace_period_keeps_the_grant(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let first = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        let r1 = first["refresh_token"].as_str().expect("refresh").to_string();
        let refresh = |token: String| {
            let app = &app;
            let client = &client;
            async move { app.token(client, &[("grant_type", "refresh_token"), ("refresh_token", &token)]).await }
        };
        let res = refresh(r1.clone()).await;
        assert_eq!(res.status(), StatusCode::OK);
        let lost: Value = res.json().await.expect("json");
        let r2 = lost["refresh_token"].as_str().expect("rotated").to_string();
        // The client never saw that response and retries with r1 a moment later: a fresh,
        // working pair in the same grant, and nothing is revoked.
        app.clock.advance(3);
        let res = refresh(r1.clone()).await;
        assert_eq!(res.status(), StatusCode::OK, "a retry within the grace period succeeds");
        let retried: Value = res.json().await.expect("json");
        let r3 = retried["refresh_token"].as_str().expect("a new refresh token").to_string();
        assert!(r3 != r1 && r3 != r2);
        let res = reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(retried["access_token"].as_str().expect("at")).send().await.expect("userinfo");
        assert_eq!(res.status(), StatusCode::OK, "the retried access token works");
        let res = reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(lost["access_token"].as_str().expect("at")).send().await.expect("userinfo");
        assert_eq!(res.status(), StatusCode::OK, "the lost response's access token was not revoked");
        let res = refresh(r3).await;
        assert_eq!(res.status(), StatusCode::OK, "the retried refresh token rotates");
        let r4 = res.json::<Value>().await.expect("json")["refresh_token"].as_str().expect("r4").to_string();
        // Outside the grace period, presenting r1 again is reuse: the whole family dies.
        app.clock.advance(10);
        let res = refresh(r1).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
        for token in [r2, r4] {
            let res = refresh(token).await;
            assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant", "the family is revoked");
        }
    }

    async fn the_refresh_grace_period_is_configurable(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE", "0")]).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let first = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        let r1 = first["refresh_token"].as_str().expect("refresh");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", r1)]).await;
        let r2 = res.json::<Value>().await.expect("json")["refresh_token"].as_str().expect("rotated").to_string();
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", r1)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant", "no grace: immediate reuse revokes");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &r2)]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
    }

    async fn refresh_tokens_expire(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_REFRESH_TOKEN_TTL", "600")]).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let first = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        app.clock.advance(601);
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().expect("r"))]).await;
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
    }

    async fn client_credentials_tokens_carry_no_user(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let res = app.token(&client, &[("grant_type", "client_credentials"), ("scope", "reports:read openid")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["scope"], "reports:read");
        assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
        let at = app.verify_jwt(body["access_token"].as_str().expect("at")).await;
        assert_eq!(at["sub"], client.id.as_str());
        assert_eq!(at["client_id"], client.id.as_str());
        for claim in ["user_id", "email", "org_id_to_org_member_info"] {
            assert!(!at.contains_key(claim), "{claim}");
        }
    }
}

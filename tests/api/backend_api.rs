//! The backend API as the PropelAuth SDKs see it: integration-key auth, status codes, JSON
//! bodies, routing (trailing slashes, literals before ids, empty bodies).

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Api<'a> {
    pub app: &'a TestApp,
    pub key: String,
    http: reqwest::Client,
}

impl<'a> Api<'a> {
    pub async fn new(app: &'a TestApp) -> Self {
        let created = gatehouse::auth::api_keys::create(&app.state.store, &app.clock, "tests").await.expect("api key");
        Self {
            app,
            key: created.key,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = if path.starts_with("/api/") { self.app.url(path) } else { self.app.url(&format!("/api/backend/v1{path}")) };
        let mut req =
            self.http.request(method.parse().expect("method"), url).bearer_auth(&self.key).header("X-Propelauth-url", "127.0.0.1");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        assert_eq!(
            res.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json"),
            "{method} {path} answers JSON"
        );
        (status, res.json().await.expect("JSON body"))
    }

    pub async fn create_user(&self, email: &str, username: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/user/",
                Some(json!({"email": email, "email_confirmed": true, "send_email_to_confirm_email_address": false,
                "ask_user_to_update_password_on_login": false, "password": "hunter22hunter", "username": username,
                "first_name": "N", "last_name": "U", "properties": {"p": 1}, "ignore_domain_restrictions": false})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["user_id"].as_str().expect("user_id").to_string()
    }
}

both_backends! {
    async fn every_route_needs_a_live_integration_key(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let http = reqwest::Client::new();
        let paths = [("GET", "/api/v1/token_verification_metadata"), ("GET", "/api/backend/v1/user/query"),
            ("POST", "/api/backend/v1/user/"), ("GET", "/api/backend/v1/employee/x"), ("POST", "/api/backend/v1/magic_link"),
            ("GET", "/api/backend/v1/no/such/route"), ("PATCH", "/api/backend/v1/user/query")];
        for (method, path) in paths {
            for auth in [None, Some("Bearer nope"), Some("Basic abc"), Some(format!("Bearer {}x", api.key).leak() as &str)] {
                let mut req = http.request(method.parse().expect("method"), app.url(path));
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let res = req.send().await.expect("request");
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {auth:?}");
                let body: Value = res.json().await.expect("json");
                assert_eq!(body["error_code"], "unauthorized");
            }
        }
        // A good key works, records its use, and stops working once revoked.
        let (status, _) = api.call("GET", "/user/query", None).await;
        assert_eq!(status, StatusCode::OK);
        let keys = gatehouse::auth::api_keys::list(&app.state.store).await.expect("list");
        assert!(keys[0].last_used_at.is_some());
        assert!(gatehouse::auth::api_keys::revoke(&app.state.store, &app.clock, &keys[0].id).await.expect("revoke"));
        let (status, body) = api.call("GET", "/user/query", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, _) = api.call("GET", "/api/v1/token_verification_metadata", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn token_verification_metadata_returns_the_signing_key(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let (status, body) = api.call("GET", "/api/v1/token_verification_metadata", None).await;
        assert_eq!(status, StatusCode::OK);
        let pem = body["verifier_key_pem"].as_str().expect("pem");
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        assert_eq!(Some(pem.to_string()), app.state.keys.current_public_pem().await);
    }

    async fn user_lifecycle(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let id = api.create_user("New@Example.com", "newu").await;
        // Duplicates are field errors.
        let (status, body) = api.call("POST", "/user/", Some(json!({"email": "new@example.com"}))).await;
        assert_eq!((status, body), (StatusCode::BAD_REQUEST, json!({"email": ["Email already in use"]})));
        let (status, body) = api.call("POST", "/user/", Some(json!({"email": "x@example.com", "username": "newu"}))).await;
        assert_eq!((status, body), (StatusCode::BAD_REQUEST, json!({"username": ["Username already in use"]})));
        let (status, body) = api.call("POST", "/user/", Some(json!({"email": "y@example.com", "password": "short"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["password"][0].is_string(), "{body}");
        // Every way of fetching it.
        let (_, by_id) = api.call("GET", &format!("/user/{id}?include_orgs=false"), None).await;
        assert_eq!(by_id["email"], "new@example.com");
        assert_eq!(by_id["properties"], json!({"p": 1}));
        assert_eq!(by_id["org_id_to_org_info"], Value::Null);
        let (_, by_email) = api.call("GET", "/user/email?include_orgs=true&email=NEW%40example.com", None).await;
        assert_eq!(by_email["user_id"], id.as_str());
        assert_eq!(by_email["org_id_to_org_info"], json!({}));
        let (_, by_name) = api.call("GET", "/user/username?username=newu", None).await;
        assert_eq!(by_name["user_id"], id.as_str());
        let (status, _) = api.call("GET", "/user/email?email=nobody%40example.com", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.call("GET", "/user/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, batch) = api.call("POST", "/user/user_ids", Some(json!({"user_ids": [id, "nope"]}))).await;
        assert_eq!(batch.as_array().map(Vec::len), Some(1));
        let (_, batch) = api.call("POST", "/user/emails", Some(json!({"emails": ["new@example.com"]}))).await;
        assert_eq!(batch[0]["email"], "new@example.com");
        let (_, batch) = api.call("POST", "/user/usernames", Some(json!({"usernames": ["newu"]}))).await;
        assert_eq!(batch[0]["username"], "newu");
        // Query.
        api.create_user("other@example.com", "zed").await;
        let (_, page) = api.call("GET", "/user/query?page_size=1&page_number=0&order_by=EMAIL", None).await;
        assert_eq!((page["total_users"].clone(), page["has_more_results"].clone()), (json!(2), json!(true)));
        assert_eq!(page["users"][0]["email"], "new@example.com");
        let (_, page) = api.call("GET", "/user/query?email_or_username=ZE", None).await;
        assert_eq!(page["users"].as_array().map(Vec::len), Some(1));
        let (status, _) = api.call("GET", "/user/query?order_by=SIDEWAYS", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Updates.
        let (status, body) = api.call("PUT", &format!("/user/{id}"), Some(json!({"username": "al", "first_name": "Al", "metadata": {"x": 1},
            "picture_url": "https://p", "update_password_required": true, "legacy_user_id": "L1"}))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!((u["username"].clone(), u["metadata"].clone(), u["legacy_user_id"].clone()), (json!("al"), json!({"x": 1}), json!("L1")));
        let (_, page) = api.call("GET", "/user/query?legacy_user_id=L1", None).await;
        assert_eq!(page["total_users"], 1);
        let (status, _) = api.call("PUT", &format!("/user/{id}"), Some(json!({"metadata": [1]}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = api.call("PUT", &format!("/user/{id}/email"), Some(json!({"new_email": "other@example.com", "require_email_confirmation": false}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = api.call("PUT", &format!("/user/{id}/email"), Some(json!({"new_email": "other@example.com", "require_email_confirmation": true}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "taken, with confirmation too");
        // With confirmation nothing changes until the user follows the link sent to the new address.
        let (status, _) = api.call("PUT", &format!("/user/{id}/email"), Some(json!({"new_email": "renamed@example.com", "require_email_confirmation": true}))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!(u["email"], "new@example.com", "unchanged until confirmed");
        let link = link_in(&app.email_to("renamed@example.com", 1).await.text_body, "/account/email/confirm");
        assert_eq!(app.get(&link).await.status(), StatusCode::OK);
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!((u["email"].clone(), u["email_confirmed"].clone()), (json!("renamed@example.com"), json!(true)));
        assert!(app.email_to("new@example.com", 1).await.subject.contains("email address was changed"));
        let (status, _) = api.call("PUT", &format!("/user/{id}/password"), Some(json!({"password": "brand new password"}))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(gatehouse::users::authenticate(&app.state.store, &app.state.hasher, "renamed@example.com", "brand new password").await.is_ok());
        let (status, _) = api.call("PUT", &format!("/user/{id}/clear_password"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!(u["has_password"], false);
        for (path, field, want) in [("disable", "enabled", false), ("enable", "enabled", true)] {
            let (status, _) = api.call("POST", &format!("/user/{id}/{path}"), None).await;
            assert_eq!(status, StatusCode::OK);
            let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
            assert_eq!(u[field], want);
        }
        let (status, _) = api.call("PUT", &format!("/user/{id}/can_create_orgs/disable"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!(u["can_create_orgs"], false);
        let (_, mfa) = api.call("GET", &format!("/user/{id}/mfa"), None).await;
        assert_eq!(mfa, json!({"mfa_setup": null}));
        let (status, _) = api.call("POST", &format!("/user/{id}/disable_2fa"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, q) = api.call("GET", &format!("/user/{id}/signup_query_parameters"), None).await;
        assert_eq!(q, json!({"user_signup_query_parameters": {}}));
        // An unconfirmed address can have its confirmation resent.
        let (status, created) = api.call("POST", "/user/", Some(json!({"email": "unconfirmed@example.com", "email_confirmed": false}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = api.call("POST", "/resend_email_confirmation", Some(json!({"user_id": created["user_id"]}))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let (_, other) = api.call("GET", "/user/email?email=other%40example.com", None).await;
        let (status, body) = api.call("POST", "/resend_email_confirmation", Some(json!({"user_id": other["user_id"]}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "already confirmed");
        assert!(body["user_facing_error"].is_string());
        let (status, _) = api.call("DELETE", &format!("/user/{id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        for (method, path) in [("GET", format!("/user/{id}")), ("DELETE", format!("/user/{id}")), ("POST", format!("/user/{id}/disable")),
            ("POST", format!("/user/{id}/logout_all_sessions")), ("GET", format!("/user/{id}/mfa")), ("PUT", format!("/user/{id}/clear_password"))] {
            let (status, _) = api.call(method, &path, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
        }
    }

    async fn empty_bodies_without_content_type_are_accepted(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let id = api.create_user("e@example.com", "e").await;
        let http = reqwest::Client::new();
        for (method, path) in [("POST", "disable"), ("POST", "enable"), ("PUT", "clear_password"), ("POST", "logout_all_sessions"),
            ("PUT", "can_create_orgs/enable"), ("POST", "disable_2fa")] {
            let res = http.request(method.parse().expect("m"), app.url(&format!("/api/backend/v1/user/{id}/{path}")))
                .bearer_auth(&api.key).header("Content-Length", "0").send().await.expect("send");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(res.json::<Value>().await.expect("json"), json!({}));
        }
        // Bad JSON is a 400 with a JSON body, not a framework error page.
        let res = http.post(app.url("/api/backend/v1/user/")).bearer_auth(&api.key).body("{nope").send().await.expect("send");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.json::<Value>().await.expect("json")["body"][0].is_string());
        // A batch of 500 emails (~130 KB) fits; a body over the limit still gets JSON.
        let emails: Vec<String> = (0..500).map(|i| format!("someone-with-a-longish-address-{i:04}@example.com")).collect();
        let (status, batch) = api.call("POST", "/user/emails", Some(json!({"emails": emails}))).await;
        assert_eq!((status, batch), (StatusCode::OK, json!([])));
        let huge = json!({"email": "h@example.com", "properties": {"blob": "x".repeat(2 * 1024 * 1024)}});
        let (status, body) = api.call("POST", "/user/", Some(huge)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body["error_code"], "payload_too_large");
    }

    async fn logout_all_sessions_ends_sessions_and_refresh_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let client = app.create_client().await;
        let user_id = app.create_user("alice@example.com").await;
        let tokens = app.tokens_for(&client, "openid offline_access", "alice@example.com").await;
        let refresh = tokens["refresh_token"].as_str().expect("refresh token").to_string();
        let (status, _) = api.call("POST", &format!("/user/{user_id}/logout_all_sessions"), None).await;
        assert_eq!(status, StatusCode::OK);
        // The browser session is gone: authorize asks for a login again.
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert!(location(&res).starts_with("/login"), "{}", location(&res));
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    async fn access_tokens_are_propelauth_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let id = api.create_user("t@example.com", "tee").await;
        let (status, body) = api.call("POST", "/access_token", Some(json!({"user_id": id, "duration_in_minutes": 5}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let claims = app.verify_jwt(body["access_token"].as_str().expect("token")).await;
        assert_eq!(claims["user_id"], id.as_str());
        assert_eq!(claims["sub"], id.as_str());
        assert_eq!(claims["iss"], app.issuer.as_str());
        assert_eq!(claims["login_method"], json!({"login_method": "generated_from_backend_api"}));
        assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 300);
        assert_eq!(claims["properties"], json!({"p": 1}));
        let (status, _) = api.call("POST", "/access_token", Some(json!({"user_id": "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", "duration_in_minutes": 5}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = api.call("POST", "/access_token", Some(json!({"user_id": id, "duration_in_minutes": 0}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["duration_in_minutes"][0].is_string());
    }

    async fn migrated_users_keep_their_bcrypt_password_until_first_login(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let hash = bcrypt::hash("old system pw", 4).expect("bcrypt").replacen("$2b$", "$2y$", 1);
        let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "m@example.com", "email_confirmed": true,
            "existing_user_id": "legacy-1", "existing_password_hash": hash, "existing_mfa_base32_encoded_secret": null,
            "update_password_required": false, "enabled": true, "first_name": "M", "last_name": null, "username": "mig",
            "picture_url": null, "properties": {"plan": "pro"}}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["user_id"].as_str().expect("id").to_string();
        let (_, u) = api.call("GET", &format!("/user/{id}"), None).await;
        assert_eq!((u["legacy_user_id"].clone(), u["has_password"].clone()), (json!("legacy-1"), json!(true)));
        let user = gatehouse::users::authenticate(&app.state.store, &app.state.hasher, "m@example.com", "old system pw").await.expect("login");
        assert!(user.password_hash.as_deref().is_some_and(|h| h.starts_with("$2y$")));
        let stored = app.state.store.user_by_id(&id).await.expect("db").expect("user");
        assert!(stored.password_hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")), "rehashed at login");
        assert!(gatehouse::users::authenticate(&app.state.store, &app.state.hasher, "m@example.com", "old system pw").await.is_ok());
        // Unsupported hashes and unknown users.
        let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "n@example.com", "existing_password_hash": "md5:abc"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["existing_password_hash"][0].is_string());
        let (status, _) = api.call("POST", "/migrate_user/password", Some(json!({"user_id": id, "password_hash": bcrypt::hash("p2 p2 p2", 4).expect("h")}))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(gatehouse::users::authenticate(&app.state.store, &app.state.hasher, "m@example.com", "p2 p2 p2").await.is_ok());
        let (status, _) = api.call("POST", "/migrate_user/password", Some(json!({"user_id": "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", "password_hash": hash}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn migrated_users_keep_their_totp_secret(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "t@example.com", "email_confirmed": true,
            "existing_password_hash": bcrypt::hash("old system pw", 4).expect("bcrypt"), "existing_mfa_base32_encoded_secret": secret}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = body["user_id"].as_str().expect("id").to_string();
        assert!(app.state.store.user_mfa_enabled(&id).await.expect("db"));
        let (_, mfa) = api.call("GET", &format!("/user/{id}/mfa"), None).await;
        assert_eq!(mfa["mfa_setup"]["type"], "Totp");
        // The imported secret is the one the user's authenticator app already has.
        let code = gatehouse::auth::mfa::current_code(secret, app.clock.now()).expect("code");
        assert!(gatehouse::auth::mfa::verify(&app.state, &id, &code).await.is_ok());
        // A secret that is not base32, or too short, is refused and nothing is created.
        for bad in ["not base32!", "MZXW6"] {
            let (status, body) = api.call("POST", "/migrate_user/", Some(json!({"email": "u@example.com", "email_confirmed": true,
                "existing_mfa_base32_encoded_secret": bad}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(body["existing_mfa_base32_encoded_secret"][0].is_string());
        }
        assert!(app.state.store.user_by_email("u@example.com").await.expect("db").is_none());
    }

    async fn end_user_api_keys(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let user = api.create_user("k@example.com", "kay").await;
        let (status, created) = api.call("POST", "/end_user_api_keys", Some(json!({"user_id": user, "metadata": {"m": 1}, "display_name": "k1"}))).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let key_id = created["api_key_id"].as_str().expect("id").to_string();
        let token = created["api_key_token"].as_str().expect("token").to_string();
        assert_eq!(key_id.len(), 32);
        let (status, v) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": format!("Bearer {token}")}))).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!((v["metadata"].clone(), v["user"]["user_id"].clone(), v["org"].clone()), (json!({"m": 1}), json!(user), Value::Null));
        let (status, _) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": "nope"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.call("POST", "/end_user_api_keys/validate_imported", Some(json!({"api_key_token": token}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.call("POST", "/end_user_api_keys", Some(json!({"org_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "unknown org");
        let (_, org) = api.call("POST", "/org/", Some(json!({"name": "Keys Inc"}))).await;
        let (_, org_key) = api.call("POST", "/end_user_api_keys", Some(json!({"org_id": org["org_id"]}))).await;
        let (_, page) = api.call("GET", "/end_user_api_keys?api_key_type=personal&user_email=k%40example.com", None).await;
        assert_eq!(page["total_api_keys"], 1);
        assert_eq!(page["api_keys"][0]["display_name"], "k1");
        let (_, page) = api.call("GET", "/end_user_api_keys?page_size=5", None).await;
        assert_eq!(page["total_api_keys"], 2);
        let (status, _) = api.call("PATCH", &format!("/end_user_api_keys/{key_id}"), Some(json!({"metadata": {"m": 2}, "expires_at_seconds": 4102444800_i64}))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, k) = api.call("GET", &format!("/end_user_api_keys/{key_id}"), None).await;
        assert_eq!((k["metadata"].clone(), k["expires_at_seconds"].clone()), (json!({"m": 2}), json!(4102444800_i64)));
        let (_, _) = api.call("PATCH", &format!("/end_user_api_keys/{key_id}"), Some(json!({"set_to_never_expire": true}))).await;
        let (_, k) = api.call("GET", &format!("/end_user_api_keys/{key_id}"), None).await;
        assert_eq!(k["expires_at_seconds"], Value::Null);
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let (_, usage) = api.call("GET", &format!("/end_user_api_keys/usage?date={today}&api_key_id={key_id}"), None).await;
        assert_eq!(usage, json!({"count": 1}));
        let (status, _) = api.call("DELETE", &format!("/end_user_api_keys/{key_id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api.call("DELETE", &format!("/end_user_api_keys/{key_id}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": token}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, page) = api.call("GET", "/end_user_api_keys/archived", None).await;
        assert_eq!(page["api_keys"][0]["api_key_id"], key_id.as_str());
        let (status, _) = api.call("GET", "/end_user_api_keys/0123456789abcdef0123456789abcdef", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Imported keys validate only through validate_imported.
        let (status, imported) = api.call("POST", "/end_user_api_keys/import", Some(json!({"imported_api_key": "legacy_key_0123456789", "user_id": user}))).await;
        assert_eq!(status, StatusCode::OK, "{imported}");
        let (status, v) = api.call("POST", "/end_user_api_keys/validate_imported", Some(json!({"api_key_token": "legacy_key_0123456789"}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["user"]["email"], "k@example.com");
        let (status, body) = api.call("POST", "/end_user_api_keys", Some(json!({}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["user_id"][0].is_string());
        assert!(org_key["api_key_token"].is_string());
    }

    async fn features_not_offered_answer_a_clear_json_error(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        for (method, path) in [("GET", "/employee/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b"), ("GET", "/scim/x/groups"),
            ("POST", "/mfa/step-up/verify-totp"), ("GET", "/saml_sp_metadata/x"), ("GET", "/user/x/oauth_token"),
            ("GET", "/user/x/google/fresh_token"), ("GET", "/user_report/churn"), ("GET", "/chart_metrics/signups")] {
            let (status, body) = api.call(method, path, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}");
            assert_eq!(body["error_code"], "feature_gated", "{path}");
            assert!(body["user_facing_error"].as_str().is_some_and(|m| m.contains("not available in Gatehouse")));
        }
        let (status, body) = api.call("POST", "/magic_link", Some(json!({"email": "ml@example.com", "expires_in_hours": 4}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["url"].as_str().is_some_and(|u| u.starts_with(&app.issuer)));
        let (status, body) = api.call("POST", "/magic_link", Some(json!({"email": "nobody@example.com", "create_new_user_if_one_doesnt_exist": false}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["email"][0].is_string());
        let (status, _) = api.call("GET", "/no/such/thing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    async fn magic_link_signup_query_parameters_reach_the_user_it_creates(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        for bad in [json!("utm=a"), json!({"utm": 1}), json!(["a"])] {
            let (status, body) = api.call("POST", "/magic_link", Some(json!({"email": "q@example.com", "user_signup_query_parameters": bad}))).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(body["user_signup_query_parameters"][0].is_string(), "{body}");
        }
        let params = json!({"utm_source": "newsletter", "ref": "friend-42"});
        let (status, body) = api.call("POST", "/magic_link", Some(json!({"email": "q@example.com", "user_signup_query_parameters": params}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(app.state.store.user_by_email("q@example.com").await.expect("db").is_none(), "created when used");
        assert_eq!(browser().get(body["url"].as_str().expect("url")).send().await.expect("get").status(), StatusCode::SEE_OTHER);
        let user = app.state.store.user_by_email("q@example.com").await.expect("db").expect("created by the link");
        let (_, q) = api.call("GET", &format!("/user/{}/signup_query_parameters", user.id), None).await;
        assert_eq!(q, json!({"user_signup_query_parameters": params}));
        // An existing user keeps what it signed up with.
        let (_, body) = api.call("POST", "/magic_link", Some(json!({"email": "q@example.com", "user_signup_query_parameters": {"utm_source": "other"}}))).await;
        assert_eq!(browser().get(body["url"].as_str().expect("url")).send().await.expect("get").status(), StatusCode::SEE_OTHER);
        let (_, q) = api.call("GET", &format!("/user/{}/signup_query_parameters", user.id), None).await;
        assert_eq!(q, json!({"user_signup_query_parameters": params}));
    }

    async fn auth_url_header_is_checked_when_enabled(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_BACKEND_API_CHECK_AUTH_URL", "true")]).await;
        let api = Api::new(&app).await;
        let authority = app.issuer.split_once("://").expect("scheme").1.to_string();
        let http = reqwest::Client::new();
        let call = |header: Option<&str>, key: &str| {
            let mut req = http.get(app.url("/api/backend/v1/user/query")).bearer_auth(key);
            if let Some(h) = header {
                req = req.header("X-Propelauth-url", h);
            }
            async move {
                let res = req.send().await.expect("request");
                let status = res.status();
                (status, res.json::<Value>().await.expect("JSON"))
            }
        };
        assert_eq!(call(Some(&authority), &api.key).await.0, StatusCode::OK, "this server's host");
        assert_eq!(call(Some(&authority.to_uppercase()), &api.key).await.0, StatusCode::OK, "host names are case-insensitive");
        assert_eq!(call(None, &api.key).await.0, StatusCode::OK, "propelauth-py <= 4.2.1 sends no header");
        let (status, body) = call(Some("other-project.example.com"), &api.key).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error_code"], "wrong_auth_url");
        assert!(body["user_facing_error"].as_str().is_some_and(|m| m.contains(&authority)), "{body}");
        // A bad key is still just a bad key.
        assert_eq!(call(Some(&authority), "not-a-key").await.1["error_code"], "unauthorized");
        // Off (the default), any header passes.
        let open = spawn_app(backend).await;
        let (status, _) = Api::new(&open).await.call("GET", "/user/query", None).await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn rate_limits_answer_429_with_json(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_BACKEND_API_RATE_LIMIT", "3")]).await;
        let api = Api::new(&app).await;
        let mut statuses = Vec::new();
        let mut last = Value::Null;
        for _ in 0..5 {
            let (status, body) = api.call("GET", "/user/query", None).await;
            statuses.push(status.as_u16());
            last = body;
        }
        assert_eq!(statuses, [200, 200, 200, 429, 429]);
        assert_eq!(last["error_code"], "rate_limited");
        assert!(last["wait_seconds"].as_f64().is_some_and(|w| w > 0.0 && w <= 60.0));
        // Another key has its own budget.
        let other = Api::new(&app).await;
        assert_eq!(other.call("GET", "/user/query", None).await.0, StatusCode::OK);
    }
}

both_backends! {
    async fn organizations_memberships_and_invites(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let alice = api.create_user("alice@acme.com", "alice").await;
        let bob = api.create_user("bob@acme.com", "bob").await;
        let (status, created) = api.call("POST", "/org/", Some(json!({"name": "Acme", "enable_auto_joining_by_domain": true,
            "members_must_have_matching_domain": false, "domain": "acme.com", "max_users": 10, "legacy_org_id": "LO1"}))).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let org = created["org_id"].as_str().expect("org id").to_string();
        assert_eq!(created["name"], "Acme");
        let (_, o) = api.call("GET", &format!("/org/{org}"), None).await;
        assert_eq!((o["url_safe_org_slug"].clone(), o["domain_autojoin"].clone(), o["max_users"].clone()), (json!("acme"), json!(true), json!(10)));
        let (status, _) = api.call("GET", "/org/6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, page) = api.call("GET", "/org/query?name=acm&order_by=NAME", None).await;
        assert_eq!(page["total_orgs"], 1);
        assert_eq!(page["orgs"][0]["legacy_org_id"], "LO1");
        let (status, body) = api.call("PUT", &format!("/org/{org}"), Some(json!({"name": "Acme2", "metadata": {"a": 1},
            "extra_domains": ["acme.io"], "require_2fa_by": "2030-01-01T00:00:00Z", "autojoin_by_domain": false}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, o) = api.call("GET", &format!("/org/{org}"), None).await;
        assert_eq!((o["name"].clone(), o["metadata"].clone(), o["extra_domains"].clone()), (json!("Acme2"), json!({"a": 1}), json!(["acme.io"])));
        // Memberships follow the role rules: first an Owner, then others.
        let (status, _) = api.call("POST", "/org/add_user", Some(json!({"user_id": alice, "org_id": org, "role": "Owner", "additional_roles": []}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = api.call("POST", "/org/add_user", Some(json!({"user_id": bob, "org_id": org, "role": "Emperor"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, _) = api.call("POST", "/org/add_user", Some(json!({"user_id": bob, "org_id": org, "role": "Member"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api.call("POST", "/org/add_user", Some(json!({"user_id": "nobody", "org_id": org, "role": "Member"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = api.call("POST", "/org/change_role", Some(json!({"user_id": bob, "org_id": org, "role": "Admin"}))).await;
        assert_eq!(status, StatusCode::OK);
        // The backend API administers: it may remove even the last Owner (the hosted pages may not).
        let (status, body) = api.call("POST", "/org/remove_user", Some(json!({"user_id": alice, "org_id": org}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, page) = api.call("GET", &format!("/user/org/{org}?page_size=5&page_number=0&include_orgs=true&role=Admin"), None).await;
        assert_eq!(page["total_users"], 1);
        assert_eq!(page["users"][0]["org_id_to_org_info"][&org]["user_role"], "Admin");
        assert_eq!(page["users"][0]["org_id_to_org_info"][&org]["inherited_user_roles_plus_current_role"], json!(["Admin", "Member"]));
        // Tokens carry the orgs; an active-org token carries org_member_info.
        let (_, t) = api.call("POST", "/access_token", Some(json!({"user_id": bob, "duration_in_minutes": 5}))).await;
        let claims = app.verify_jwt(t["access_token"].as_str().expect("token")).await;
        assert_eq!(claims["org_id_to_org_member_info"][&org]["org_name"], "Acme2");
        let (_, t) = api.call("POST", "/access_token", Some(json!({"user_id": bob, "duration_in_minutes": 5, "active_org_id": org}))).await;
        let claims = app.verify_jwt(t["access_token"].as_str().expect("token")).await;
        assert_eq!(claims["org_member_info"]["org_id"], org.as_str());
        let stranger = api.create_user("zed@acme.com", "zed").await;
        let (status, _) = api.call("POST", "/access_token", Some(json!({"user_id": stranger, "duration_in_minutes": 5, "active_org_id": org}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // Invites.
        let (status, _) = api.call("POST", "/invite_user", Some(json!({"email": "carol@acme.com", "org_id": org, "role": "Member", "additional_roles": []}))).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api.call("POST", "/invite_user_by_id", Some(json!({"user_id": stranger, "org_id": org, "role": "Member"}))).await;
        assert_eq!(status, StatusCode::OK);
        let (_, page) = api.call("GET", &format!("/pending_org_invites?page_number=0&page_size=10&org_id={org}"), None).await;
        assert_eq!(page["total_invites"], 2);
        assert_eq!(page["invites"][0]["org_name"], "Acme2");
        let (status, body) = api.call("DELETE", "/pending_org_invites", Some(json!({"org_id": org, "invitee_email": "carol@acme.com"}))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({})));
        let (_, page) = api.call("GET", "/pending_org_invites", None).await;
        assert_eq!(page["total_invites"], 1);
        let (status, _) = api.call("POST", "/invite_user", Some(json!({"email": "d@acme.com", "org_id": "6f1d2c3b-4a59-4e8f-9a0b-1c2d3e4f5a6b", "role": "Member"}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, maps) = api.call("GET", "/custom_role_mappings", None).await;
        assert_eq!(maps["custom_role_mappings"][0], json!({"custom_role_mapping_name": "Default", "num_orgs_subscribed": 1}));
        // Org API keys validate with their org and the user's membership.
        let (_, k) = api.call("POST", "/end_user_api_keys", Some(json!({"org_id": org, "user_id": bob}))).await;
        let (_, v) = api.call("POST", "/end_user_api_keys/validate", Some(json!({"api_key_token": k["api_key_token"]}))).await;
        assert_eq!((v["org"]["org_name"].clone(), v["user_in_org"]["user_role"].clone()), (json!("Acme2"), json!("Admin")));
        let (status, _) = api.call("POST", &format!("/org/{org}/allow_saml"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (_, o) = api.call("GET", &format!("/org/{org}"), None).await;
        assert_eq!(o["can_setup_saml"], true);
        let (status, _) = api.call("DELETE", &format!("/org/{org}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api.call("DELETE", &format!("/org/{org}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

//! Property tests (issue 11) for the parsers that face the network: the authorization
//! request, redirect-URI matching (including response-parameter injection), the token
//! endpoint's form and client authentication, `id_token_hint` / JWT parsing, and the backend
//! API's JSON bodies. Whatever comes in: no panic, no 5xx, and every refusal a clear error.
//!
//! Inputs come from proptest strategies drawn by a deterministic runner (fixed seed, so a
//! failure reproduces), a few dozen cases each to keep the suite fast; the failing input is in
//! the assertion message.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::Value;

const CASES: usize = 40;

/// Draws `CASES` values from `strategy` with a fixed seed.
fn draw<S: Strategy>(strategy: S) -> Vec<S::Value> {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    (0..CASES).map(|_| strategy.new_tree(&mut runner).expect("value").current()).collect()
}

/// Hostile text: any characters (controls, bidi, NUL, non-BMP), or plausible protocol values.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.chars().take(60).collect()),
        "[ -~]{0,40}",
        Just(String::new()),
        Just("openid profile email offline_access orgs".to_string()),
        Just("S256".to_string()),
        Just("code".to_string()),
        Just("none".to_string()),
        Just("%00%ff%c0%af".to_string()),
        Just("x".repeat(5000)),
    ]
}

fn authorize_key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "nonce",
            "prompt",
            "max_age",
            "code_challenge",
            "code_challenge_method",
            "response_mode",
            "id_token_hint",
            "request",
            "request_uri",
            "login_hint",
            "org_id",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,12}",
    ]
}

/// JWT-shaped strings: three segments of base64url garbage, `alg: none` tokens, broken JSON.
fn jwt_like() -> impl Strategy<Value = String> {
    let b64 = |s: &str| gatehouse::crypto::b64url(s.as_bytes());
    let none_header = b64(r#"{"alg":"none","typ":"JWT"}"#);
    let hs_header = b64(r#"{"alg":"HS256","kid":"x"}"#);
    prop_oneof![
        ("[A-Za-z0-9_-]{0,40}", "[A-Za-z0-9_-]{0,80}", "[A-Za-z0-9_-]{0,40}").prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        ("[ -~]{0,60}").prop_map(move |claims| format!("{none_header}.{}.", gatehouse::crypto::b64url(claims.as_bytes()))),
        any::<String>().prop_map(move |s| format!("{hs_header}.{}.c2ln", gatehouse::crypto::b64url(s.as_bytes()))),
        text(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    prop::sample::select(vec![
                        "email",
                        "password",
                        "user_id",
                        "org_id",
                        "name",
                        "role",
                        "username",
                        "first_name",
                        "properties",
                        "metadata",
                        "api_key_token",
                        "existing_password_hash",
                        "email_confirmed",
                        "expires_in_hours",
                        "redirect_to_url",
                        "max_users",
                        "domain",
                        "display_name",
                        "expires_at_seconds",
                    ])
                    .prop_map(str::to_string),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn assert_oauth_json_error(status: StatusCode, body: &str, what: &str) {
    assert!(!status.is_server_error(), "{what}: {status}");
    if !status.is_success() {
        let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("{what}: {status} is not JSON: {body}"));
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: no `error`: {body}");
        assert!(v["error_description"].as_str().is_some_and(|e| !e.is_empty()), "{what}: no description: {body}");
    }
}

both_backends! {
    async fn authorization_requests_never_fail_badly(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client_with(false, false, "http://localhost:8501/g?*").await;
        let strategy = prop::collection::vec(
            (authorize_key(), prop_oneof![text(), Just(client.id.clone()), Just("http://localhost:8501/g?x=1".to_string())]),
            0..8,
        );
        for mut params in draw(strategy) {
            if params.len() % 2 == 0 {
                params.push(("client_id".into(), client.id.clone()));
                params.push(("redirect_uri".into(), "http://localhost:8501/g?next=%2F".into()));
            }
            let res = browser().get(app.url("/oauth2/authorize")).query(&params).send().await.expect("authorize");
            let status = res.status();
            let loc = location(&res);
            let body = res.text().await.expect("body");
            assert!(!status.is_server_error(), "{params:?}: {status}");
            match status {
                StatusCode::FOUND | StatusCode::SEE_OTHER => {
                    assert!(loc.starts_with("http://localhost:8501/g?") || loc.starts_with("/login"), "{params:?}: {loc}");
                    if loc.starts_with("http") {
                        let pairs: Vec<(String, String)> = url::Url::parse(&loc).expect("url").query_pairs().into_owned().collect();
                        for name in ["code", "state", "iss", "error"] {
                            assert!(pairs.iter().filter(|(k, _)| k == name).count() <= 1, "{params:?}: `{name}` twice in {loc}");
                        }
                        assert!(pairs.iter().any(|(k, _)| k == "error" || k == "code"), "{loc}");
                    }
                }
                StatusCode::BAD_REQUEST => assert!(body.contains("<html") || body.contains("<!doctype") || body.contains("<!DOCTYPE"), "{params:?}: an error page"),
                StatusCode::OK => assert!(body.contains("form"), "{params:?}: a form post or page"),
                other => panic!("{params:?}: unexpected {other}"),
            }
        }
    }

    async fn pattern_redirect_uris_never_carry_injected_response_parameters(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client_with(false, false, "http://localhost:8501/g?*").await;
        let reserved = prop::sample::select(gatehouse::oidc::clients::RESPONSE_PARAMS.to_vec());
        let encode = prop::sample::select(vec![0u8, 1, 2]);
        let strategy = (prop::collection::vec(("[a-z]{1,6}", "[a-zA-Z0-9]{0,6}"), 0..3), reserved, encode, "[a-zA-Z0-9]{1,8}");
        for (mut extra, name, how, value) in draw(strategy) {
            let key = match how {
                0 => name.to_string(),
                1 => name.chars().map(|c| format!("%{:02X}", c as u32)).collect(),
                _ => format!("{}%{:02X}", &name[..name.len() - 1], name.as_bytes()[name.len() - 1]),
            };
            extra.push((key, value));
            let query: Vec<String> = extra.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let redirect = format!("http://localhost:8501/g?{}", query.join("&"));
            let params = [("client_id", client.id.as_str()), ("redirect_uri", redirect.as_str()), ("response_type", "code"), ("scope", "openid"), ("state", "real"), ("prompt", "none")];
            let res = app.authorize(&params).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{redirect}");
            assert!(res.headers().get("location").is_none(), "{redirect}");
            assert!(res.text().await.expect("html").contains("must not carry"), "{redirect}: a clear error");
        }
    }

    async fn token_endpoint_forms_and_client_auth_never_fail_badly(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let field = prop_oneof![
            prop::sample::select(vec!["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token", "client_id", "client_secret", "scope"]).prop_map(str::to_string),
            "[a-z_]{1,10}",
        ];
        let grant = prop::sample::select(vec!["authorization_code", "refresh_token", "client_credentials", "password", ""]).prop_map(str::to_string);
        let auth = prop_oneof![
            Just(None),
            text().prop_map(Some),
            ("[ -~]{0,20}", "[ -~]{0,20}").prop_map(|(u, p)| Some(format!("Basic {}", base64_std(&format!("{u}:{p}"))))),
            Just(Some(format!("Basic {}", base64_std(&format!("{}:{}", client.id, client.secret.clone().unwrap_or_default()))))),
            Just(Some("Basic !!!".to_string())),
        ];
        let strategy = (grant, prop::collection::vec((field, text()), 0..6), auth, any::<bool>());
        for (grant_type, mut form, auth, json_body) in draw(strategy) {
            form.insert(0, ("grant_type".into(), grant_type));
            let mut req = reqwest::Client::new().post(app.url("/oauth2/token"));
            if let Some(a) = &auth
                && let Ok(v) = reqwest::header::HeaderValue::from_str(a)
            {
                req = req.header("authorization", v);
            }
            let req = if json_body { req.json(&form) } else { req.form(&form) };
            let res = req.send().await.expect("token");
            let status = res.status();
            let body = res.text().await.expect("body");
            assert_oauth_json_error(status, &body, &format!("{form:?} auth={auth:?}"));
            assert!(matches!(status.as_u16(), 200 | 400 | 401 | 413 | 415), "{form:?}: {status}");
        }
    }

    async fn id_token_hints_and_jwts_never_fail_badly(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        for hint in draw(jwt_like()) {
            let params = [("client_id", client.id.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("response_type", "code"), ("scope", "openid"), ("state", "s"), ("id_token_hint", hint.as_str())];
            let res = app.authorize(&params).await;
            assert_eq!(res.status(), StatusCode::FOUND, "{hint:?}");
            let loc = location(&res);
            if hint.is_empty() {
                // An empty parameter is an absent one: on to the login page.
                assert!(loc.starts_with("/login"), "{hint:?}: {loc}");
            } else {
                assert_eq!(query_of(&loc).get("error").map(String::as_str), Some("invalid_request"), "{hint:?}: refused, at the client: {loc}");
            }
            let res = browser().get(app.url("/oauth2/logout")).query(&[("id_token_hint", hint.as_str())]).send().await.expect("logout");
            assert!(!res.status().is_server_error(), "{hint:?}: {}", res.status());
            for path in ["/oauth2/userinfo"] {
                let res = reqwest::Client::new().get(app.url(path)).bearer_auth(&hint).send().await;
                if let Ok(res) = res {
                    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{hint:?}");
                }
            }
            let res = reqwest::Client::new().post(app.url("/oauth2/introspect")).basic_auth(&client.id, client.secret.as_ref()).form(&[("token", hint.as_str())]).send().await.expect("introspect");
            let body: Value = res.json().await.expect("json");
            if hint.is_empty() {
                assert_eq!(body["error"], "invalid_request", "a missing token is a request error");
            } else {
                assert_eq!(body, serde_json::json!({"active": false}), "{hint:?}");
            }
        }
    }

    async fn backend_api_json_bodies_never_fail_badly(backend: Backend) {
        let app = spawn_app(backend).await;
        let api = Api::new(&app).await;
        let user = api.create_user("prop@example.com", "prop").await;
        let routes = vec![
            ("POST", "/user/".to_string()), ("POST", "/migrate_user/".to_string()), ("PUT", format!("/user/{user}")),
            ("PUT", format!("/user/{user}/email")), ("PUT", format!("/user/{user}/password")), ("POST", "/org/".to_string()),
            ("POST", "/org/add_user".to_string()), ("POST", "/org/invite_user".to_string()), ("POST", "/end_user_api_keys".to_string()),
            ("POST", "/end_user_api_keys/validate".to_string()), ("POST", "/magic_link".to_string()), ("POST", "/access_token".to_string()),
            ("POST", "/users/emails".to_string()),
        ];
        let strategy = (prop::sample::select(routes), json_value(), any::<bool>());
        for ((method, path), body, raw) in draw(strategy) {
            let url = app.url(&format!("/api/backend/v1{path}"));
            let req = reqwest::Client::new().request(method.parse().expect("method"), url).bearer_auth(&api.key);
            let req = if raw {
                req.header("content-type", "application/json").body(body.to_string().replace('"', "").into_bytes())
            } else {
                req.json(&body)
            };
            let res = req.send().await.expect("request");
            let status = res.status();
            let text = res.text().await.expect("body");
            assert!(!status.is_server_error(), "{method} {path} {body}: {status} {text}");
            if status.is_client_error() {
                let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: {status} is not JSON: {text}"));
                assert!(v.as_object().is_some_and(|o| !o.is_empty()), "{method} {path} {body}: an explained refusal: {text}");
            }
        }
    }
}

fn base64_std(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

//! The authorization endpoint: validation, error routing, prompts, PKCE, consent.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

both_backends! {
    async fn unknown_client_or_redirect_uri_is_never_redirected_to(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let res = app.authorize(&[("response_type", "code"), ("client_id", "nope"), ("redirect_uri", &client.redirect_uri), ("state", "s")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.expect("html").contains("unknown client_id"));

        for bad in ["https://evil.example.com/cb", "http://localhost:8501/oauth2callback/x", "http://localhost:8501/oauth2callback?x=1"] {
            let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", bad), ("scope", "openid")]).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(res.headers().get("location").is_none(), "{bad}");
        }
        let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("scope", "openid")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "missing redirect_uri is shown, not redirected");
        assert!(res.headers().get("location").is_none());
    }

    async fn other_errors_go_back_to_the_client_with_state_and_iss(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("response_type", "token")], "unsupported_response_type"),
            (vec![], "invalid_request"),
            (vec![("response_type", "code"), ("code_challenge", "x".repeat(43).leak()), ("code_challenge_method", "plain")], "invalid_request"),
            (vec![("response_type", "code"), ("prompt", "none login")], "invalid_request"),
            (vec![("response_type", "code"), ("max_age", "-1")], "invalid_request"),
            (vec![("response_type", "code"), ("request", "eyJ")], "request_not_supported"),
            (vec![("response_type", "code"), ("id_token_hint", "not-a-jwt")], "invalid_request"),
        ];
        for (extra, expected) in cases {
            let mut params = vec![("client_id", client.id.as_str()), ("redirect_uri", client.redirect_uri.as_str()), ("scope", "openid"), ("state", "xyz")];
            params.extend(extra.iter().cloned());
            let res = app.authorize(&params).await;
            assert_eq!(res.status(), StatusCode::FOUND, "{expected}");
            let loc = location(&res);
            assert!(loc.starts_with(&client.redirect_uri), "{loc}");
            let q = query_of(&loc);
            assert_eq!(q["error"], expected, "{params:?}");
            assert!(!q["error_description"].is_empty());
            assert_eq!(q["state"], "xyz");
            assert_eq!(q["iss"], app.issuer);
        }
    }

    async fn repeated_parameters_are_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", &client.redirect_uri), ("scope", "openid"), ("scope", "email"), ("state", "st")]).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        let q = query_of(&location(&res));
        assert_eq!(q["error"], "invalid_request");
        assert_eq!(q["state"], "st", "state is echoed (RFC 6749 §4.1.2.1)");
        assert!(q["error_description"].contains("scope"));
        // A repeated state cannot be echoed; the error still reaches the client.
        let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", &client.redirect_uri), ("scope", "openid"), ("state", "a"), ("state", "b")]).await;
        let q = query_of(&location(&res));
        assert_eq!(q["error"], "invalid_request");
        assert!(!q.contains_key("state"));
    }

    async fn public_clients_must_use_pkce(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client_with(true, false, "http://localhost:3000/cb").await;
        let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", &client.redirect_uri), ("scope", "openid"), ("state", "s")]).await;
        let q = query_of(&location(&res));
        assert_eq!(q["error"], "invalid_request");
        assert!(q["error_description"].contains("PKCE"));
    }

    async fn login_then_code_carries_state_and_iss(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid email", &challenge)).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        let login_url = location(&res);
        assert!(login_url.starts_with("/login?request="), "{login_url}");
        // Wrong password: the form comes back with an error, no redirect, no session.
        let res = app.submit_login(&login_url, "alice@example.com", "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let html = res.text().await.expect("html");
        assert!(html.contains("Incorrect email or password."));
        assert!(html.contains("id=\"login-form\""));
        // Unknown email: the very same message.
        let res = app.submit_login(&login_url, "nobody@example.com", "wrong password").await;
        assert!(res.text().await.expect("html").contains("Incorrect email or password."));
        // Right password: back to the client with a code.
        let res = app.submit_login(&login_url, "Alice@Example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let cookie = res.headers().get_all("set-cookie").iter().map(|v| v.to_str().expect("ascii").to_string()).find(|c| c.starts_with("gh_session=")).expect("session cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let res = app.get(&location(&res)).await;
        let q = query_of(&location(&res));
        assert!(q["code"].len() >= 43);
        assert_eq!(q["state"], "st-123");
        assert_eq!(q["iss"], app.issuer);
        // The parked request is single use.
        let res = app.get(&format!("/oauth2/authorize/resume?request={}", query_of(&login_url)["request"])).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    async fn login_hint_prefills_the_email(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let mut params = TestApp::code_params(&client, "openid", &challenge);
        params.push(("login_hint", "hinted@example.com"));
        params.push(("ui_locales", "de"));
        params.push(("unknown_param", "ignored"));
        let res = app.authorize(&params).await;
        let html = app.get(&location(&res)).await.text().await.expect("html");
        assert!(html.contains("value=\"hinted@example.com\""), "{html}");
    }

    async fn prompt_none_login_max_age_and_id_token_hint(backend: Backend) {
        let app = spawn_app(backend).await;
        let alice = app.create_user("alice@example.com").await;
        app.create_user("bob@example.com").await;
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let base = TestApp::code_params(&client, "openid", &challenge);
        let with = |extra: &[(&'static str, &'static str)]| { let mut p = base.clone(); p.extend_from_slice(extra); p };

        // Not logged in + prompt=none → login_required, back at the client.
        let res = app.authorize(&with(&[("prompt", "none")])).await;
        assert_eq!(query_of(&location(&res))["error"], "login_required");

        // Log in; now prompt=none issues a code silently.
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let res = app.authorize(&with(&[("prompt", "none")])).await;
        assert!(query_of(&location(&res)).contains_key("code"));
        // select_account is accepted (one account per browser: carry on).
        let res = app.authorize(&with(&[("prompt", "select_account")])).await;
        assert!(query_of(&location(&res)).contains_key("code"));

        // prompt=login and max_age=0 force the login form again, then succeed.
        for extra in [("prompt", "login"), ("max_age", "0")] {
            let res = app.authorize(&with(&[extra])).await;
            let loc = location(&res);
            assert!(loc.starts_with("/login?request="), "{extra:?} → {loc}");
            let res = app.submit_login(&loc, "alice@example.com", PASSWORD).await;
            let res = app.get(&location(&res)).await;
            assert!(query_of(&location(&res)).contains_key("code"), "{extra:?}");
        }
        // A generous max_age is satisfied by the current session.
        let res = app.authorize(&with(&[("max_age", "3600")])).await;
        assert!(query_of(&location(&res)).contains_key("code"));

        // id_token_hint naming the logged-in user: fine. Naming someone else: login_required.
        let id_token = tokens["id_token"].as_str().expect("id token").to_string();
        let hint: &'static str = id_token.leak();
        let res = app.authorize(&with(&[("prompt", "none"), ("id_token_hint", hint)])).await;
        assert!(query_of(&location(&res)).contains_key("code"));
        let other = browser();
        let mut q = with(&[("prompt", "none"), ("id_token_hint", hint)]);
        q.retain(|(k, _)| *k != "nonce");
        let res = other.get(app.url("/oauth2/authorize")).query(&q).send().await.expect("authorize");
        assert_eq!(query_of(&location(&res))["error"], "login_required");
        assert_eq!(app.verify_jwt(hint).await["sub"], alice.as_str());
        // Logging in as someone else than the hint names ends in login_required, not a code for bob.
        let res = other.get(app.url("/oauth2/authorize")).query(&with(&[("id_token_hint", hint)])).send().await.expect("authorize");
        let loc = location(&res);
        assert!(loc.starts_with("/login?request="), "{loc}");
        let res = app.submit_login_with(&other, &loc, "bob@example.com", PASSWORD).await;
        let res = other.get(app.url(&location(&res))).send().await.expect("resume");
        let q = query_of(&location(&res));
        assert_eq!(q["error"], "login_required");
        assert!(!q.contains_key("code"));
        // An access token is no id_token_hint.
        let at = tokens["access_token"].as_str().expect("at");
        let mut q = with(&[]);
        q.push(("id_token_hint", at.to_string().leak()));
        let res = app.authorize(&q).await;
        assert_eq!(query_of(&location(&res))["error"], "invalid_request");
    }

    async fn form_post_response_mode(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        app.tokens_for(&client, "openid", "alice@example.com").await;
        let (_, challenge) = pkce_pair();
        let mut params = TestApp::code_params(&client, "openid", &challenge);
        params.push(("response_mode", "form_post"));
        let res = app.authorize(&params).await;
        assert_eq!(res.status(), StatusCode::OK);
        let csp = res.headers()["content-security-policy"].to_str().expect("csp").to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        let html = res.text().await.expect("html");
        assert!(html.contains(&format!("action=\"{}\"", client.redirect_uri)), "{html}");
        assert!(html.contains("name=\"code\"") && html.contains("name=\"state\" value=\"st-123\""));
        assert!(html.contains("src=\"/static/js/form_post.js\""));
    }

    async fn post_to_the_authorization_endpoint(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let res = app.browser.post(app.url("/oauth2/authorize")).form(&TestApp::code_params(&client, "openid", &challenge)).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FOUND);
        assert!(location(&res).starts_with("/login?request="));
    }

    async fn query_pattern_redirect_uris_for_gradio(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client_with(false, false, "https://space.example.com/login/callback?*").await;
        let target = "https://space.example.com/login/callback?_target_url=%2F%3Fx%3D1";
        let params = [("response_type", "code"), ("client_id", client.id.as_str()), ("redirect_uri", target), ("scope", "openid profile"), ("state", "s")];
        let loc = app.authorize_and_login(&params, "alice@example.com").await;
        assert!(loc.starts_with(target), "{loc}");
        let code = query_of(&loc)["code"].clone();
        let wrong = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://space.example.com/login/callback?_target_url=%2F")]).await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST, "redirect_uri must repeat exactly");
    }

    async fn query_patterns_cannot_inject_response_parameters(backend: Backend) {
        // Issue 11 item 4: `?*` must not let a requester plant code/state/iss ahead of the real ones.
        let app = spawn_app(backend).await;
        let client = app.create_client_with(false, false, "http://localhost:8501/g?*").await;
        for injected in [
            "http://localhost:8501/g?code=ATTACKER&state=ATTACKER",
            "http://localhost:8501/g?x=1&iss=https%3A%2F%2Fevil.example.com",
            "http://localhost:8501/g?error=access_denied",
            "http://localhost:8501/g?error_description=x",
            "http://localhost:8501/g?error_uri=x",
            "http://localhost:8501/g?id_token=x",
            "http://localhost:8501/g?access_token=x",
            "http://localhost:8501/g?st%61te=ATTACKER",
        ] {
            let res = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", injected), ("scope", "openid"), ("state", "real")]).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{injected}");
            assert!(res.headers().get("location").is_none(), "{injected} is never redirected to");
            let html = res.text().await.expect("html");
            assert!(html.contains("must not carry"), "{injected}: a clear error");
        }
        let ok = app.authorize(&[("response_type", "code"), ("client_id", &client.id), ("redirect_uri", "http://localhost:8501/g?next=%2F"), ("scope", "openid"), ("state", "real")]).await;
        assert_eq!(ok.status(), StatusCode::FOUND, "other queries still match");
    }

    async fn consent_screen_for_clients_that_require_it(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client_with(false, true, "https://app.example.com/cb").await;
        let (_, challenge) = pkce_pair();
        let params = TestApp::code_params(&client, "openid email", &challenge);
        let res = app.authorize(&params).await;
        let res = app.submit_login(&location(&res), "alice@example.com", PASSWORD).await;
        let res = app.get(&location(&res)).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("html");
        assert!(html.contains("id=\"consent-allow\"") && html.contains("id=\"consent-deny\""));
        assert!(html.contains(&format!("<code id=\"client-id\">{}</code>", client.id)), "the id is shown by the name: {html}");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let request = form_value(&html, "request").expect("request id");
        // Deny → access_denied at the client.
        let res = app.browser.post(app.url("/oauth2/consent")).form(&[("csrf_token", csrf.as_str()), ("request", request.as_str()), ("decision", "deny")]).send().await.expect("deny");
        let q = query_of(&location(&res));
        assert_eq!(q["error"], "access_denied");
        assert_eq!(q["state"], "st-123");
        // prompt=none before consenting → consent_required.
        let mut silent = params.clone();
        silent.push(("prompt", "none"));
        assert_eq!(query_of(&location(&app.authorize(&silent).await))["error"], "consent_required");
        // Allow → code; afterwards no consent screen for the same scopes.
        let html = app.authorize(&params).await.text().await.expect("html");
        let request = form_value(&html, "request").expect("request id");
        let res = app.browser.post(app.url("/oauth2/consent")).form(&[("csrf_token", csrf.as_str()), ("request", request.as_str()), ("decision", "allow")]).send().await.expect("allow");
        assert!(query_of(&location(&res)).contains_key("code"));
        let res = app.authorize(&params).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        assert!(query_of(&location(&res)).contains_key("code"));
        // Without the CSRF token the consent form is refused.
        let res = app.browser.post(app.url("/oauth2/consent")).form(&[("request", request.as_str()), ("decision", "allow")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
}

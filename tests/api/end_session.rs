//! RP-Initiated Logout 1.0 and the hosted /logout page.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

both_backends! {
    async fn logout_with_id_token_hint_redirects_with_state(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let hint = tokens["id_token"].as_str().expect("id token");
        // Even an expired hint is accepted (Streamlit sends old ones).
        app.clock.advance(7200);
        let res = app.browser.get(app.url("/oauth2/logout"))
            .query(&[("id_token_hint", hint), ("post_logout_redirect_uri", "http://localhost:8501/signed-out"), ("state", "bye")])
            .send().await.expect("logout");
        assert_eq!(res.status(), StatusCode::FOUND);
        assert_eq!(location(&res), "http://localhost:8501/signed-out?state=bye");
        // The session is gone: the next authorization asks for a login.
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert!(location(&res).starts_with("/login?"));
    }

    async fn streamlit_style_logout_to_the_redirect_uri(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let res = app.browser.get(app.url("/oauth2/logout"))
            .query(&[("client_id", client.id.as_str()), ("post_logout_redirect_uri", client.redirect_uri.as_str()), ("id_token_hint", tokens["id_token"].as_str().expect("id"))])
            .send().await.expect("logout");
        assert_eq!(location(&res), client.redirect_uri);
    }

    async fn unregistered_post_logout_uri_is_refused(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let hint = tokens["id_token"].as_str().expect("id");
        for params in [
            vec![("id_token_hint", hint), ("post_logout_redirect_uri", "https://evil.example.com/")],
            vec![("post_logout_redirect_uri", "http://localhost:8501/signed-out")],
            vec![("id_token_hint", "forged.token.value")],
            vec![("id_token_hint", hint), ("client_id", "someone-else")],
        ] {
            let res = app.browser.get(app.url("/oauth2/logout")).query(&params).send().await.expect("logout");
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{params:?}");
            assert!(res.headers().get("location").is_none());
        }
        // Still logged in after the refusals.
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert!(query_of(&location(&res)).contains_key("code"));
    }

    async fn only_id_tokens_are_hints_and_patterns_are_not_post_logout_uris(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client_with(false, false, "https://space.example.com/login/callback?*").await;
        let params = [("response_type", "code"), ("client_id", client.id.as_str()), ("redirect_uri", "https://space.example.com/login/callback"), ("scope", "openid"), ("state", "s")];
        let loc = app.authorize_and_login(&params, "alice@example.com").await;
        let code = query_of(&loc)["code"].clone();
        let res = app.token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "https://space.example.com/login/callback")]).await;
        let tokens: serde_json::Value = res.json().await.expect("json");
        // An access token is signed by the same key but is not an ID token: no silent logout with it.
        let access = tokens["access_token"].as_str().expect("at");
        let res = app.browser.get(app.url("/oauth2/logout")).query(&[("id_token_hint", access)]).send().await.expect("logout");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // RP-Initiated Logout §3: exact match only; a `?*` redirect pattern admits no variant.
        let hint = tokens["id_token"].as_str().expect("id");
        let res = app.browser.get(app.url("/oauth2/logout"))
            .query(&[("id_token_hint", hint), ("post_logout_redirect_uri", "https://space.example.com/login/callback?next=evil")])
            .send().await.expect("logout");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.headers().get("location").is_none());
        // Still logged in after the refusals; the registered post-logout URI works.
        let res = app.browser.get(app.url("/oauth2/logout"))
            .query(&[("id_token_hint", hint), ("post_logout_redirect_uri", "http://localhost:8501/signed-out")])
            .send().await.expect("logout");
        assert_eq!(location(&res), "http://localhost:8501/signed-out");
    }

    async fn logout_without_hint_asks_first(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        app.tokens_for(&client, "openid", "alice@example.com").await;
        let res = app.browser.get(app.url("/oauth2/logout")).query(&[("client_id", client.id.as_str()), ("post_logout_redirect_uri", "http://localhost:8501/signed-out")]).send().await.expect("logout");
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("html");
        assert!(html.contains("id=\"logout-form\""));
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let res = app.browser.post(app.url("/oauth2/logout"))
            .form(&[("csrf_token", csrf.as_str()), ("confirm", "yes"), ("client_id", client.id.as_str()), ("post_logout_redirect_uri", "http://localhost:8501/signed-out")])
            .send().await.expect("confirm");
        assert_eq!(location(&res), "http://localhost:8501/signed-out");
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert!(location(&res).starts_with("/login?"));
    }

    async fn hosted_logout_page(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let res = app.submit_login("/login", "alice@example.com", PASSWORD).await;
        assert_eq!(location(&res), "/account");
        let home = app.get("/account").await.text().await.expect("html");
        assert!(home.contains("alice@example.com"));
        let csrf = form_value(&home, "csrf_token").expect("csrf");
        // Without the token: refused, still signed in.
        let res = app.browser.post(app.url("/logout")).form(&[("csrf_token", "bad")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
        let res = app.browser.post(app.url("/logout")).form(&[("csrf_token", csrf.as_str())]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("signed out"));
        let res = app.get("/account").await;
        assert_eq!(location(&res), "/login?return_to=%2Faccount");
    }
}

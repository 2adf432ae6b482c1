//! Magic links: minted by the service the backend API calls, and requested on the login page.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::auth::magic_link::{self, MagicLinkError, NewLink};
use reqwest::StatusCode;

both_backends! {
    async fn minted_link_logs_in_once_and_redirects(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let url = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), redirect_to_url: Some("https://app.example/welcome".into()), expires_in_hours: Some(2), ..NewLink::default() }).await.expect("link");
        assert!(url.starts_with(&format!("{}/magic-link?token=", app.issuer)), "{url}");
        let res = app.get(&url).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "https://app.example/welcome");
        let sessions = app.state.store.sessions_for_user(&id, app.clock.now()).await.expect("sessions");
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].login_method, "magic_link");
        // Single use by default.
        let res = browser().get(&url).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("expired or was already used"));
    }

    async fn reusable_links_and_expiry(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let url = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), expires_in_hours: Some(1), create_new_user_if_one_doesnt_exist: Some(false), expire_after_first_use: Some(false), ..NewLink::default() }).await.expect("link");
        assert_eq!(location(&browser().get(&url).send().await.expect("get")), "/account");
        assert_eq!(location(&browser().get(&url).send().await.expect("get")), "/account", "expire_after_first_use=false");
        app.clock.advance(3601);
        assert_eq!(browser().get(&url).send().await.expect("get").status(), StatusCode::BAD_REQUEST, "expired");
    }

    async fn interstitial_needs_a_click(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let url = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), requires_interstitial: Some(true), ..NewLink::default() }).await.expect("link");
        // A scanner fetching the link twice uses nothing up.
        for _ in 0..2 {
            let res = app.get(&url).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert!(res.text().await.expect("html").contains("id=\"magic-link-continue\""));
        }
        let token = url.split("token=").nth(1).expect("token");
        let res = app.post_form("/magic-link", &[("token", token)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/account");
        assert_eq!(app.post_form("/magic-link", &[("token", token)]).await.status(), StatusCode::BAD_REQUEST);
    }

    async fn creating_users_and_refusals(backend: Backend) {
        let app = spawn_app(backend).await;
        let err = magic_link::create(&app.state, NewLink { email: "new@example.com".into(), create_new_user_if_one_doesnt_exist: Some(false), ..NewLink::default() }).await.unwrap_err();
        assert!(matches!(err, MagicLinkError::UserNotFound));
        assert!(matches!(magic_link::create(&app.state, NewLink { email: "not-an-email".into(), ..NewLink::default() }).await, Err(MagicLinkError::InvalidEmail(_))));
        assert!(matches!(magic_link::create(&app.state, NewLink { email: "a@example.com".into(), expires_in_hours: Some(0), ..NewLink::default() }).await, Err(MagicLinkError::InvalidExpiry)));
        assert!(matches!(magic_link::create(&app.state, NewLink { email: "a@example.com".into(), redirect_to_url: Some("javascript:alert(1)".into()), ..NewLink::default() }).await, Err(MagicLinkError::InvalidRedirect)));
        let url = magic_link::create(&app.state, NewLink { email: "New@Example.com".into(), ..NewLink::default() }).await.expect("link");
        assert!(app.state.store.user_by_email("new@example.com").await.expect("db").is_none(), "created on use, not on mint");
        assert_eq!(app.get(&url).await.status(), StatusCode::SEE_OTHER);
        let user = app.state.store.user_by_email("new@example.com").await.expect("db").expect("created");
        assert!(user.email_verified);
    }

    async fn a_password_set_before_the_address_was_proven_does_not_survive_a_link(backend: Backend) {
        let app = spawn_app(backend).await;
        // Someone signs up in the owner's name with a password of their choosing ...
        let res = app.post_form("/signup", &[("email", "owner@example.com"), ("password", "attacker's password")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        // ... and the owner later signs in with a magic link, proving the address.
        let url = magic_link::create(&app.state, NewLink { email: "owner@example.com".into(), ..NewLink::default() }).await.expect("link");
        assert_eq!(browser().get(&url).send().await.expect("get").status(), StatusCode::SEE_OTHER);
        let user = app.state.store.user_by_email("owner@example.com").await.expect("db").expect("user");
        assert!(user.email_verified);
        assert!(user.password_hash.is_none(), "the unproven password is gone");
        assert_ne!(app.submit_login_with(&browser(), "/login", "owner@example.com", "attacker's password").await.status(), StatusCode::SEE_OTHER);
        // A verified account keeps its password when it uses a link.
        app.create_user("alice@example.com").await;
        let url = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), ..NewLink::default() }).await.expect("link");
        browser().get(&url).send().await.expect("get");
        assert_eq!(app.submit_login_with(&browser(), "/login", "alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn a_link_for_another_account_asks_before_switching(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.create_user("mallory@example.com").await;
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let url = magic_link::create(&app.state, NewLink { email: "mallory@example.com".into(), ..NewLink::default() }).await.expect("link");
        let res = app.get(&url).await;
        assert_eq!(res.status(), StatusCode::OK, "asks instead of switching");
        let html = res.text().await.expect("html");
        assert!(html.contains("id=\"magic-link-continue\"") && html.contains("mallory@example.com"));
        assert!(app.get("/account").await.text().await.expect("html").contains("alice@example.com"), "still alice");
        // A link for the account already signed in goes straight through.
        let own = magic_link::create(&app.state, NewLink { email: "alice@example.com".into(), ..NewLink::default() }).await.expect("link");
        assert_eq!(app.get(&own).await.status(), StatusCode::SEE_OTHER);
    }

    async fn requested_on_the_login_page(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let login = app.get("/login").await.text().await.expect("html");
        assert!(login.contains("id=\"magic-link-link\""));
        assert_eq!(app.get("/login/magic-link").await.status(), StatusCode::OK);
        let known = app.post_form("/login/magic-link", &[("email", "alice@example.com")]).await;
        assert_eq!(known.status(), StatusCode::OK);
        let known = known.text().await.expect("html");
        let unknown = app.post_form("/login/magic-link", &[("email", "ghost@example.com")]).await.text().await.expect("html");
        assert_eq!(known, unknown, "no user enumeration");
        let mail = app.email_to("alice@example.com", 1).await;
        assert!(mail.subject.contains("sign-in link"));
        app.assert_no_email_to("ghost@example.com").await;
        let res = app.get(&link_in(&mail.text_body, "/magic-link")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/account");
    }

    async fn magic_link_continues_an_oauth_request(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let client = app.create_client().await;
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid email", &challenge)).await;
        let login_url = location(&res);
        let request = query_of(&login_url).get("request").expect("request id").clone();
        app.post_form("/login/magic-link", &[("email", "alice@example.com"), ("request", &request)]).await;
        let link = link_in(&app.email_to("alice@example.com", 1).await.text_body, "/magic-link");
        let res = app.get(&link).await;
        let resume = location(&res);
        assert!(resume.starts_with("/oauth2/authorize/resume?request="), "{resume}");
        let res = app.get(&resume).await;
        assert!(location(&res).starts_with(&client.redirect_uri));
    }
}

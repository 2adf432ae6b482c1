//! Signup (policies), email verification and password reset, through the hosted pages.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

async fn signup(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_form("/signup", &[("email", email), ("password", PASSWORD), ("first_name", "Sam"), ("last_name", "Signup")]).await
}

both_backends! {
    async fn signup_verify_then_login(backend: Backend) {
        let app = spawn_app(backend).await;
        let res = signup(&app, "sam@example.com").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("Check your email"));
        // Not verified yet: the right password is refused with a hint, and a new link goes out.
        let res = app.login("sam@example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("confirm your email"));
        let mail = app.email_to("sam@example.com", 1).await;
        assert!(mail.subject.contains("Confirm your email"), "{}", mail.subject);
        assert!(mail.html_body.contains("<a href="), "HTML body");
        let second = app.email_to("sam@example.com", 2).await;
        // Two links went out (signup, then the resend). Both work until one is used; using
        // one retires the other, so the account cannot be entered twice by link.
        let link = link_in(&second.text_body, "/verify-email");
        let first = link_in(&mail.text_body, "/verify-email");
        assert_ne!(link, first);
        let res = app.get(&link).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/account?notice=email-confirmed");
        assert_eq!(browser().get(&first).send().await.expect("get").status(), StatusCode::BAD_REQUEST, "retired by the first use");
        let user = app.state.store.user_by_email("sam@example.com").await.expect("db").expect("user");
        assert!(user.email_verified);
        assert_eq!(user.first_name.as_deref(), Some("Sam"));
        let sessions = app.state.store.sessions_for_user(&user.id, app.clock.now()).await.expect("sessions");
        assert_eq!(sessions[0].login_method, "email_confirmation_link");
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
        // The link is single use.
        let res = app.get(&link).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("expired or was already used"));
    }

    async fn signup_page_query_parameters_are_recorded(backend: Backend) {
        let app = spawn_app(backend).await;
        let html = app.get("/signup?utm_source=ads&ref=7").await.text().await.expect("html");
        assert!(html.contains(r#"action="/signup?ref=7&#38;utm_source=ads""#), "the form posts back to its own query: {html}");
        let fields = [("email", "utm@example.com"), ("password", PASSWORD)];
        assert_eq!(app.post_form("/signup?ref=7&utm_source=ads", &fields).await.status(), StatusCode::OK);
        let user = app.state.store.user_by_email("utm@example.com").await.expect("db").expect("user");
        let stored: serde_json::Value = serde_json::from_str(&user.signup_query_parameters).expect("json");
        assert_eq!(stored, serde_json::json!({"ref": "7", "utm_source": "ads"}));
        // Without a query string the form posts to the bare path and records nothing.
        assert!(app.get("/signup").await.text().await.expect("html").contains(r#"action="/signup""#));
        signup(&app, "plain@example.com").await;
        let plain = app.state.store.user_by_email("plain@example.com").await.expect("db").expect("user");
        assert_eq!(plain.signup_query_parameters, "{}");
    }

    async fn a_confirmation_link_does_not_swap_another_session(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        signup(&app, "sam@example.com").await;
        let link = link_in(&app.email_to("sam@example.com", 1).await.text_body, "/verify-email");
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let res = app.get(&link).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("sam@example.com is confirmed"));
        assert!(app.state.store.user_by_email("sam@example.com").await.expect("db").expect("user").email_verified);
        assert!(app.get("/account").await.text().await.expect("html").contains("alice@example.com"), "still alice");
    }

    async fn signup_with_a_taken_address_looks_the_same(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let res = signup(&app, "alice@example.com").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("Check your email"));
        let mail = app.email_to("alice@example.com", 1).await;
        assert!(mail.subject.contains("already have an account"));
        // The existing password still works: nothing was overwritten.
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn signup_policies_are_enforced(backend: Backend) {
        let app = spawn_app(backend).await;
        app.set_setting("signup_policy", "invite_only").await;
        assert_eq!(app.get("/signup").await.status(), StatusCode::FORBIDDEN);
        assert_eq!(signup(&app, "x@example.com").await.status(), StatusCode::FORBIDDEN);
        assert!(!app.get("/login").await.text().await.expect("html").contains("id=\"signup-link\""));
        app.set_setting("signup_policy", "allowed_domains").await;
        app.set_setting("signup_allowed_domains", "corp.example").await;
        let res = signup(&app, "x@example.com").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("corp.example"));
        assert_eq!(signup(&app, "y@corp.example").await.status(), StatusCode::OK);
        assert!(app.state.store.user_by_email("x@example.com").await.expect("db").is_none());
        assert!(app.state.store.user_by_email("y@corp.example").await.expect("db").is_some());
        // Bad input is explained, not a 500.
        app.set_setting("signup_policy", "open").await;
        let res = app.post_form("/signup", &[("email", "z@example.com"), ("password", "short")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("at least 8 characters"));
    }

    async fn verification_links_expire(backend: Backend) {
        let app = spawn_app(backend).await;
        signup(&app, "late@example.com").await;
        let link = link_in(&app.email_to("late@example.com", 1).await.text_body, "/verify-email");
        app.clock.advance(25 * 3600);
        assert_eq!(app.get(&link).await.status(), StatusCode::BAD_REQUEST);
    }

    async fn password_reset_round_trip(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let other = browser();
        app.submit_login_with(&other, "/login", "alice@example.com", PASSWORD).await;
        let res = app.post_form("/forgot-password", &[("email", "Alice@Example.com")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let known = res.text().await.expect("html");
        let res = app.post_form("/forgot-password", &[("email", "nobody@example.com")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text().await.expect("html"), known, "unknown addresses get the same page");
        let link = link_in(&app.email_to("alice@example.com", 1).await.text_body, "/reset-password");
        app.assert_no_email_to("nobody@example.com").await;
        // Opening the link (as a mail scanner would) does not use it.
        assert_eq!(app.get(&link).await.status(), StatusCode::OK);
        let html = app.get(&link).await.text().await.expect("html");
        assert!(html.contains("id=\"reset-form\""));
        let token = form_value(&html, "token").expect("token");
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "short")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "policy checked before the link is used");
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "a brand new password")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login?notice=password_reset");
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.login("alice@example.com", "a brand new password").await.status(), StatusCode::SEE_OTHER);
        // Every earlier session ended; the link cannot be used twice.
        assert_eq!(location(&other.get(app.url("/account")).send().await.expect("get")), "/login?return_to=%2Faccount");
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "another new password")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let _ = id;
    }

    async fn reset_links_expire_and_newer_ones_win(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.post_form("/forgot-password", &[("email", "alice@example.com")]).await;
        let first = link_in(&app.email_to("alice@example.com", 1).await.text_body, "/reset-password");
        app.post_form("/forgot-password", &[("email", "alice@example.com")]).await;
        let second = link_in(&app.email_to("alice@example.com", 2).await.text_body, "/reset-password");
        assert_eq!(app.get(&first).await.status(), StatusCode::BAD_REQUEST, "a newer link retires the older one");
        app.clock.advance(3601);
        assert_eq!(app.get(&second).await.status(), StatusCode::BAD_REQUEST, "expired after an hour");
    }
}

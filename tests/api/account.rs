//! The account area, Look & Feel (sidebar, colours, redirects) and hosted logout.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

both_backends! {
    async fn login_lands_on_the_account_page_with_a_sidebar(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let res = app.login("alice@example.com", PASSWORD).await;
        assert_eq!(location(&res), "/account");
        let html = app.get("/account").await.text().await.expect("html");
        for hook in ["id=\"account-sidebar\"", "id=\"nav-orgs\"", "href=\"/orgs\"", "id=\"sidebar-logout\"", "id=\"profile-form\""] {
            assert!(html.contains(hook), "missing {hook}");
        }
        app.set_setting("show_sidebar", "false").await;
        let html = app.get("/account").await.text().await.expect("html");
        assert!(!html.contains("id=\"account-sidebar\"") && !html.contains("id=\"sidebar-logout\""));
        for path in ["/account/email", "/account/password", "/account/mfa", "/account/sessions"] {
            assert_eq!(app.get(path).await.status(), StatusCode::OK, "{path}");
        }
        assert_eq!(location(&browser().get(app.url("/account")).send().await.expect("get")), "/login?return_to=%2Faccount");
    }

    async fn look_and_feel_redirects_and_colours(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.set_setting("redirect_after_login", "/welcome").await;
        app.set_setting("redirect_after_logout", "https://app.example/bye").await;
        app.set_setting("product_name", "Acme ID").await;
        app.set_setting("primary_color", "#AA3300").await;
        assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/welcome");
        let res = app.post_form("/logout", &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "https://app.example/bye");
        assert_eq!(location(&app.get("/account").await), "/login?return_to=%2Faccount", "the session ended");
        let css = app.get("/theme.css").await.text().await.expect("css");
        assert!(css.contains("--primary: #aa3300"), "{css}");
        assert!(app.get("/login").await.text().await.expect("html").contains("Acme ID"));
        assert!(app.state.store.audit_entries(10).await.expect("audit").iter().any(|e| e.2 == "settings.set"));
        // Without a logout redirect, the signed-out page.
        gatehouse::admin_settings::unset(&app.state.store, &app.clock, "redirect_after_logout").await.expect("unset");
        app.login("alice@example.com", PASSWORD).await;
        let res = app.post_form("/logout", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("Signed out"));
    }

    async fn profile_updates_and_validation(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        let res = app.post_form("/account", &[("first_name", "Alicia"), ("last_name", "L"), ("username", "alicia"), ("picture_url", "https://img.example/a.png")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("Profile saved"));
        let u = app.state.store.user_by_id(&id).await.expect("db").expect("user");
        assert_eq!((u.first_name.as_deref(), u.username.as_deref(), u.picture_url.as_deref()), (Some("Alicia"), Some("alicia"), Some("https://img.example/a.png")));
        let res = app.post_form("/account", &[("username", "has space")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app.post_form("/account", &[("picture_url", "http://img.example/a.png")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        app.create_user("bob@example.com").await;
        let res = app.post_form("/account", &[("username", "bob")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("already taken"));
    }

    async fn change_password_signs_out_other_sessions(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let other = browser();
        app.submit_login_with(&other, "/login", "alice@example.com", PASSWORD).await;
        app.login("alice@example.com", PASSWORD).await;
        let res = app.post_form("/account/password", &[("current_password", "wrong"), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.get("/account").await.status(), StatusCode::OK, "this session stays");
        assert_eq!(location(&other.get(app.url("/account")).send().await.expect("get")), "/login?return_to=%2Faccount");
        assert_eq!(app.submit_login_with(&browser(), "/login", "alice@example.com", "new password 123").await.status(), StatusCode::SEE_OTHER);
    }

    async fn sessions_can_be_listed_and_signed_out(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let (b1, b2) = (browser(), browser());
        app.submit_login_with(&b1, "/login", "alice@example.com", PASSWORD).await;
        app.submit_login_with(&b2, "/login", "alice@example.com", PASSWORD).await;
        app.login("alice@example.com", PASSWORD).await;
        let html = app.get("/account/sessions").await.text().await.expect("html");
        assert_eq!(html.matches("class=\"session\"").count(), 3);
        assert_eq!(html.matches("id=\"current-session\"").count(), 1);
        let one = form_value(&html, "session").expect("a revocable session");
        let res = app.post_form("/account/sessions/revoke", &[("session", &one)]).await;
        assert!(res.text().await.expect("html").contains("That session was signed out"));
        let alive = [&b1, &b2];
        let mut statuses = Vec::new();
        for b in alive {
            statuses.push(b.get(app.url("/account")).send().await.expect("get").status());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1);
        // Someone else's session id is refused.
        assert_eq!(app.post_form("/account/sessions/revoke", &[("session", "deadbeef")]).await.status(), StatusCode::BAD_REQUEST);
        let res = app.post_form("/account/sessions/revoke-others", &[]).await;
        assert!(res.text().await.expect("html").contains("Signed out 1 other session"));
        for b in [&b1, &b2] {
            assert_eq!(location(&b.get(app.url("/account")).send().await.expect("get")), "/login?return_to=%2Faccount");
        }
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
    }

    async fn change_email_is_reverified(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        let res = app.post_form("/account/email", &[("email", "alice@new.example"), ("password", "wrong")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = app.post_form("/account/email", &[("email", "alice@new.example"), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(app.state.store.user_by_id(&id).await.expect("db").expect("user").email, "alice@example.com", "unchanged until confirmed");
        let link = link_in(&app.email_to("alice@new.example", 1).await.text_body, "/account/email/confirm");
        let res = app.get(&link).await;
        assert_eq!(res.status(), StatusCode::OK);
        let u = app.state.store.user_by_id(&id).await.expect("db").expect("user");
        assert_eq!((u.email.as_str(), u.email_verified), ("alice@new.example", true));
        let notice = app.email_to("alice@example.com", 1).await;
        assert!(notice.subject.contains("email address was changed"), "{}", notice.subject);
        assert!(notice.text_body.contains("alice@new.example"));
        assert_eq!(app.get(&link).await.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.submit_login_with(&browser(), "/login", "alice@new.example", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }

    async fn a_password_change_cancels_a_pending_email_change(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        let res = app.post_form("/account/email", &[("email", "intruder@evil.example"), ("password", PASSWORD)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let link = link_in(&app.email_to("intruder@evil.example", 1).await.text_body, "/account/email/confirm");
        let res = app.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(browser().get(&link).send().await.expect("get").status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.state.store.user_by_id(&id).await.expect("db").expect("user").email, "alice@example.com");
    }

    async fn a_passwordless_account_needs_a_recent_sign_in_to_change_its_email(backend: Backend) {
        let app = spawn_app(backend).await;
        let url = gatehouse::auth::magic_link::create(&app.state, gatehouse::auth::magic_link::NewLink { email: "nopass@example.com".into(), ..Default::default() }).await.expect("link");
        assert_eq!(app.get(&url).await.status(), StatusCode::SEE_OTHER, "signed in by link, no password");
        app.clock.advance(11 * 60);
        let res = app.post_form("/account/email", &[("email", "elsewhere@example.com")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("sign in again"));
        assert!(app.emails().await.iter().all(|m| m.to_addr != "elsewhere@example.com"), "no link went out");
        // Freshly signed in, it works.
        let url = gatehouse::auth::magic_link::create(&app.state, gatehouse::auth::magic_link::NewLink { email: "nopass@example.com".into(), ..Default::default() }).await.expect("link");
        assert_eq!(app.get(&url).await.status(), StatusCode::SEE_OTHER);
        let res = app.post_form("/account/email", &[("email", "elsewhere@example.com")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        app.email_to("elsewhere@example.com", 1).await;
    }

    async fn every_account_form_needs_csrf(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        for path in ["/account", "/account/email", "/account/password", "/account/mfa/start", "/account/sessions/revoke-others", "/signup", "/forgot-password", "/login/magic-link", "/reset-password"] {
            let res = app.browser.post(app.url(path)).form(&[("email", "a@example.com")]).send().await.expect("post");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        }
    }
}

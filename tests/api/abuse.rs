//! Lockout and rate limits, counted in the database.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

/// Requests a sign-in link, as a browser behind a proxy that says the client is `forwarded_for`.
async fn request_link_from(app: &TestApp, forwarded_for: &str, i: usize) -> StatusCode {
    let csrf = app.csrf_with(&app.browser).await;
    let email = format!("user{i}@example.com");
    let form = [("csrf_token", csrf.as_str()), ("email", email.as_str())];
    let res =
        app.browser.post(app.url("/login/magic-link")).header("X-Forwarded-For", forwarded_for).form(&form).send().await.expect("post");
    res.status()
}

both_backends! {
    async fn repeated_failures_lock_the_account(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.set_setting("lockout_threshold", "3").await;
        app.set_setting("lockout_seconds", "600").await;
        for _ in 0..2 {
            assert_eq!(app.login("alice@example.com", "wrong password").await.status(), StatusCode::UNAUTHORIZED);
        }
        let res = app.login("alice@example.com", "wrong password").await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let known = res.text().await.expect("html");
        assert!(known.contains("Try again in 10 minutes"), "the user is told when to retry");
        // Locked: even the right password is refused.
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
        // An address without an account locks the same way (no enumeration).
        for _ in 0..2 {
            app.login("ghost@example.com", "wrong password").await;
        }
        let ghost = app.login("ghost@example.com", "wrong password").await;
        assert_eq!(ghost.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(ghost.text().await.expect("html").replace("ghost@", "alice@"), known);
        app.clock.advance(601);
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let audit = app.state.store.audit_entries(50).await.expect("audit");
        assert!(audit.iter().any(|(_, _, action, subject, _)| action == "login.locked" && subject == "alice@example.com"));
    }

    async fn an_admin_unlock_is_audited(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        app.set_setting("lockout_threshold", "1").await;
        assert_eq!(app.login("alice@example.com", "nope nope").await.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(gatehouse::auth::abuse::unlock(&app.state, "cli", "alice@example.com").await.expect("unlock"));
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
        let audit = app.state.store.audit_entries(50).await.expect("audit");
        assert!(audit.iter().any(|(_, actor, action, subject, _)| actor == "cli" && action == "login.unlock" && subject == "alice@example.com"));
    }

    async fn per_account_rate_limit(backend: Backend) {
        let app = spawn_app(backend).await;
        app.set_setting("rate_limit_account_per_minute", "2").await;
        app.clock.advance(60 - app.clock.now().rem_euclid(60)); // start of a fresh one-minute window
        for _ in 0..2 {
            assert_eq!(app.post_form("/forgot-password", &[("email", "alice@example.com")]).await.status(), StatusCode::OK);
        }
        let res = app.post_form("/forgot-password", &[("email", "ALICE@example.com")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: i64 = res.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
        assert!((1..=60).contains(&retry));
        // Another account is not affected; the window passes.
        assert_eq!(app.post_form("/forgot-password", &[("email", "bob@example.com")]).await.status(), StatusCode::OK);
        app.clock.advance(60);
        assert_eq!(app.post_form("/forgot-password", &[("email", "alice@example.com")]).await.status(), StatusCode::OK);
    }

    async fn forwarded_for_counts_only_behind_a_trusted_proxy(backend: Backend) {
        for (trust, want) in [("127.0.0.1", [200, 200, 429, 200]), ("", [200, 200, 429, 429])] {
            let app = spawn_app_with(backend, &[("GATEHOUSE_TRUSTED_PROXIES", trust)]).await;
            app.set_setting("rate_limit_ip_per_minute", "2").await;
            app.clock.advance(60 - app.clock.now().rem_euclid(60));
            let mut got = Vec::new();
            for (i, client) in ["198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2"].into_iter().enumerate() {
                got.push(request_link_from(&app, client, i).await.as_u16());
            }
            // Trusted: each client has its own budget. Not trusted: the header is ignored.
            assert_eq!(got, want, "trusted proxies: `{trust}`");
        }
    }

    async fn per_ip_rate_limit_across_replicas(backend: Backend) {
        let app = spawn_app(backend).await;
        let data_dir = temp_dir();
        let replica = spawn_on(&app.database_url, &data_dir, &app.master_key, &[]).await;
        app.set_setting("rate_limit_ip_per_minute", "3").await;
        // Both replicas at the start of the same fresh one-minute window.
        let shift = 60 - app.clock.now().rem_euclid(60);
        app.clock.advance(shift);
        replica.clock.advance(shift);
        app.create_user("alice@example.com").await;
        let mut statuses = Vec::new();
        for (i, target) in [&app, &replica, &app, &replica].into_iter().enumerate() {
            let res = target.post_form("/login/magic-link", &[("email", &format!("user{i}@example.com"))]).await;
            statuses.push(res.status());
        }
        assert_eq!(statuses[..3], [StatusCode::OK; 3]);
        assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS, "both replicas count in the same table");
        let res = app.submit_login("/login", "alice@example.com", "bad password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "limits are per action");
    }
}

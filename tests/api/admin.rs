//! The admin dashboard's gates and overview: every route in the admin route table refuses
//! non-admins (403) and sends signed-out visitors to the login page; stale sessions must
//! confirm who they are before sensitive actions; the overview shows the figures.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::users::{self, CreateUser};
use gatehouse::web::admin::ROUTES;
use reqwest::StatusCode;

/// Creates an instance admin (password `PASSWORD`) and returns their id.
pub async fn create_admin(app: &TestApp, email: &str) -> String {
    let input = CreateUser {
        email: email.into(),
        password: Some(PASSWORD.into()),
        first_name: Some("Ada".into()),
        email_verified: true,
        is_admin: true,
        ..Default::default()
    };
    users::create(&app.state.store, &app.state.hasher, &app.clock, input).await.expect("admin created")
}

/// A browser signed in as a new admin `email`.
pub async fn admin_browser(app: &TestApp, email: &str) -> reqwest::Client {
    create_admin(app, email).await;
    app.logged_in_browser(email).await
}

/// GETs an admin page (expects 200) and returns its HTML.
pub async fn admin_page(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let res = browser.get(app.url(path)).send().await.expect("admin page");
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    res.text().await.expect("html")
}

/// POSTs an admin form with the CSRF token of `page` (a page with a form).
pub async fn admin_post(app: &TestApp, browser: &reqwest::Client, page: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_for(browser, page).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(app.url(path)).form(&form).send().await.expect("post")
}

/// A concrete path for a route pattern (`{id}` segments filled with a placeholder).
fn concrete(pattern: &str) -> String {
    pattern.split('/').map(|seg| if seg.starts_with('{') { "not-an-id" } else { seg }).collect::<Vec<_>>().join("/")
}

both_backends! {
    async fn every_admin_route_is_gated(backend: Backend) {
        let app = spawn_app(backend).await;
        assert!(!ROUTES.is_empty() && ROUTES.iter().any(|(_, p)| *p == "/admin"));
        app.create_user("member@example.com").await;
        let member = app.logged_in_browser("member@example.com").await;
        let csrf = app.csrf_for(&member, "/account").await;
        let anonymous = browser();
        let anon_csrf = app.csrf_with(&anonymous).await;
        for (method, pattern) in ROUTES {
            let path = concrete(pattern);
            let (as_member, signed_out) = match *method {
                "get" => (
                    member.get(app.url(&path)).send().await.expect("get"),
                    anonymous.get(app.url(&path)).send().await.expect("get"),
                ),
                "post" => (
                    member.post(app.url(&path)).form(&[("csrf_token", csrf.as_str())]).send().await.expect("post"),
                    anonymous.post(app.url(&path)).form(&[("csrf_token", anon_csrf.as_str())]).send().await.expect("post"),
                ),
                other => panic!("unexpected method {other} for {pattern}"),
            };
            assert_eq!(as_member.status(), StatusCode::FORBIDDEN, "{method} {pattern} as a non-admin");
            let html = as_member.text().await.expect("html");
            assert!(html.contains("Not allowed"), "{method} {pattern}: the 403 page says why");
            assert_eq!(signed_out.status(), StatusCode::SEE_OTHER, "{method} {pattern} signed out");
            let to = location(&signed_out);
            assert!(to.starts_with("/login"), "{method} {pattern} signed out goes to the login page, not {to}");
            if *method == "get" {
                let back = query_of(&format!("http://x{to}")).get("return_to").cloned();
                assert_eq!(back.as_deref(), Some(path.as_str()), "and comes back to {path}");
            }
        }
    }

    async fn an_admin_signs_in_and_comes_back_to_the_dashboard(backend: Backend) {
        let app = spawn_app(backend).await;
        create_admin(&app, "root@example.com").await;
        let b = browser();
        let res = b.get(app.url("/admin?x=1")).send().await.expect("admin");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let login = location(&res);
        let html = b.get(app.url(&login)).send().await.expect("login page").text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let back = form_value(&html, "return_to").expect("the login form carries the way back");
        let form = [("csrf_token", csrf.as_str()), ("return_to", back.as_str()), ("email", "root@example.com"), ("password", PASSWORD)];
        let res = b.post(app.url("/login")).form(&form).send().await.expect("login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/admin?x=1");
        let html = admin_page(&app, &b, "/admin").await;
        assert!(html.contains("id=\"admin-email\">root@example.com<"));
    }

    async fn overview_shows_counts_chart_events_and_urls(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        app.create_user("bob@example.com").await;
        app.create_client().await;
        // One wrong password: a failed sign-in and a security event.
        let res = app.submit_login_with(&browser(), "/login", "bob@example.com", "wrong password").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        app.logged_in_browser("bob@example.com").await;
        let html = admin_page(&app, &admin, "/admin").await;
        assert!(html.contains("id=\"count-users\">2<"), "two users");
        assert!(html.contains("id=\"count-clients\">1<"), "one client");
        assert!(html.contains("id=\"count-sessions\">2<"), "the admin's and bob's sessions");
        assert!(html.contains("id=\"count-orgs\">0<"));
        assert!(html.contains("id=\"sign-ins-total\">2<"), "two sign-ins today");
        assert!(html.contains("id=\"failures-total\">1<"), "one failure today");
        assert!(html.contains("<svg") && html.contains("2 sign-ins and 1 failed sign-ins over the last 30 days"));
        assert!(html.contains("login.failed") && html.contains("bob@example.com"), "the failure is a recent event");
        assert!(!html.contains("wrong password"), "never the password");
        let metadata = format!("{}/.well-known/openid-configuration", app.issuer);
        assert!(html.contains(&metadata), "metadata URL to copy");
    }

    async fn admins_must_use_mfa_when_the_setting_says_so(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        app.set_setting("require_mfa_for_admins", "true").await;
        let res = admin.get(app.url("/admin")).send().await.expect("admin");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = res.text().await.expect("html");
        assert!(html.contains("Set up two-factor authentication") && html.contains("/account/mfa"));
    }

    async fn a_stale_session_confirms_with_its_password(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let res = admin.get(app.url("/reauth?return_to=/admin")).send().await.expect("reauth");
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("html");
        assert!(html.contains("Confirm it&#x27;s you") || html.contains("Confirm it's you"));
        let wrong = admin_post(&app, &admin, "/reauth?return_to=/admin", "/reauth", &[("return_to", "/admin"), ("password", "nope")]).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert!(wrong.text().await.expect("html").contains("That is not correct"));
        let ok = admin_post(&app, &admin, "/reauth?return_to=/admin", "/reauth", &[("return_to", "/admin"), ("password", PASSWORD)]).await;
        assert_eq!(ok.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&ok), "/admin");
        let events = app.state.store.recent_audit_except("login.succeeded", 10).await.expect("audit");
        assert!(events.iter().any(|e| e.action == "reauth.succeeded"));
        assert!(events.iter().any(|e| e.action == "reauth.failed"));
        // Never an open redirect.
        let off = admin_post(&app, &admin, "/reauth", "/reauth", &[("return_to", "//evil.example"), ("password", PASSWORD)]).await;
        assert_eq!(location(&off), "/account");
    }

    async fn reauth_forms_need_csrf_and_a_session(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let res = admin.post(app.url("/reauth")).form(&[("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
        let res = browser().get(app.url("/reauth")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out");
    }
}

//! Hosted pages: headers, CSRF, sessions, first-run set-up, health endpoints.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

both_backends! {
    async fn pages_carry_security_headers(backend: Backend) {
        let app = spawn_app(backend).await;
        let res = app.get("/login").await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h.get("strict-transport-security").is_none(), "no HSTS on an http:// issuer");
        let behind_tls = spawn_app_with(backend, &[("GATEHOUSE_ISSUER", "https://auth.example.com")]).await;
        assert_eq!(behind_tls.get("/healthz").await.headers()["strict-transport-security"], "max-age=31536000");
        let html = res.text().await.expect("html");
        for hook in ["<form id=\"login-form\" method=\"post\"", "type=\"email\" name=\"email\" id=\"email\" autocomplete=\"username\"",
                     "type=\"password\" name=\"password\" id=\"password\" autocomplete=\"current-password\"", "type=\"submit\" id=\"login-submit\""] {
            assert!(html.contains(hook), "missing {hook}");
        }
        assert!(!html.contains("<script"), "no inline script on the login page");
    }

    async fn login_form_requires_its_csrf_token(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let res = app.browser.post(app.url("/login")).form(&[("email", "alice@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A token from another browser does not match this browser's cookie.
        let other = browser();
        let html = other.get(app.url("/login")).send().await.expect("get").text().await.expect("html");
        let foreign = form_value(&html, "csrf_token").expect("csrf");
        app.get("/login").await;
        let res = app.browser.post(app.url("/login")).form(&[("csrf_token", foreign.as_str()), ("email", "alice@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    async fn login_renews_the_session(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let first = app.submit_login("/login", "alice@example.com", PASSWORD).await;
        let cookie = |res: &reqwest::Response| res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with("gh_session=")).map(str::to_string);
        let c1 = cookie(&first).expect("first session");
        let page = app.get("/account").await.text().await.expect("home");
        let csrf = form_value(&page, "csrf_token").expect("csrf");
        let second = app.browser.post(app.url("/login")).form(&[("csrf_token", csrf.as_str()), ("email", "alice@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        let c2 = cookie(&second).expect("second session");
        assert_ne!(c1, c2, "a new session id on every login");
        // The old session id no longer works.
        let old = c1.split(';').next().expect("pair").to_string();
        let res = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
            .get(app.url("/account")).header("cookie", old).send().await.expect("get");
        assert_eq!(location(&res), "/login?return_to=%2Faccount");
    }

    async fn disabled_users_cannot_log_in(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.state.store.set_user_enabled(&id, false, app.clock.now()).await.expect("disable");
        let res = app.submit_login("/login", "alice@example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.text().await.expect("html").contains("disabled"));
    }

    async fn first_run_setup_link_creates_one_admin(backend: Backend) {
        let app = spawn_app(backend).await;
        let link = gatehouse::web::setup_link(&app.state).await.expect("store").expect("no admin yet");
        let page = app.get(&link).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let token = form_value(&html, "token").expect("token");
        let short = app.browser.post(app.url("/setup")).form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("email", "admin@example.com"), ("password", "short")]).send().await.expect("post");
        assert_eq!(short.status(), StatusCode::BAD_REQUEST);
        // An address already in use is refused, and the link still works afterwards.
        app.create_user("taken@example.com").await;
        let taken = app.browser.post(app.url("/setup")).form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("email", "taken@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(taken.status(), StatusCode::BAD_REQUEST);
        assert!(taken.text().await.expect("html").contains("already exists"));
        let res = app.browser.post(app.url("/setup")).form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("email", "admin@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(app.get("/account").await.text().await.expect("home").contains("admin@example.com"));
        assert_eq!(app.state.store.count_admins().await.expect("count"), 1);
        // The link is single use, and no new link is printed once an admin exists.
        assert_eq!(app.get(&link).await.status(), StatusCode::NOT_FOUND);
        assert!(gatehouse::web::setup_link(&app.state).await.expect("store").is_none());
    }

    async fn first_admin_enrols_mfa_when_it_is_required(backend: Backend) {
        let app = spawn_app(backend).await;
        app.set_setting("require_mfa", "true").await;
        let link = gatehouse::web::setup_link(&app.state).await.expect("store").expect("no admin yet");
        let html = app.get(&link).await.text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let token = form_value(&html, "token").expect("token");
        let res = app.browser.post(app.url("/setup")).form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("email", "admin@example.com"), ("password", PASSWORD)]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/login/mfa/enrol");
        assert_ne!(app.get("/account").await.status(), StatusCode::OK, "no session before enrolment");
        assert_eq!(app.state.store.count_admins().await.expect("count"), 1);
    }

    async fn health_readiness_metrics_and_not_found(backend: Backend) {
        let app = spawn_app(backend).await;
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
        let ready: serde_json::Value = app.get("/readyz").await.json().await.expect("json");
        assert_eq!(ready["status"], "ready");
        let metrics = app.get("/metrics").await.text().await.expect("text");
        assert!(metrics.contains("gatehouse_http_requests_total{class=\"2xx\"}"));
        let res = app.get("/no/such/page").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.text().await.expect("html").contains("Page not found"));
        let css = app.get("/static/css/app.css").await;
        assert_eq!(css.status(), StatusCode::OK);
        assert!(css.headers()["content-type"].to_str().expect("ascii").starts_with("text/css"));
        // A wrong method is 405 with the methods that work (RFC 9110 §15.5.6).
        let http = reqwest::Client::new();
        for (method, path, allow) in [("DELETE", "/oauth2/token", "POST"), ("PUT", "/oauth2/userinfo", "GET, POST"), ("POST", "/.well-known/jwks.json", "GET")] {
            let res = http.request(method.parse().expect("method"), app.url(path)).send().await.expect("send");
            assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert_eq!(res.headers()["allow"], allow, "{path}");
            assert_eq!(res.json::<serde_json::Value>().await.expect("json")["error"], "invalid_request");
        }
    }
}

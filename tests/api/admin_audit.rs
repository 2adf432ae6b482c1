//! The admin dashboard's Settings, Look & Feel and audit log pages (with the CSV export), and
//! the CLI's `keys list` and `audit`, on both databases.

use crate::admin::{admin_page, admin_post, create_admin};
use crate::admin_conf::last_event;
use crate::both_backends;
use crate::helpers::*;
use gatehouse::store::AuditRow;
use reqwest::StatusCode;
use serde_json::Value;

/// The Settings form as saved with defaults, with `changes` on top.
fn settings_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("signup_policy", "open"),
        ("signup_allowed_domains", ""),
        ("remember_device_days", "30"),
        ("lockout_threshold", "5"),
        ("lockout_seconds", "900"),
        ("rate_limit_ip_per_minute", "30"),
        ("rate_limit_account_per_minute", "10"),
        ("magic_link_hours", "1"),
        ("session_ttl", ""),
        ("access_token_ttl", ""),
        ("id_token_ttl", ""),
        ("refresh_token_ttl", ""),
    ];
    for (k, v) in changes {
        form.retain(|(fk, _)| fk != k);
        form.push((k, v));
    }
    form
}

async fn audit_row(app: &TestApp, at: i64, actor: &str, action: &str, subject: &str) {
    let row = AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        at,
        actor: actor.into(),
        action: action.into(),
        subject: subject.into(),
        detail: "{}".into(),
        ip: Some("192.0.2.1".into()),
    };
    app.state.store.insert_audit_row(&row).await.expect("audit row");
}

both_backends! {
    async fn settings_are_checked_saved_audited_and_applied(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let html = admin_page(&app, &admin, "/admin/settings").await;
        assert!(html.contains("id=\"setting-lockout-threshold\"") && html.contains("GATEHOUSE_ACCESS_TOKEN_TTL"));

        let bad = settings_form(&[("lockout_threshold", "0"), ("access_token_ttl", "5"), ("signup_policy", "closed")]);
        let res = admin_post(&app, &admin, "/admin/settings", "/admin/settings/save", &bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.expect("html");
        for id in ["setting-lockout-threshold-error", "setting-access-token-ttl-error", "setting-signup-policy-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} next to its field");
        }
        assert!(html.contains("open, invite_only, allowed_domains"), "the error says what is valid");
        assert!(last_event(&app, "settings.updated").await.is_none(), "nothing saved");

        let good = settings_form(&[("lockout_threshold", "7"), ("access_token_ttl", "600"), ("remember_device_days", "14")]);
        let res = admin_post(&app, &admin, "/admin/settings", "/admin/settings/save", &good).await;
        assert_eq!(location(&res), "/admin/settings?done=saved");
        let a = gatehouse::admin_settings::load(&app.state.store).await.expect("load");
        assert_eq!((a.lockout_threshold, a.remember_device_days, a.access_token_ttl), (7, 14, Some(600)));
        let e = last_event(&app, "settings.updated").await.expect("audited");
        assert_eq!(e.actor, admin_id, "audited as the admin, not the CLI");
        assert!(e.detail.contains("lockout_threshold") && !e.detail.contains("signup_policy"), "only what changed: {}", e.detail);
        // The new access-token lifetime applies at once.
        assert_eq!(app.state.lifetimes.get().access_token, 600);
        app.create_user("ann@example.com").await;
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "ann@example.com").await;
        assert_eq!(tokens["expires_in"], 600);
        // Unchanged: nothing recorded.
        let res = admin_post(&app, &admin, "/admin/settings", "/admin/settings/save", &good).await;
        assert_eq!(location(&res), "/admin/settings?done=unchanged");

        // Requiring MFA for admins while having none would lock the admin out: refused.
        let res = admin_post(&app, &admin, "/admin/settings", "/admin/settings/save", &settings_form(&[("require_mfa_for_admins", "true")])).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("id=\"setting-require-mfa-for-admins-error\""));

        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let res = admin_post(&app, &admin, "/admin/settings", "/admin/settings/save", &settings_form(&[("lockout_threshold", "9")])).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "security settings need a recent sign-in");
        assert_eq!(gatehouse::admin_settings::load(&app.state.store).await.expect("load").lockout_threshold, 7);
    }

    async fn look_and_feel_is_saved_previewed_and_applied(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let html = admin_page(&app, &admin, "/admin/look-and-feel").await;
        assert!(html.contains("id=\"look-show-sidebar\"") && html.contains("id=\"look-save\"") && html.contains("/admin/look-and-feel/preview/login?"));

        let form = |name: &'static str, logo: &'static str| vec![("product_name", name), ("logo_url", logo), ("primary_color", "#aa3300"),
            ("support_email", "help@example.com"), ("redirect_after_login", ""), ("redirect_after_logout", "")];
        let res = admin_post(&app, &admin, "/admin/look-and-feel", "/admin/look-and-feel/save", &form("Acme ID", "http://cdn.example/logo.png")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.expect("html");
        assert!(html.contains("id=\"look-logo-url-error\"") && html.contains("https://"), "the error says why");
        assert!(html.contains("value=\"Acme ID\""), "the form keeps what was typed");

        // show_sidebar unchecked (absent) switches the sidebar off.
        let res = admin_post(&app, &admin, "/admin/look-and-feel", "/admin/look-and-feel/save", &form("Acme ID", "")).await;
        assert_eq!(location(&res), "/admin/look-and-feel?done=saved");
        let e = last_event(&app, "look_and_feel.updated").await.expect("audited");
        assert_eq!(e.actor, admin_id);
        let account = admin.get(app.url("/account")).send().await.expect("account").text().await.expect("html");
        assert!(!account.contains("id=\"account-sidebar\"") && account.contains("Acme ID"));
        let css = app.get("/theme.css").await.text().await.expect("css");
        assert!(css.contains("#aa3300"));

        // Previews: unsaved values from the query; framable by the dashboard only.
        let res = admin.get(app.url("/admin/look-and-feel/preview/account?product_name=Preview+Co&show_sidebar=true&primary_color=%23123456")).send().await.expect("preview");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-security-policy"].to_str().expect("csp").contains("frame-ancestors 'self'"));
        assert_eq!(res.headers()["x-frame-options"], "SAMEORIGIN");
        let html = res.text().await.expect("html");
        assert!(html.contains("Preview Co") && html.contains("id=\"account-sidebar\"") && html.contains("primary_color=%23123456"));
        let login = admin.get(app.url("/admin/look-and-feel/preview/login?product_name=%3Cb%3E&logo_url=javascript:alert(1)")).send().await.expect("preview");
        let html = login.text().await.expect("html");
        assert!(!html.contains("<b>") && !html.contains("javascript:"), "escaped, and invalid values are ignored");
        let css = admin.get(app.url("/admin/look-and-feel/preview/theme.css?primary_color=red;}")).send().await.expect("css").text().await.expect("css");
        assert!(css.contains("#aa3300"), "an invalid colour falls back to the saved one");
        let page = admin.get(app.url("/admin/look-and-feel")).send().await.expect("page");
        assert!(page.headers()["content-security-policy"].to_str().expect("csp").contains("frame-ancestors 'none'"));
        assert_eq!(app.get("/static/js/admin-look.js").await.status(), StatusCode::OK, "the live preview script is served");
        // Missing CSRF: refused.
        let res = admin.post(app.url("/admin/look-and-feel/save")).form(&form("X", "")).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    async fn the_audit_log_filters_pages_and_exports(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let day = 20_000 * 86_400; // 2024-10-04
        for i in 0..60 {
            audit_row(&app, day + i, &admin_id, "client.created", &format!("client-{i:02}")).await;
        }
        audit_row(&app, day + 86_400, "cli", "settings.set", "=HYPERLINK(\"http://evil\")").await;
        audit_row(&app, day + 2 * 86_400, "system", "login.failed", "-2+3").await;

        let html = admin_page(&app, &admin, "/admin/audit").await;
        assert!(html.contains("id=\"audit-filter-form\"") && html.contains("id=\"audit-csv\""));
        assert!(html.contains("root@example.com"), "actor ids are shown as emails");
        // Actor by email, first page of 50, then the rest.
        let first = admin_page(&app, &admin, "/admin/audit?actor=root%40example.com&action=client.created").await;
        assert_eq!(first.matches("class=\"entry\"").count(), 50);
        assert!(first.contains("client-59") && !first.contains("client-09"));
        let next = first.split("id=\"audit-older\"").next().and_then(|s| s.rsplit("href=\"").next()).and_then(|s| s.split('"').next()).expect("older link").replace("&#38;", "&").replace("&amp;", "&");
        let second = admin_page(&app, &admin, &next).await;
        assert_eq!(second.matches("class=\"entry\"").count(), 10);
        assert!(second.contains("client-09") && second.contains("client-00") && !second.contains("client-10<"));
        assert!(!second.contains("id=\"audit-older\""));
        // Action family, target, date range.
        assert_eq!(admin_page(&app, &admin, "/admin/audit?action=login.*&from=2024-10-06&to=2024-10-06").await.matches("class=\"entry\"").count(), 1);
        assert_eq!(admin_page(&app, &admin, "/admin/audit?target=client-07").await.matches("class=\"entry\"").count(), 1);
        let range = admin_page(&app, &admin, "/admin/audit?from=2024-10-05&to=2024-10-05").await;
        assert!(range.contains("settings.set") && !range.contains("client.created") && !range.contains("login.failed"));
        let bad = admin.get(app.url("/admin/audit?from=yesterday")).send().await.expect("bad");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert!(bad.text().await.expect("html").contains("not a date"));

        // CSV: the same filters, attachment, never a formula.
        let res = admin.get(app.url("/admin/audit.csv?to=2024-10-06&actor=cli")).send().await.expect("csv");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
        assert!(res.headers()["content-disposition"].to_str().expect("disposition").starts_with("attachment"));
        let csv = res.text().await.expect("csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "time,actor,actor_email,action,target,target_email,ip,detail");
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[1].contains(",settings.set,\"'=HYPERLINK(\"\"http://evil\"\")\",") , "{}", lines[1]);
        let all = admin.get(app.url("/admin/audit.csv")).send().await.expect("csv").text().await.expect("csv");
        assert!(all.contains(",'-2+3,") && all.contains("root@example.com"));
        assert!(all.lines().count() >= 63);
    }
}

fn gatehouse(database_url: &str, data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GATEHOUSE_DATABASE_URL", database_url)
        .env("GATEHOUSE_DATA_DIR", data_dir)
        .env("GATEHOUSE_LOG", "warn")
        .current_dir(data_dir)
        .output()
        .expect("run gatehouse")
}

fn one_json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout.clone()).expect("utf8");
    assert_eq!(stdout.lines().count(), 1, "one JSON document: {stdout:?}");
    serde_json::from_str(&stdout).expect("JSON")
}

both_backends! {
    async fn cli_lists_keys_and_reads_the_audit_log(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let migrated = gatehouse(&url, &dir, &["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        let rotated = one_json(&gatehouse(&url, &dir, &["keys", "rotate"]));
        let keys = one_json(&gatehouse(&url, &dir, &["keys", "list"]));
        let list = keys["keys"].as_array().expect("keys");
        assert!(list.iter().any(|k| k["kid"] == rotated["kid"] && k["state"] == "next"), "{keys}");
        assert!(list.iter().any(|k| k["state"] == "current"));
        assert!(list.iter().all(|k| k.get("private_key_enc").is_none()));

        one_json(&gatehouse(&url, &dir, &["api-key", "create", "--name", "ops"]));
        one_json(&gatehouse(&url, &dir, &["settings", "set", "lockout_threshold", "8"]));
        let log = one_json(&gatehouse(&url, &dir, &["audit"]));
        let actions: Vec<&str> = log["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
        assert!(actions.contains(&"signing_key.rotated") && actions.contains(&"api_key.created") && actions.contains(&"settings.set"), "{actions:?}");
        assert!(log["entries"].as_array().expect("entries").iter().all(|e| e["actor"] == "cli"));
        let filtered = one_json(&gatehouse(&url, &dir, &["audit", "--action", "api_key.*", "--limit", "5"]));
        assert_eq!(filtered["entries"].as_array().expect("entries").len(), 1);
        assert_eq!(filtered["entries"][0]["detail"]["name"], "ops");
        let paged = one_json(&gatehouse(&url, &dir, &["audit", "--limit", "1"]));
        let cursor = paged["next"].as_str().expect("a next cursor");
        let older = one_json(&gatehouse(&url, &dir, &["audit", "--limit", "1", "--before", cursor]));
        assert_ne!(older["entries"][0]["id"], paged["entries"][0]["id"]);
        let bad = gatehouse(&url, &dir, &["audit", "--from", "soon"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("not a date"));

        for (args, expect) in [
            (&["keys", "--help"][..], "List the signing keys"),
            (&["keys", "list", "--help"][..], "state"),
            (&["audit", "--help"][..], "--action"),
            (&["audit", "--help"][..], "YYYY-MM-DD"),
        ] {
            let out = gatehouse(&url, &dir, args);
            assert!(out.status.success());
            assert!(String::from_utf8_lossy(&out.stdout).contains(expect), "{args:?} mentions {expect}");
        }
    }
}

//! The admin dashboard's Users section and the CLI's user lifecycle: search and keyset pages,
//! every action and its audit entry, every refusal (last admin, stale sign-in, CSRF, bad
//! input), and the same services from `gatehouse user …`.

use crate::admin::{admin_browser, admin_page, admin_post, create_admin};
use crate::both_backends;
use crate::cli::{gatehouse, json_line};
use crate::helpers::*;
use gatehouse::store::NewUser;
use reqwest::StatusCode;
use std::collections::HashSet;

/// Inserts a user straight into the store (no password: fast), created at `at`.
pub async fn seed_user(app: &TestApp, email: &str, first: &str, last: &str, at: i64) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let u = NewUser {
        id: &id,
        email,
        email_verified: true,
        password_hash: None,
        first_name: Some(first),
        last_name: Some(last),
        username: None,
        is_admin: false,
        signup_query_parameters: "{}",
        now: at,
    };
    app.state.store.insert_user(&u).await.expect("user inserted");
    id
}

/// The `data-<attr>="…"` values on a page, in order.
pub fn data_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("data-{attr}=\"");
    html.split(&needle).skip(1).map(|s| s.split('"').next().unwrap_or_default().to_string()).collect()
}

/// The href of the element with `id`, entities decoded.
pub fn href_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = html[..at].rfind("href=\"")? + 6;
    Some(html[start..].split('"').next()?.replace("&amp;", "&").replace("&#38;", "&").replace("&#x3d;", "=").replace("&#x2f;", "/"))
}

/// POSTs the form of `action` on the admin page `page` (`{page}/{action}`).
pub async fn act(app: &TestApp, b: &reqwest::Client, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    admin_post(app, b, page, &format!("{page}/{action}"), fields).await
}

/// Every page of a list from `first`: the ids in order.
pub async fn walk_pages(app: &TestApp, b: &reqwest::Client, first: &str, attr: &str) -> Vec<String> {
    let mut all = Vec::new();
    let mut url = first.to_string();
    for _ in 0..20 {
        let html = admin_page(app, b, &url).await;
        all.extend(data_values(&html, attr));
        match href_of(&html, "next-page") {
            Some(next) => url = next,
            None => return all,
        }
    }
    panic!("more pages than expected");
}

both_backends! {
    async fn users_page_through_without_gaps_or_repeats_and_search(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let base = app.clock.now();
        let mut expected: Vec<(i64, String)> = Vec::new();
        for i in 0..120 {
            // Runs of equal creation times: the id breaks the tie.
            let at = base - 1000 + (i / 7);
            let id = seed_user(&app, &format!("user{i:03}@example.com"), "Test", &format!("Person{i:03}"), at).await;
            expected.push((at, id));
        }
        let ada = seed_user(&app, "ada@lovelace.example", "Ada", "Lovelace", base - 5000).await;
        expected.push((base - 5000, ada.clone()));
        let root = app.state.store.user_by_email("root@example.com").await.expect("query").expect("root");
        expected.push((root.created_at, root.id.clone()));
        expected.sort_by(|a, b| b.cmp(a));
        let want: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

        let got = walk_pages(&app, &admin, "/admin/users", "user-id").await;
        assert_eq!(got.len(), want.len(), "every user once");
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len(), "no repeats");
        assert_eq!(got, want, "newest first, id breaking ties, across 3 pages");

        // Exact id and exact email: that user alone.
        let html = admin_page(&app, &admin, &format!("/admin/users?q={ada}")).await;
        assert_eq!(data_values(&html, "user-id"), vec![ada.clone()]);
        assert!(html.contains("id=\"exact-match\""));
        let html = admin_page(&app, &admin, "/admin/users?q=ADA%40lovelace.example").await;
        assert_eq!(data_values(&html, "user-id"), vec![ada.clone()]);
        // A prefix (one or two characters), a substring of the name, of name and surname.
        let html = admin_page(&app, &admin, "/admin/users?q=Lo").await;
        assert_eq!(data_values(&html, "user-id"), vec![ada.clone()]);
        let html = admin_page(&app, &admin, "/admin/users?q=ad").await;
        assert_eq!(data_values(&html, "user-id"), vec![root.id.clone(), ada.clone()], "the admin is Ada too");
        for q in ["lovel", "ada%20love", "LACE.EXAMPLE"] {
            let html = admin_page(&app, &admin, &format!("/admin/users?q={q}")).await;
            assert_eq!(data_values(&html, "user-id"), vec![ada.clone()], "{q}");
        }
        let hits = walk_pages(&app, &admin, "/admin/users?q=person1", "user-id").await;
        assert_eq!(hits.len(), 20, "Person100…Person119");
        let html = admin_page(&app, &admin, "/admin/users?q=nobody%20here").await;
        assert!(html.contains("id=\"no-users\""));
        // A forged cursor is a clear 400, not a 500.
        let res = admin.get(app.url("/admin/users?after=12.x%27--")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("page link is not valid"));
        // The search follows edits (the trigram index is kept in step).
        let csrf_page = format!("/admin/users/{ada}");
        let res = admin_post(&app, &admin, &csrf_page, &format!("/admin/users/{ada}/edit"),
            &[("email", "ada@lovelace.example"), ("first_name", "Augusta"), ("last_name", "King"), ("username", ""), ("picture_url", "")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(data_values(&admin_page(&app, &admin, "/admin/users?q=ada%20lovelace").await, "user-id").is_empty());
        assert!(data_values(&admin_page(&app, &admin, "/admin/users?q=augusta%20king").await, "user-id") == vec![ada.clone()]);
    }

    async fn every_user_action_is_done_and_audited(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let root = app.state.store.user_by_email("root@example.com").await.expect("q").expect("root").id;

        // Create: refused input first, with the reason.
        let bad = admin_post(&app, &admin, "/admin/users/new", "/admin/users/new", &[("email", "not-an-address")]).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        assert!(bad.text().await.expect("html").contains("is not a valid email address"));
        let res = admin_post(&app, &admin, "/admin/users/new", "/admin/users/new",
            &[("email", "Bob@Example.com"), ("first_name", "Bob"), ("password", PASSWORD), ("email_verified", "on")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let bob = app.state.store.user_by_email("bob@example.com").await.expect("q").expect("bob");
        assert_eq!(location(&res), format!("/admin/users/{}?done=created", bob.id));
        assert!(bob.email_verified && !bob.is_admin);
        let dup = admin_post(&app, &admin, "/admin/users/new", "/admin/users/new", &[("email", "bob@example.com")]).await;
        assert_eq!(dup.status(), StatusCode::BAD_REQUEST);
        assert!(dup.text().await.expect("html").contains("already has this email"));

        let page = format!("/admin/users/{}", bob.id);
        let html = admin_page(&app, &admin, &format!("{page}?done=created")).await;
        assert!(html.contains("User created.") && html.contains(&bob.id));

        // Edit: a new address must be confirmed again; then mark it verified.
        let res = act(&app, &admin, &page, "edit", &[("email", "robert@example.com"), ("first_name", "Robert"), ("last_name", "Tables"), ("username", "bobby"), ("picture_url", "")]).await;
        assert_eq!(location(&res), format!("{page}?done=updated"));
        let u = app.state.store.user_by_id(&bob.id).await.expect("q").expect("bob");
        assert_eq!((u.email.as_str(), u.first_name.as_deref(), u.username.as_deref(), u.email_verified), ("robert@example.com", Some("Robert"), Some("bobby"), false));
        let res = act(&app, &admin, &page, "edit", &[("email", "robert@example.com"), ("picture_url", "http://insecure.example/p.png")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("https://"));
        let res = act(&app, &admin, &page, "verify-email", &[]).await;
        assert_eq!(location(&res), format!("{page}?done=verified"));
        assert!(app.state.store.user_by_id(&bob.id).await.expect("q").expect("bob").email_verified);

        // Disable ends the sessions at once; enable lets them back in.
        let bob_browser = app.logged_in_browser("robert@example.com").await;
        let res = act(&app, &admin, &page, "disable", &[]).await;
        assert_eq!(location(&res), format!("{page}?done=disabled"));
        assert_eq!(bob_browser.get(app.url("/account")).send().await.expect("get").status(), StatusCode::SEE_OTHER);
        assert!(!app.state.store.user_by_id(&bob.id).await.expect("q").expect("bob").enabled);
        let res = act(&app, &admin, &page, "send-magic-link", &[]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "no sign-in link for a disabled account");
        act(&app, &admin, &page, "enable", &[]).await;
        let bob_browser = app.logged_in_browser("robert@example.com").await;

        // Sign out everywhere.
        let res = act(&app, &admin, &page, "sign-out", &[]).await;
        assert_eq!(location(&res), format!("{page}?done=signed-out"));
        assert_eq!(bob_browser.get(app.url("/account")).send().await.expect("get").status(), StatusCode::SEE_OTHER);

        // Unlock a locked address.
        let now = app.clock.now();
        app.state.store.record_login_failure("robert@example.com", "*", now, 0).await.expect("failure");
        app.state.store.lock_login("robert@example.com", "*", now + 900, now).await.expect("lock");
        assert!(admin_page(&app, &admin, &page).await.contains("id=\"state-locked\""));
        let res = act(&app, &admin, &page, "unlock", &[]).await;
        assert_eq!(location(&res), format!("{page}?done=unlocked"));
        assert_eq!(app.state.store.lockout_until("robert@example.com", ["*", "*", "*"], app.clock.now()).await.expect("q"), None);

        // Reset MFA.
        app.state.store.begin_mfa_enrolment(&bob.id, "not-a-real-secret", now).await.expect("enrol");
        app.state.store.confirm_mfa_enrolment(&bob.id, 1, &["h1".into()], now).await.expect("confirm");
        assert!(admin_page(&app, &admin, &page).await.contains("id=\"state-mfa\""));
        let res = act(&app, &admin, &page, "reset-mfa", &[]).await;
        assert_eq!(location(&res), format!("{page}?done=mfa-reset"));
        assert!(!app.state.store.user_mfa_enabled(&bob.id).await.expect("q"));

        // Emails: a password reset link and a sign-in link.
        assert_eq!(location(&act(&app, &admin, &page, "send-password-reset", &[]).await), format!("{page}?done=reset-sent"));
        assert!(app.email_to("robert@example.com", 1).await.text_body.contains("/reset-password?token="));
        assert_eq!(location(&act(&app, &admin, &page, "send-magic-link", &[]).await), format!("{page}?done=link-sent"));
        assert!(app.email_to("robert@example.com", 2).await.text_body.contains("/magic-link?token="));

        // Admin rights, then delete.
        assert_eq!(location(&act(&app, &admin, &page, "admin", &[("admin", "on")]).await), format!("{page}?done=admin-granted"));
        assert!(app.state.store.user_by_id(&bob.id).await.expect("q").expect("bob").is_admin);
        assert_eq!(location(&act(&app, &admin, &page, "admin", &[("admin", "off")]).await), format!("{page}?done=admin-revoked"));
        let res = act(&app, &admin, &page, "delete", &[]).await;
        assert_eq!(location(&res), "/admin/users?done=deleted");
        assert!(app.state.store.user_by_id(&bob.id).await.expect("q").is_none());
        let gone = admin.get(app.url(&page)).send().await.expect("get");
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert!(gone.text().await.expect("html").contains("there is no user with this id"));

        // Every action is in the audit log with the admin, the address, and no secret.
        let log = app.state.store.audit_of_user(&root, "root@example.com", 100).await.expect("audit");
        for action in ["user.created", "user.updated", "user.email_verified", "user.disabled", "user.enabled", "user.signed_out",
            "login.unlock", "user.mfa_reset", "user.password_reset_sent", "user.magic_link_sent", "user.admin_granted",
            "user.admin_revoked", "user.deleted"] {
            let e = log.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} audited"));
            assert_eq!(e.actor, root, "{action} by the admin");
            assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{action} from the admin's address");
            assert!(!e.detail.contains("token") && !e.detail.contains(PASSWORD), "{action}: no secret in {}", e.detail);
        }
    }

    async fn the_last_admin_stays_an_admin(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let root = app.state.store.user_by_email("root@example.com").await.expect("q").expect("root").id;
        let page = format!("/admin/users/{root}");
        for (path, fields) in [("admin", vec![("admin", "off")]), ("disable", vec![]), ("delete", vec![])] {
            let res = admin_post(&app, &admin, &page, &format!("{page}/{path}"), &fields).await;
            assert_eq!(res.status(), StatusCode::CONFLICT, "{path}");
            assert!(res.text().await.expect("html").contains("is the last admin who can sign in"), "{path}: a clear refusal");
        }
        let u = app.state.store.user_by_id(&root).await.expect("q").expect("root");
        assert!(u.is_admin && u.enabled);
        // A disabled second admin does not count; an enabled one does.
        let other = create_admin(&app, "second@example.com").await;
        gatehouse::admin::users::set_enabled(&app.state, gatehouse::admin::users::By::CLI, &other, false).await.expect("disable");
        let res = admin_post(&app, &admin, &page, &format!("{page}/admin"), &[("admin", "off")]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT);
        gatehouse::admin::users::set_enabled(&app.state, gatehouse::admin::users::By::CLI, &other, true).await.expect("enable");
        let res = admin_post(&app, &admin, &page, &format!("{page}/admin"), &[("admin", "off")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(!app.state.store.user_by_id(&root).await.expect("q").expect("root").is_admin);
    }

    async fn two_admins_demoting_each_other_at_once_leave_one(backend: Backend) {
        use gatehouse::admin::users::{By, delete, set_admin, set_enabled};
        let app = spawn_app(backend).await;
        let enabled_admins = |app: &TestApp, ids: [String; 2]| {
            let store = app.state.store.clone();
            async move {
                let mut n = 0;
                for id in ids {
                    n += store.user_by_id(&id).await.expect("q").is_some_and(|u| u.is_admin && u.enabled) as usize;
                }
                n
            }
        };
        let mut previous: Vec<String> = Vec::new();
        for round in 0..6 {
            let a = create_admin(&app, &format!("a{round}@example.com")).await;
            let b = create_admin(&app, &format!("b{round}@example.com")).await;
            // Only these two are admins who can sign in: the previous round's survivor steps down.
            for id in previous.drain(..) {
                if app.state.store.user_by_id(&id).await.expect("q").is_some_and(|u: gatehouse::store::UserRow| u.is_admin && u.enabled) {
                    set_admin(&app.state, By::CLI, &id, false).await.expect("demote the previous round's admin");
                }
            }
            previous = vec![a.clone(), b.clone()];
            let (ra, rb) = match round % 3 {
                0 => tokio::join!(set_admin(&app.state, By::CLI, &a, false), set_admin(&app.state, By::CLI, &b, false)),
                1 => tokio::join!(set_enabled(&app.state, By::CLI, &a, false), set_enabled(&app.state, By::CLI, &b, false)),
                _ => tokio::join!(delete(&app.state, By::CLI, &a), delete(&app.state, By::CLI, &b)),
            };
            assert!(ra.is_ok() != rb.is_ok(), "exactly one wins (round {round}): {ra:?} {rb:?}");
            let refused = ra.err().or(rb.err()).expect("one refusal").to_string();
            assert!(refused.contains("is the last admin who can sign in"), "{refused}");
            assert_eq!(enabled_admins(&app, [a.clone(), b.clone()]).await, 1, "round {round}: one admin who can sign in is left");
        }
    }

    async fn sensitive_user_actions_need_a_recent_sign_in_and_a_csrf_token(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let bob = app.create_user("bob@example.com").await;
        let page = format!("/admin/users/{bob}");
        let csrf = app.csrf_for(&admin, &page).await;
        let no_token = admin.post(app.url(&format!("{page}/disable"))).form(&[("csrf_token", "forged")]).send().await.expect("post");
        assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
        assert!(app.state.store.user_by_id(&bob).await.expect("q").expect("bob").enabled, "nothing done without the token");
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        for (path, fields) in [("delete", vec![]), ("admin", vec![("admin", "on")]), ("reset-mfa", vec![])] {
            let mut form = vec![("csrf_token", csrf.as_str())];
            form.extend(fields);
            let res = admin.post(app.url(&format!("{page}/{path}"))).form(&form).send().await.expect("post");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
            assert!(res.text().await.expect("html").contains(&format!("/reauth?return_to=%2Fadmin%2Fusers%2F{bob}")), "{path}: confirm, then back");
        }
        let u = app.state.store.user_by_id(&bob).await.expect("q").expect("bob");
        assert!(!u.is_admin);
        // Everyday actions do not ask.
        let res = admin.post(app.url(&format!("{page}/disable"))).form(&[("csrf_token", csrf.as_str())]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    async fn the_cli_runs_the_user_lifecycle(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        assert!(gatehouse(&url, &dir, &["migrate"], None).status.success());
        let root = json_line(&gatehouse(&url, &dir, &["user", "create", "--email", "root@example.com", "--admin"], None));
        let root = root["user_id"].as_str().expect("id").to_string();
        let ann = json_line(&gatehouse(&url, &dir, &["user", "create", "--email", "ann@example.com", "--first-name", "Ann"], None));
        let ann = ann["user_id"].as_str().expect("id").to_string();

        let list = json_line(&gatehouse(&url, &dir, &["user", "list"], None));
        assert_eq!(list["users"].as_array().expect("users").len(), 2);
        assert_eq!(list["next"], serde_json::Value::Null);
        let page = json_line(&gatehouse(&url, &dir, &["user", "list", "--limit", "1"], None));
        let next = page["next"].as_str().expect("a next cursor").to_string();
        let rest = json_line(&gatehouse(&url, &dir, &["user", "list", "--limit", "1", "--after", &next], None));
        assert_ne!(page["users"][0]["user_id"], rest["users"][0]["user_id"]);
        let found = json_line(&gatehouse(&url, &dir, &["user", "list", "--query", "ann"], None));
        assert_eq!(found["users"][0]["user_id"], ann.as_str());
        assert!(!found.to_string().contains("password"));

        let shown = json_line(&gatehouse(&url, &dir, &["user", "show", "--email", "ANN@example.com"], None));
        assert_eq!((shown["user_id"].as_str(), shown["mfa_enabled"].as_bool()), (Some(ann.as_str()), Some(false)));
        let off = json_line(&gatehouse(&url, &dir, &["user", "disable", "--id", &ann], None));
        assert_eq!(off["enabled"], false);
        let on = json_line(&gatehouse(&url, &dir, &["user", "enable", "--email", "ann@example.com"], None));
        assert_eq!(on["enabled"], true);
        let mfa = json_line(&gatehouse(&url, &dir, &["user", "reset-mfa", "--id", &ann], None));
        assert_eq!(mfa["had_mfa"], false);
        let last = gatehouse(&url, &dir, &["user", "set-admin", "--id", &root, "--off"], None);
        assert!(!last.status.success());
        assert!(String::from_utf8_lossy(&last.stderr).contains("last admin"));
        let up = json_line(&gatehouse(&url, &dir, &["user", "set-admin", "--email", "ann@example.com"], None));
        assert_eq!(up["is_admin"], true);
        json_line(&gatehouse(&url, &dir, &["user", "set-admin", "--id", &root, "--off"], None));
        let gone = json_line(&gatehouse(&url, &dir, &["user", "delete", "--id", &root], None));
        assert_eq!(gone["deleted"], true);
        let missing = gatehouse(&url, &dir, &["user", "show", "--email", "nobody@example.com"], None);
        assert!(!missing.status.success());
        assert!(String::from_utf8_lossy(&missing.stderr).contains("no user with the email address nobody@example.com"));
        let neither = gatehouse(&url, &dir, &["user", "disable"], None);
        assert!(!neither.status.success(), "--id or --email is required");

        // Audited as the CLI.
        let master = std::fs::read_to_string(dir.join("master.key")).expect("master key");
        let app = spawn_on(&url, &dir, master.trim(), &[]).await;
        let log = app.state.store.audit_of_user(&ann, "ann@example.com", 50).await.expect("audit");
        for action in ["user.disabled", "user.enabled", "user.mfa_reset", "user.admin_granted"] {
            assert!(log.iter().any(|e| e.action == action && e.actor == "cli"), "{action}");
        }

        // Every command and flag has a description.
        let help = gatehouse(&url, &dir, &["user", "--help"], None);
        let text = String::from_utf8_lossy(&help.stdout);
        for cmd in ["list", "show", "disable", "enable", "delete", "reset-mfa", "set-admin"] {
            let line = text.lines().find(|l| l.trim_start().starts_with(&format!("{cmd} "))).unwrap_or_else(|| panic!("{cmd} listed"));
            assert!(line.trim().len() > cmd.len() + 10, "{cmd} has a description: {line}");
        }
        let help = String::from_utf8_lossy(&gatehouse(&url, &dir, &["user", "list", "--help"], None).stdout).to_string();
        assert!(help.contains("--query") && help.contains("Search") && help.contains("--after") && help.contains("cursor"));
    }
}

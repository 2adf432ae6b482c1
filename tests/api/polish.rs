//! What a newcomer trips on (issue 13): management commands that never create a database,
//! errors that say what is valid, redirect URIs without a scheme, repeated names, the product
//! name on every page, error pages with a way out, the password policy, and feedback.

use crate::backend_api::Api;
use crate::both_backends;
use crate::helpers::*;
use gatehouse::orgs::Actor;
use gatehouse::orgs::membership::{self, NewOrg};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Command, Output};

/// Runs the CLI in `cwd` with only the given `GATEHOUSE_*` variables.
fn cli(cwd: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatehouse"));
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).env("GATEHOUSE_LOG", "warn").current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run gatehouse")
}

fn ok_json(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout:?}");
    serde_json::from_str(&stdout).expect("json")
}

fn refused(out: &Output) -> String {
    assert!(!out.status.success(), "should fail; stdout: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "nothing on stdout when refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

both_backends! {
    async fn management_commands_never_create_a_database(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let env = [("GATEHOUSE_DATABASE_URL", url.as_str()), ("GATEHOUSE_DATA_DIR", dir.to_str().expect("utf8"))];
        for args in [
            &["client", "create", "--name", "App", "--redirect-uri", "http://localhost:8501/cb"][..],
            &["user", "create", "--email", "ann@example.com"],
            &["settings", "show"],
            &["keys", "rotate"],
        ] {
            let err = refused(&cli(&dir, &env, args));
            assert!(err.contains("found no Gatehouse database at"), "{err}");
            for how in ["--data-dir", "GATEHOUSE_DATA_DIR", "--config"] {
                assert!(err.contains(how), "{how} in {err}");
            }
        }
        if backend == Backend::Sqlite {
            assert!(!dir.join("gatehouse.db").exists(), "no SQLite file was created");
            assert!(refused(&cli(&dir, &env, &["settings", "show"])).contains(&format!("{}/gatehouse.db", dir.display())));
        }
        // `migrate` (like `serve`) creates it; from then on the commands work.
        assert!(cli(&dir, &env, &["migrate"]).status.success());
        let client = ok_json(&cli(&dir, &env, &["client", "create", "--name", "App", "--redirect-uri", "http://localhost:8501/cb"]));
        assert!(client["client_id"].is_string());
        if backend == Backend::Sqlite {
            // From another folder, the default `./data` is not the server's: refused, and
            // nothing is created there; `--data-dir` points at the right one.
            let elsewhere = temp_dir();
            let err = refused(&cli(&elsewhere, &[], &["settings", "show"]));
            assert!(err.contains(&format!("{}/data/gatehouse.db", elsewhere.display())), "{err}");
            assert!(!elsewhere.join("data").exists(), "no ./data created");
            let shown = ok_json(&cli(&elsewhere, &[], &["settings", "show", "--data-dir", dir.to_str().expect("utf8")]));
            assert_eq!(shown["signup_policy"], "open");
        }
    }

    async fn cli_errors_say_what_would_be_valid(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        let env = [("GATEHOUSE_DATABASE_URL", url.as_str()), ("GATEHOUSE_DATA_DIR", dir.to_str().expect("utf8"))];
        assert!(cli(&dir, &env, &["migrate"]).status.success());
        let run = |args: &[&str]| cli(&dir, &env, args);

        let err = refused(&run(&["settings", "set", "signup_policy", "closed"]));
        assert!(err.contains("open, invite_only, allowed_domains"), "{err}");
        let err = refused(&run(&["settings", "set", "logo_url", "http://cdn.example.com/logo.png"]));
        assert!(err.contains("because it is plain http://") && err.contains("https://"), "{err}");
        assert_eq!(ok_json(&run(&["settings", "set", "password_min_length", "10"]))["value"], "10");
        let err = refused(&run(&["user", "unlock", "--email", "nobody@example.com"]));
        assert!(err.contains("no user has the email nobody@example.com"), "{err}");

        // Passwords follow the policy in the CLI too (now at least 10 characters).
        let err = refused(&run(&["user", "create", "--email", "ann@example.com", "--password", "password123"]));
        assert!(err.contains("common or breached"), "{err}");
        let err = refused(&run(&["user", "create", "--email", "ann@example.com", "--password", "nine char"]));
        assert!(err.contains("at least 10 characters"), "{err}");
        let err = refused(&run(&["user", "create", "--email", "ann.lee@example.com", "--password", "AnnLee2024!"]));
        assert!(err.contains("email address or name"), "{err}");
        ok_json(&run(&["user", "create", "--email", "ann@example.com", "--password", PASSWORD]));

        // Roles match whatever the case, and a wrong one lists the valid roles.
        let org = ok_json(&run(&["org", "create", "--name", "Acme"]));
        let org_id = org["org_id"].as_str().expect("id");
        assert_eq!(ok_json(&run(&["org", "add-member", "--org-id", org_id, "--email", "ann@example.com", "--role", "member"])), json!({"ok": true}));
        let err = refused(&run(&["org", "add-member", "--org-id", org_id, "--email", "ann@example.com", "--role", "boss"]));
        assert!(err.contains("its roles are Owner, Admin, Member"), "{err}");

        // A redirect URI without a scheme is refused with the likely fix; RFC 8252 schemes pass.
        let err = refused(&run(&["client", "create", "--name", "Typo", "--redirect-uri", "localhost:8501/cb"]));
        assert!(err.contains("http://localhost:8501/cb") && err.contains("com.example.app:/callback"), "{err}");
        ok_json(&run(&["client", "create", "--name", "Native", "--public", "--redirect-uri", "com.example.app:/callback"]));

        // Repeated names are allowed, with a warning that names the existing id.
        let first = ok_json(&run(&["client", "create", "--name", "Streamlit", "--redirect-uri", "http://localhost:8501/cb"]));
        let out = run(&["client", "create", "--name", "Streamlit", "--redirect-uri", "http://localhost:8502/cb"]);
        let second = ok_json(&out);
        assert_ne!(first["client_id"], second["client_id"]);
        let warning = String::from_utf8_lossy(&out.stderr);
        assert!(warning.contains("warning") && warning.contains(first["client_id"].as_str().expect("id")), "{warning}");
        let out = run(&["org", "create", "--name", "acme"]);
        ok_json(&out);
        assert!(String::from_utf8_lossy(&out.stderr).contains(org_id), "org warning names the first org");
        let quiet = run(&["org", "create", "--name", "Globex"]);
        ok_json(&quiet);
        assert!(quiet.stderr.is_empty(), "no warning for a new name");
    }

    async fn every_page_carries_the_product_name(backend: Backend) {
        let app = spawn_app(backend).await;
        app.set_setting("product_name", "Acme ID").await;
        app.create_user("alice@example.com").await;
        let title_and_brand = |html: &str| html.contains("· Acme ID</title>") && html.contains("id=\"product-name\">Acme ID<") && !html.contains("Gatehouse");
        let res = app.get("/no/such/page").await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(title_and_brand(&res.text().await.expect("html")), "404");
        let html = app.get("/logout").await.text().await.expect("html");
        assert!(title_and_brand(&html) && html.contains("Signed out"), "signed-out page: {html}");
        let b = app.logged_in_browser("alice@example.com").await;
        let html = b.get(app.url("/logout")).send().await.expect("get").text().await.expect("html");
        assert!(title_and_brand(&html) && html.contains("id=\"logout-form\""), "logout confirmation: {html}");
        let res = app.get("/orgs/invites/accept?token=nope").await;
        assert_eq!(res.status(), StatusCode::GONE);
        let html = res.text().await.expect("html");
        assert!(title_and_brand(&html) && html.contains("Invitation not valid"), "{html}");
        assert!(html.contains("Ask the person who invited you") && html.contains("id=\"error-next\""), "a next step: {html}");
        let html = app.get("/setup?token=nope").await.text().await.expect("html");
        assert!(title_and_brand(&html), "setup link error: {html}");
    }

    async fn org_errors_are_sentences_with_a_way_back(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let member = app.create_user("member@example.com").await;
        let acme = membership::create(&app.state, NewOrg { name: "Acme".into(), ..Default::default() }, Some(&owner)).await.expect("org").id;
        membership::add_member(&app.state, &acme, &member, "Member", &[]).await.expect("member");
        let b = app.logged_in_browser("member@example.com").await;
        let res = b.get(app.url("/orgs/00000000-0000-4000-8000-000000000000")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let html = res.text().await.expect("html");
        assert!(html.contains("<h1>Organization not found</h1>") && html.contains("This organization does not exist"), "{html}");
        assert!(html.contains("href=\"/orgs\" id=\"error-next\">Back to your organizations"), "{html}");
        // A member may not invite: "Not allowed", as a sentence, with the way back.
        let csrf = app.csrf_for(&b, &format!("/orgs/{acme}")).await;
        let res = b.post(app.url(&format!("/orgs/{acme}/invite"))).form(&[("csrf_token", csrf.as_str()), ("email", "x@example.com"), ("role", "Member")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let html = res.text().await.expect("html");
        assert!(html.contains("<h1>Not allowed</h1>") && html.contains(">Your role (Member) does not allow"), "{html}");
        assert!(html.contains("id=\"error-next\""), "{html}");
        // Ids are shown next to names.
        let html = b.get(app.url("/orgs")).send().await.expect("get").text().await.expect("html");
        assert!(html.contains(&format!("<code class=\"org-id\">{acme}</code>")), "{html}");
        let html = b.get(app.url(&format!("/orgs/{acme}"))).send().await.expect("get").text().await.expect("html");
        assert!(html.contains(&format!("<code id=\"org-id\">{acme}</code>")), "{html}");
    }

    async fn a_reinvitation_that_changes_the_role_is_reported(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let acme = membership::create(&app.state, NewOrg { name: "Acme".into(), ..Default::default() }, Some(&owner)).await.expect("org").id;
        let b = app.logged_in_browser("owner@example.com").await;
        let page = format!("/orgs/{acme}");
        let invite = |role: &'static str| {
            let (b, app, page) = (&b, &app, &page);
            async move {
                let csrf = app.csrf_for(b, page).await;
                let res = b.post(app.url(&format!("{page}/invite"))).form(&[("csrf_token", csrf.as_str()), ("email", "new@example.com"), ("role", role)]).send().await.expect("post");
                location(&res)
            }
        };
        assert_eq!(invite("Member").await, format!("{page}?done=invited"));
        assert_eq!(invite("Member").await, format!("{page}?done=invited"), "same role: a plain resend");
        assert_eq!(invite("Admin").await, format!("{page}?done=reinvited"));
        let html = b.get(app.url(&format!("{page}?done=reinvited"))).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("role changed, and the earlier link no longer works"), "{html}");
        let sent = gatehouse::orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "new@example.com", "Owner", &[]).await.expect("invite");
        assert_eq!(sent.replaced_role.as_deref(), Some("Admin"));
    }

    async fn passwords_follow_the_policy_everywhere(backend: Backend) {
        let app = spawn_app(backend).await;
        // Signup: common, repetitive and personal passwords are refused with the reason.
        for (password, reason) in [("password", "common or breached"), ("12345678", "common or breached"), ("aaaaaaaa", "common or breached"),
                                   ("zzzzzzzzzzzz", "repeated or sequential"), ("sam.signup2024", "email address or name")] {
            let res = app.post_form("/signup", &[("email", "sam.signup@example.com"), ("password", password), ("first_name", "Sam")]).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{password}");
            assert!(res.text().await.expect("html").contains(reason), "{password}: {reason}");
        }
        assert!(app.state.store.user_by_email("sam.signup@example.com").await.expect("db").is_none());
        // The form explains the rules without JavaScript and loads the hint script.
        let html = app.get("/signup").await.text().await.expect("html");
        assert!(html.contains("minlength=\"8\"") && html.contains("At least 8 characters. Common passwords"), "{html}");
        assert!(html.contains("src=\"/static/js/password_hint.js\""));
        assert_eq!(app.get("/static/js/password_hint.js").await.status(), StatusCode::OK);

        // The minimum length is an admin setting.
        app.set_setting("password_min_length", "14").await;
        assert!(app.get("/signup").await.text().await.expect("html").contains("minlength=\"14\""));
        app.create_user("alice@example.com").await;
        let b = app.logged_in_browser("alice@example.com").await;
        let change = |new: &'static str| {
            let (b, app) = (&b, &app);
            async move {
                let csrf = app.csrf_for(b, "/account/password").await;
                let res = b.post(app.url("/account/password")).form(&[("csrf_token", csrf.as_str()), ("current_password", PASSWORD), ("new_password", new)]).send().await.expect("post");
                (res.status(), res.text().await.expect("html"))
            }
        };
        let (status, html) = change("thirteen char").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("at least 14 characters"), "{html}");
        let (_, html) = change("Alice Liddell 2024").await;
        assert!(html.contains("email address or name"), "{html}");
        let (status, _) = change("purple elephants dance").await;
        assert_eq!(status, StatusCode::OK);

        // Reset links check against the account behind the link.
        app.set_setting("password_min_length", "8").await;
        app.post_form("/forgot-password", &[("email", "alice@example.com")]).await;
        let link = link_in(&app.email_to("alice@example.com", 1).await.text_body, "/reset-password");
        let token = query_of(&link)["token"].clone();
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "liddell1234")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("email address or name"));
        let res = app.post_form("/reset-password", &[("token", &token), ("password", "iloveyou")]).await;
        assert!(res.text().await.expect("html").contains("common or breached"));

        // The backend API: create_user and update password.
        let api = Api::new(&app).await;
        let (status, body) = api.call("POST", "/user/", Some(json!({"email": "bo@example.com", "password": "qwertyuiop"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["password"][0].as_str().expect("password error").contains("common"), "{body}");
        let (status, created) = api.call("POST", "/user/", Some(json!({"email": "bo@example.com", "password": "brand new password"}))).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let id = created["user_id"].as_str().expect("id");
        let (status, body) = api.call("PUT", &format!("/user/{id}/password"), Some(json!({"password": "bo@example.com"}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["password"][0].as_str().expect("password error").contains("email address or name"), "{body}");
    }

    async fn feedback_after_confirming_and_for_admins(backend: Backend) {
        let app = spawn_app(backend).await;
        app.post_form("/signup", &[("email", "sam@example.com"), ("password", PASSWORD)]).await;
        let link = link_in(&app.email_to("sam@example.com", 1).await.text_body, "/verify-email");
        let res = app.get(&link).await;
        assert_eq!(location(&res), "/account?notice=email-confirmed");
        let html = app.get("/account?notice=email-confirmed").await.text().await.expect("html");
        assert!(html.contains("Email confirmed: sam@example.com is your verified address."), "{html}");
        assert!(!html.contains("id=\"admin-note\""), "not an admin");
        // An admin's profile says what being admin means and links the dashboard.
        let input = gatehouse::users::CreateUser { email: "root@example.com".into(), password: Some(PASSWORD.into()), email_verified: true, is_admin: true, ..Default::default() };
        gatehouse::users::create(&app.state.store, &app.state.hasher, &app.clock, input).await.expect("admin");
        let b = app.logged_in_browser("root@example.com").await;
        let html = b.get(app.url("/account")).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("You are an administrator") && html.contains("href=\"/admin\""), "{html}");
    }
}

//! The admin dashboard's OAuth clients: create (confidential and public), validation with a
//! message per field, edit, rotate the secret with and without a grace period, disable and
//! enable, delete; the token and authorization endpoints enforce what is set here.

use crate::admin::{admin_browser, admin_page, admin_post};
use crate::both_backends;
use crate::cli::{gatehouse, json_line};
use crate::helpers::*;
use gatehouse::admin::clients::{self as service, Actor};
use gatehouse::oidc::registration::ClientInput;
use reqwest::StatusCode;
use serde_json::Value;

const NEW: &str = "/admin/clients/new";

fn unescape(s: &str) -> String {
    s.replace("&#x2d;", "-").replace("&#x5f;", "_").replace("&#x2f;", "/").replace("&amp;", "&")
}

/// The text of the element with `id` (up to the next tag).
fn text_of(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(unescape(&html[start..end]))
}

fn fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("name", "Streamlit demo"),
        ("client_type", "confidential"),
        ("redirect_uris", "http://localhost:8501/oauth2callback\r\nhttps://app.example.com/login/callback?*"),
        ("post_logout_redirect_uris", "http://localhost:8501/"),
        ("grant_authorization_code", "on"),
        ("grant_refresh_token", "on"),
        ("grant_client_credentials", "on"),
    ];
    for (k, v) in extra {
        f.retain(|(key, _)| key != k);
        if !v.is_empty() || k.starts_with("grant_") {
            f.push((*k, *v));
        }
    }
    f.retain(|(k, v)| !(k.starts_with("grant_") && v.is_empty()));
    f
}

/// Creates a client on the dashboard; returns (client id, secret) from the page.
async fn create_on_dashboard(app: &TestApp, admin: &reqwest::Client, extra: &[(&str, &str)]) -> (String, Option<String>, String) {
    let res = admin_post(app, admin, NEW, NEW, &fields(extra)).await;
    let html = if res.status() == StatusCode::SEE_OTHER {
        admin_page(app, admin, &location(&res)).await
    } else {
        assert_eq!(res.status(), StatusCode::CREATED, "created");
        res.text().await.expect("html")
    };
    let id = text_of(&html, "client-id").expect("client id on the page");
    (id, text_of(&html, "client-secret"), html)
}

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/oauth2/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
}

async fn audit_actions(app: &TestApp) -> Vec<gatehouse::store::AuditRow> {
    app.state.store.recent_audit_except("login.succeeded", 100).await.expect("audit")
}

both_backends! {
    async fn create_a_confidential_client_and_see_its_secret_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let html = admin_page(&app, &admin, "/admin/clients").await;
        assert!(html.contains("id=\"clients-empty\""));
        let (id, secret, html) = create_on_dashboard(&app, &admin, &[]).await;
        let secret = secret.expect("the secret is shown once");
        assert!(secret.len() >= 43);
        // The snippets carry the real values.
        let metadata = format!("{}/.well-known/openid-configuration", app.issuer);
        let streamlit = text_of(&html, "snippet-streamlit").expect("streamlit snippet");
        assert!(streamlit.contains(&secret) && streamlit.contains("openssl rand -hex 32"), "{streamlit}");
        assert!(html.contains(&metadata) && html.contains("openssl rand -hex 32"));
        assert!(html.contains("oauth.register(") && html.contains("init_base_auth("));
        // It works at the token endpoint.
        assert_eq!(client_credentials(&app, &id, &secret).await.status(), StatusCode::OK);
        // Listed with its id; the page no longer shows the secret.
        let list = admin_page(&app, &admin, "/admin/clients").await;
        assert!(list.contains("Streamlit demo") && list.contains(&id) && list.contains("Confidential"));
        let page = admin_page(&app, &admin, &format!("/admin/clients/{id}")).await;
        assert!(text_of(&page, "client-secret").is_none() && !page.contains(&secret));
        assert!(page.contains("shown once at creation"), "a placeholder in the snippets");
        let created = audit_actions(&app).await.into_iter().find(|e| e.action == "client.created").expect("audited");
        assert_eq!(created.subject, id);
        assert!(!created.detail.contains(&secret));
        assert_eq!(created.ip.as_deref(), Some("127.0.0.1"));
    }

    async fn create_a_public_client(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, secret, html) =
            create_on_dashboard(&app, &admin, &[("client_type", "public"), ("grant_client_credentials", "")]).await;
        assert!(secret.is_none());
        assert!(html.contains("Client created.") && html.contains("[auth.gatehouse]"));
        let client = app.state.store.client_by_id(&id).await.expect("db").expect("client");
        assert!(client.is_public && client.secret_hash.is_none());
        // A public client cannot ask for client_credentials.
        let res = admin_post(&app, &admin, NEW, NEW, &fields(&[("client_type", "public")])).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("cannot use client_credentials"));
    }

    async fn each_field_is_validated_with_its_own_message(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let bad = fields(&[
            ("name", " "),
            ("redirect_uris", "http://app.example.com/cb\nhttps://a.example.com/x#frag"),
            ("post_logout_redirect_uris", "https://a.example.com/bye?*"),
            ("grant_authorization_code", ""),
            ("grant_client_credentials", ""),
            ("access_token_lifetime", "10h"),
            ("refresh_token_lifetime", "soon"),
        ]);
        let res = admin_post(&app, &admin, NEW, NEW, &bad).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = res.text().await.expect("html");
        for id in ["client-name-error", "client-redirect-uris-error", "client-post-logout-uris-error", "client-grant-types-error",
                   "client-access-lifetime-error", "client-refresh-lifetime-error"] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{id} shown");
        }
        assert!(html.contains("only allowed for localhost"), "http:// rule explained");
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("https://a.example.com/x#frag"), "what was typed is kept");
        // The development flag allows http:// anywhere.
        let res = admin_post(&app, &admin, NEW, NEW, &fields(&[("redirect_uris", "http://testserver/cb"), ("dev", "on")])).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(app.state.store.list_clients().await.expect("list").len(), 1, "only the valid one was created");
    }

    async fn creating_and_rotating_need_a_recent_sign_in_and_csrf(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, _, _) = create_on_dashboard(&app, &admin, &[]).await;
        let page = format!("/admin/clients/{id}");
        let csrf = app.csrf_for(&admin, &page).await;
        let res = admin.post(app.url(&format!("{page}/rotate"))).form(&[("grace", "none")]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let res = admin.get(app.url(NEW)).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/reauth"));
        for (path, form) in [
            (NEW.to_string(), fields(&[])),
            (format!("{page}/rotate"), vec![("grace", "none")]),
            (format!("{page}/delete"), vec![("confirm", "yes")]),
        ] {
            let mut form = form;
            form.push(("csrf_token", csrf.as_str()));
            let res = admin.post(app.url(&path)).form(&form).send().await.expect("post");
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} needs a recent sign-in");
            assert!(res.text().await.expect("html").contains("/reauth"));
        }
        assert_eq!(app.state.store.list_clients().await.expect("list").len(), 1);
        // Editing does not.
        let res = admin_post(&app, &admin, &page, &page, &fields(&[("name", "Renamed")])).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }

    async fn edit_a_client(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, _, _) = create_on_dashboard(&app, &admin, &[]).await;
        let page = format!("/admin/clients/{id}");
        let res = admin_post(&app, &admin, &page, &page, &fields(&[
            ("name", "Gradio"),
            ("redirect_uris", "https://gradio.example.com/auth"),
            ("require_consent", "on"),
            ("access_token_lifetime", "15m"),
        ])).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), format!("{page}?done=saved"));
        let html = admin_page(&app, &admin, &location(&res)).await;
        assert!(html.contains("Changes saved.") && html.contains("Gradio") && html.contains("value=\"15m\""));
        let c = app.state.store.client_by_id(&id).await.expect("db").expect("client");
        assert_eq!(c.redirect_uri_list(), ["https://gradio.example.com/auth"]);
        assert!(c.require_consent && !c.is_public);
        assert_eq!(c.access_token_ttl, Some(900));
        let updated = audit_actions(&app).await.into_iter().find(|e| e.action == "client.updated").expect("audited");
        assert!(updated.detail.contains("access_token_lifetime") && updated.detail.contains("name"));
        // A bad edit changes nothing and says why.
        let res = admin_post(&app, &admin, &page, &page, &fields(&[("redirect_uris", "")])).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("Add at least one redirect URI"));
        let same = app.state.store.client_by_id(&id).await.expect("db").expect("client");
        assert_eq!(same.redirect_uri_list(), ["https://gradio.example.com/auth"]);
        // Unknown ids are a 404 page.
        let res = admin.get(app.url("/admin/clients/nope")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }

    async fn rotating_without_grace_stops_the_old_secret_at_once(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, old, _) = create_on_dashboard(&app, &admin, &[]).await;
        let old = old.expect("secret");
        let page = format!("/admin/clients/{id}");
        let res = admin_post(&app, &admin, &page, &format!("{page}/rotate"), &[("grace", "none")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("html");
        let new = text_of(&html, "client-secret").expect("new secret shown once");
        assert_ne!(new, old);
        let refused = client_credentials(&app, &id, &old).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.json::<Value>().await.expect("json")["error"], "invalid_client");
        assert_eq!(client_credentials(&app, &id, &new).await.status(), StatusCode::OK);
        let rotated = audit_actions(&app).await.into_iter().find(|e| e.action == "client.secret_rotated").expect("audited");
        assert!(!rotated.detail.contains(&new) && !rotated.detail.contains(&old));
        // Bad grace values are refused.
        let res = admin_post(&app, &admin, &page, &format!("{page}/rotate"), &[("grace", "forever")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    async fn the_old_secret_works_during_the_grace_period_only(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, old, _) = create_on_dashboard(&app, &admin, &[]).await;
        let old = old.expect("secret");
        let page = format!("/admin/clients/{id}");
        let res = admin_post(&app, &admin, &page, &format!("{page}/rotate"), &[("grace", "1h")]).await;
        let html = res.text().await.expect("html");
        let new = text_of(&html, "client-secret").expect("new secret");
        assert!(html.contains("id=\"client-previous-secret\""), "the page says until when");
        assert_eq!(client_credentials(&app, &id, &old).await.status(), StatusCode::OK, "old secret within grace");
        assert_eq!(client_credentials(&app, &id, &new).await.status(), StatusCode::OK);
        app.clock.advance(3601);
        assert_eq!(client_credentials(&app, &id, &old).await.status(), StatusCode::UNAUTHORIZED, "old secret after grace");
        assert_eq!(client_credentials(&app, &id, &new).await.status(), StatusCode::OK);
    }

    async fn a_disabled_client_cannot_authorize_or_get_tokens(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        app.create_user("ann@example.com").await;
        let (id, secret, _) = create_on_dashboard(&app, &admin, &[]).await;
        let client = TestClient { id: id.clone(), secret, redirect_uri: "http://localhost:8501/oauth2callback".into() };
        let tokens = app.tokens_for(&client, "openid offline_access", "ann@example.com").await;
        let refresh = tokens["refresh_token"].as_str().expect("refresh").to_string();
        let page = format!("/admin/clients/{id}");
        let res = admin_post(&app, &admin, &page, &format!("{page}/disable"), &[]).await;
        assert_eq!(location(&res), format!("{page}?done=disabled"));
        let html = admin_page(&app, &admin, &location(&res)).await;
        assert!(html.contains("id=\"client-state\">Disabled<") && html.contains("id=\"client-enable\""));
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&client, "openid", &challenge)).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "an error page, no redirect");
        assert!(res.text().await.expect("html").contains("disabled"));
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let secret = client.secret.clone().expect("secret");
        assert_eq!(client_credentials(&app, &id, &secret).await.status(), StatusCode::UNAUTHORIZED);
        let res = admin_post(&app, &admin, &page, &format!("{page}/enable"), &[]).await;
        assert_eq!(location(&res), format!("{page}?done=enabled"));
        assert_eq!(client_credentials(&app, &id, &secret).await.status(), StatusCode::OK);
        let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|e| e.action).collect();
        assert!(actions.contains(&"client.disabled".into()) && actions.contains(&"client.enabled".into()));
    }

    async fn delete_needs_confirmation(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let (id, secret, _) = create_on_dashboard(&app, &admin, &[]).await;
        let page = format!("/admin/clients/{id}");
        let res = admin_post(&app, &admin, &page, &format!("{page}/delete"), &[]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "not confirmed");
        assert!(app.state.store.client_by_id(&id).await.expect("db").is_some());
        let res = admin_post(&app, &admin, &page, &format!("{page}/delete"), &[("confirm", "yes")]).await;
        assert_eq!(location(&res), "/admin/clients?done=deleted");
        assert!(admin_page(&app, &admin, "/admin/clients?done=deleted").await.contains("Client deleted."));
        assert!(app.state.store.client_by_id(&id).await.expect("db").is_none());
        assert_eq!(client_credentials(&app, &id, &secret.expect("secret")).await.status(), StatusCode::UNAUTHORIZED);
        let deleted = audit_actions(&app).await.into_iter().find(|e| e.action == "client.deleted").expect("audited");
        assert_eq!(deleted.subject, id);
    }

    async fn per_client_lifetimes_are_enforced(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("ann@example.com").await;
        let input = ClientInput {
            name: "Short".into(),
            redirect_uris: vec!["http://localhost:8501/oauth2callback".into()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into(), "client_credentials".into()],
            access_token_lifetime: "5m".into(),
            refresh_token_lifetime: "1h".into(),
            ..Default::default()
        };
        let created = service::create(&app.state, Actor::CLI, &input).await.expect("created");
        let client = TestClient { id: created.client.id.clone(), secret: created.secret.clone(), redirect_uri: input.redirect_uris[0].clone() };
        let tokens = app.tokens_for(&client, "openid offline_access", "ann@example.com").await;
        assert_eq!(tokens["expires_in"], 300);
        let claims = app.verify_jwt(tokens["access_token"].as_str().expect("at")).await;
        assert_eq!(claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"), 300);
        let res = client_credentials(&app, &client.id, created.secret.as_deref().expect("secret")).await;
        assert_eq!(res.json::<Value>().await.expect("json")["expires_in"], 300);
        app.clock.advance(3601);
        let refresh = tokens["refresh_token"].as_str().expect("refresh");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.json::<Value>().await.expect("json")["error_description"].as_str().expect("desc").contains("expired"));
        // Longer than the instance allows is refused.
        let too_long = ClientInput { access_token_lifetime: "2h".into(), ..input.clone() };
        assert!(service::create(&app.state, Actor::CLI, &too_long).await.is_err());
    }

    async fn allowed_grant_types_are_enforced(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("ann@example.com").await;
        let base = ClientInput {
            name: "Limited".into(),
            redirect_uris: vec!["http://localhost:8501/oauth2callback".into()],
            grant_types: vec!["authorization_code".into()],
            ..Default::default()
        };
        let created = service::create(&app.state, Actor::CLI, &base).await.expect("created");
        let client = TestClient { id: created.client.id.clone(), secret: created.secret.clone(), redirect_uri: base.redirect_uris[0].clone() };
        let tokens = app.tokens_for(&client, "openid offline_access", "ann@example.com").await;
        assert!(tokens.get("refresh_token").is_none(), "no refresh token without the refresh_token grant");
        let res = client_credentials(&app, &client.id, created.secret.as_deref().expect("secret")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "unauthorized_client");
        // A machine-only client cannot start a sign-in.
        let machine = ClientInput { grant_types: vec!["client_credentials".into()], ..base.clone() };
        let created = service::create(&app.state, Actor::CLI, &machine).await.expect("created");
        let m = TestClient { id: created.client.id.clone(), secret: created.secret.clone(), redirect_uri: base.redirect_uris[0].clone() };
        let (_, challenge) = pkce_pair();
        let res = app.authorize(&TestApp::code_params(&m, "openid", &challenge)).await;
        assert_eq!(res.status(), StatusCode::FOUND);
        assert_eq!(query_of(&location(&res)).get("error").map(String::as_str), Some("unauthorized_client"));
        assert_eq!(client_credentials(&app, &m.id, created.secret.as_deref().expect("secret")).await.status(), StatusCode::OK);
    }

    async fn the_cli_manages_the_client_lifecycle(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        assert!(gatehouse(&url, &dir, &["migrate"], None).status.success());
        let run = |args: &[&str]| json_line(&gatehouse(&url, &dir, args, None));
        let created = run(&["client", "create", "--name", "Svc", "--redirect-uri", "https://svc.example.com/cb", "--access-token-lifetime", "15m"]);
        let id = created["client_id"].as_str().expect("id").to_string();
        let old = created["client_secret"].as_str().expect("secret").to_string();
        let list = run(&["client", "list"]);
        assert_eq!(list["clients"][0]["client_id"], id.as_str());
        assert_eq!(list["clients"][0]["type"], "confidential");
        assert!(!list.to_string().contains(&old), "never a secret in a listing");
        let shown = run(&["client", "show", "--client-id", &id]);
        assert_eq!(shown["client"]["access_token_lifetime"], 900);
        assert_eq!(shown["client"]["grant_types"], serde_json::json!(["authorization_code", "refresh_token", "client_credentials"]));
        let updated = run(&["client", "update", "--client-id", &id, "--name", "Service", "--add-redirect-uri", "https://svc.example.com/cb2",
                            "--remove-redirect-uri", "https://svc.example.com/cb", "--grant-type", "client_credentials",
                            "--access-token-lifetime", "default", "--enabled", "false"]);
        assert_eq!(updated["client"]["name"], "Service");
        assert_eq!(updated["client"]["redirect_uris"], serde_json::json!(["https://svc.example.com/cb2"]));
        assert_eq!(updated["client"]["grant_types"], serde_json::json!(["client_credentials"]));
        assert!(updated["client"]["access_token_lifetime"].is_null());
        assert_eq!(updated["client"]["enabled"], false);
        let typo = gatehouse(&url, &dir, &["client", "update", "--client-id", &id, "--remove-redirect-uri", "https://nope/cb"], None);
        assert!(!typo.status.success() && String::from_utf8_lossy(&typo.stderr).contains("not a registered redirect URI"));
        let bad = gatehouse(&url, &dir, &["client", "update", "--client-id", &id, "--add-redirect-uri", "http://svc.example.com/cb"], None);
        assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--dev"));
        let rotated = run(&["client", "rotate-secret", "--client-id", &id, "--grace", "24h"]);
        assert_ne!(rotated["client_secret"].as_str().expect("new secret"), old);
        assert!(rotated["previous_secret_valid_until"].is_i64());
        let gone = run(&["client", "delete", "--client-id", &id]);
        assert_eq!(gone["ok"], true);
        let missing = gatehouse(&url, &dir, &["client", "show", "--client-id", &id], None);
        assert!(!missing.status.success() && String::from_utf8_lossy(&missing.stderr).contains("no client has the id"));
        // Every command and flag is described in --help.
        for cmd in [&["client"][..], &["client", "create"], &["client", "list"], &["client", "show"], &["client", "update"],
                    &["client", "rotate-secret"], &["client", "delete"]] {
            let mut args = cmd.to_vec();
            args.push("--help");
            let out = gatehouse(&url, &dir, &args, None);
            let help = String::from_utf8_lossy(&out.stdout).to_string();
            assert!(out.status.success(), "{args:?}");
            let lines: Vec<&str> = help.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                let flag = line.trim_start();
                if !flag.starts_with('-') || flag.starts_with("-h") || flag.contains("--config") {
                    continue;
                }
                // The description follows on the same line, or on the next (long help layout).
                let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
                let described = flag.contains("  ") || (!next.is_empty() && !next.starts_with('-'));
                assert!(described, "{args:?}: flag without a description: {line}");
            }
        }
        // Audited as the CLI, without secrets.
        let store = gatehouse::store::Store::connect(&url).await.expect("store");
        let audit = store.recent_audit_except("login.succeeded", 50).await.expect("audit");
        for action in ["client.created", "client.updated", "client.disabled", "client.secret_rotated", "client.deleted"] {
            let e = audit.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} audited"));
            assert_eq!(e.actor, "cli");
            assert_eq!(e.subject, id);
            assert!(!e.detail.contains(&old), "no secret in {action}");
        }
    }
}

//! The admin dashboard's Organizations section and `gatehouse org list|show|delete`: search
//! and keyset pages, create and edit with field errors, members and invitations under the
//! org's own rules, deletion behind a recent sign-in, and the audit entries.

use crate::admin::{admin_browser, admin_page, admin_post};
use crate::admin_users::{act, data_values, walk_pages};
use crate::both_backends;
use crate::cli::{gatehouse, json_line};
use crate::helpers::*;
use gatehouse::store::OrgRow;
use reqwest::StatusCode;
use std::collections::HashSet;

async fn seed_org(app: &TestApp, name: &str, domain: Option<&str>, at: i64) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let org = OrgRow {
        id: id.clone(),
        name: name.into(),
        url_safe_name: format!("o-{id}"),
        metadata: "{}".into(),
        max_users: None,
        domain: domain.map(str::to_string),
        extra_domains: "[]".into(),
        domain_autojoin: false,
        domain_restrict: false,
        legacy_org_id: None,
        custom_role_mapping_name: None,
        require_2fa_by: None,
        can_setup_saml: false,
        created_at: at,
    };
    app.state.store.insert_org(&org).await.expect("org inserted");
    id
}

both_backends! {
    async fn orgs_page_through_and_search_by_name_domain_and_id(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let base = app.clock.now();
        let mut want = Vec::new();
        for i in 0..75 {
            // Duplicate names are allowed: the id tells them apart.
            let at = base - 500 + i / 4;
            want.push((at, seed_org(&app, &format!("Team {}", i % 30), None, at).await));
        }
        let acme = seed_org(&app, "Acme Rockets", Some("acme.example"), base - 900).await;
        want.push((base - 900, acme.clone()));
        want.sort_by(|a, b| b.cmp(a));
        let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
        let got = walk_pages(&app, &admin, "/admin/orgs", "org-id").await;
        assert_eq!(got.iter().collect::<HashSet<_>>().len(), got.len(), "no repeats");
        assert_eq!(got, want, "newest first over two pages, no gaps");

        for q in ["ac", "rocket", "ACME.EXAMPLE", acme.as_str()] {
            let html = admin_page(&app, &admin, &format!("/admin/orgs?q={q}")).await;
            assert_eq!(data_values(&html, "org-id"), vec![acme.clone()], "{q}");
        }
        let html = admin_page(&app, &admin, &format!("/admin/orgs?q={acme}")).await;
        assert!(html.contains("id=\"exact-match\""));
        let twelves = walk_pages(&app, &admin, "/admin/orgs?q=team%2012", "org-id").await;
        assert_eq!(twelves.len(), 3, "three orgs named Team 12, each listed with its id");
        let res = admin.get(app.url("/admin/orgs?after=bogus")).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    }

    async fn orgs_are_created_edited_and_deleted(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let root = app.state.store.user_by_email("root@example.com").await.expect("q").expect("root").id;
        let new = "/admin/orgs/new";
        let bad = admin_post(&app, &admin, new, new, &[("name", "Acme"), ("metadata", "[1, 2]")]).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let html = bad.text().await.expect("html");
        assert!(html.contains("metadata must be a JSON object") && html.contains("value=\"Acme\""), "the reason, and what was typed");
        let bad = admin_post(&app, &admin, new, new, &[("name", "Acme"), ("max_users", "0")]).await;
        assert!(bad.text().await.expect("html").contains("max users must be a whole number of at least 1"));
        let bad = admin_post(&app, &admin, new, new, &[("name", "Acme"), ("autojoin", "on")]).await;
        assert!(bad.text().await.expect("html").contains("need a domain"));

        let res = admin_post(&app, &admin, new, new, &[("name", "Acme"), ("domain", "Acme.Example"), ("restrict", "on"),
            ("max_users", "2"), ("metadata", "{\"plan\": \"pro\"}"), ("require_mfa", "on")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = location(&res);
        let id = to.trim_start_matches("/admin/orgs/").trim_end_matches("?done=created").to_string();
        let org = app.state.store.org_by_id(&id).await.expect("q").expect("org");
        assert_eq!((org.domain.as_deref(), org.domain_restrict, org.max_users), (Some("acme.example"), true, Some(2)));
        assert!(org.require_2fa_by.is_some() && org.metadata.contains("pro"));
        let page = format!("/admin/orgs/{id}");
        let html = admin_page(&app, &admin, &to).await;
        assert!(html.contains("Organization created.") && html.contains(&format!("id=\"org-id\">{id}<")));

        let res = admin_post(&app, &admin, &page, &format!("{page}/edit"), &[("name", "Acme Inc"), ("domain", ""), ("max_users", ""), ("metadata", "")]).await;
        assert_eq!(location(&res), format!("{page}?done=updated"));
        let org = app.state.store.org_by_id(&id).await.expect("q").expect("org");
        assert_eq!((org.name.as_str(), org.domain.as_deref(), org.max_users, org.require_2fa_by), ("Acme Inc", None, None, None));
        let res = admin_post(&app, &admin, &page, &format!("{page}/edit"), &[("name", ""), ("metadata", "{")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        // Deleting needs a recent sign-in.
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let res = admin_post(&app, &admin, &page, &format!("{page}/delete"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(app.state.store.org_by_id(&id).await.expect("q").is_some());
        let fresh = app.logged_in_browser("root@example.com").await;
        let res = admin_post(&app, &fresh, &page, &format!("{page}/delete"), &[]).await;
        assert_eq!(location(&res), "/admin/orgs?done=deleted");
        assert!(app.state.store.org_by_id(&id).await.expect("q").is_none());

        let log = app.state.store.audit_of_user(&root, "root@example.com", 50).await.expect("audit");
        for action in ["org.created", "org.updated", "org.deleted"] {
            assert!(log.iter().any(|e| e.action == action && e.subject == id && e.ip.is_some()), "{action} audited");
        }
    }

    async fn members_and_invitations_follow_the_org_rules(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let root = app.state.store.user_by_email("root@example.com").await.expect("q").expect("root").id;
        let ann = app.create_user("ann@example.com").await;
        app.create_user("bo@example.com").await;
        let id = seed_org(&app, "Acme", None, app.clock.now()).await;
        let page = format!("/admin/orgs/{id}");

        let res = act(&app, &admin, &page, "add-member", &[("email", "Ann@Example.com"), ("role", "owner")]).await;
        assert_eq!(location(&res), format!("{page}?done=member-added"), "roles match without regard to case");
        assert_eq!(app.state.store.membership(&id, &ann).await.expect("q").expect("member").role, "Owner");
        let res = act(&app, &admin, &page, "add-member", &[("email", "nobody@example.com"), ("role", "Member")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("no user has the email address nobody@example.com"));
        let res = act(&app, &admin, &page, "add-member", &[("email", "bo@example.com"), ("role", "Boss")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("choose one of Owner, Admin, Member"));
        let res = act(&app, &admin, &page, "add-member", &[("email", "ann@example.com"), ("role", "Member")]).await;
        assert!(res.text().await.expect("html").contains("already a member"));

        let html = admin_page(&app, &admin, &page).await;
        assert!(html.contains(&format!("id=\"role-{ann}\"")), "a role select per member");
        let res = act(&app, &admin, &page, "role", &[("user_id", ann.as_str()), ("role", "Admin")]).await;
        assert_eq!(location(&res), format!("{page}?done=role-changed"));
        assert_eq!(app.state.store.membership(&id, &ann).await.expect("q").expect("member").role, "Admin");

        // Invitations: sent by email (the link is never on the page), listed, revoked.
        let res = act(&app, &admin, &page, "invite", &[("email", "new@example.com"), ("role", "Member")]).await;
        assert_eq!(location(&res), format!("{page}?done=invited"));
        let mail = app.email_to("new@example.com", 1).await;
        assert!(mail.text_body.contains("/orgs/invites/accept?token="));
        let html = admin_page(&app, &admin, &page).await;
        assert_eq!(data_values(&html, "email").iter().filter(|e| *e == "new@example.com").count(), 1, "pending");
        assert!(!html.contains("invites/accept?token="));
        let res = act(&app, &admin, &page, "revoke-invite", &[("email", "new@example.com")]).await;
        assert_eq!(location(&res), format!("{page}?done=invite-revoked"));
        let res = act(&app, &admin, &page, "revoke-invite", &[("email", "new@example.com")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("no pending invitation"));

        // The org's limit holds for the admin too.
        let res = act(&app, &admin, &page, "edit", &[("name", "Acme"), ("max_users", "1")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = act(&app, &admin, &page, "add-member", &[("email", "bo@example.com"), ("role", "Member")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.expect("html").contains("limit of 1"));

        let res = act(&app, &admin, &page, "remove-member", &[("user_id", ann.as_str())]).await;
        assert_eq!(location(&res), format!("{page}?done=member-removed"));
        assert!(app.state.store.membership(&id, &ann).await.expect("q").is_none());
        let res = act(&app, &admin, &page, "remove-member", &[("user_id", "not-a-member")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        let log = app.state.store.audit_of_user(&root, "root@example.com", 50).await.expect("audit");
        for action in ["org.member_added", "org.role_changed", "org.invited", "org.invite_revoked", "org.member_removed"] {
            let e = log.iter().find(|e| e.action == action).unwrap_or_else(|| panic!("{action} audited"));
            assert_eq!(e.subject, id);
            assert!(!e.detail.contains("token"), "{action}: no secret");
        }
    }

    async fn the_cli_lists_shows_and_deletes_orgs(backend: Backend) {
        let dir = temp_dir();
        let url = fresh_database(backend, &dir).await;
        assert!(gatehouse(&url, &dir, &["migrate"], None).status.success());
        json_line(&gatehouse(&url, &dir, &["user", "create", "--email", "ann@example.com"], None));
        let a = json_line(&gatehouse(&url, &dir, &["org", "create", "--name", "Acme", "--owner-email", "ann@example.com"], None));
        let a = a["org_id"].as_str().expect("id").to_string();
        json_line(&gatehouse(&url, &dir, &["org", "create", "--name", "Acme"], None));
        let list = json_line(&gatehouse(&url, &dir, &["org", "list", "--query", "acme"], None));
        assert_eq!(list["orgs"].as_array().expect("orgs").len(), 2, "duplicate names, told apart by id");
        let shown = json_line(&gatehouse(&url, &dir, &["org", "show", "--id", &a], None));
        assert_eq!(shown["members"], 1);
        assert_eq!(shown["member_list"][0]["role"], "Owner");
        assert_eq!(shown["roles"], serde_json::json!(["Owner", "Admin", "Member"]));
        let gone = json_line(&gatehouse(&url, &dir, &["org", "delete", "--id", &a], None));
        assert_eq!(gone["deleted"], true);
        let again = gatehouse(&url, &dir, &["org", "show", "--id", &a], None);
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("no organization with this id"));
        let help = String::from_utf8_lossy(&gatehouse(&url, &dir, &["org", "--help"], None).stdout).to_string();
        for cmd in ["list", "show", "delete"] {
            let line = help.lines().find(|l| l.trim_start().starts_with(&format!("{cmd} "))).unwrap_or_else(|| panic!("{cmd} listed"));
            assert!(line.trim().len() > cmd.len() + 10, "{cmd} has a description");
        }
    }
}

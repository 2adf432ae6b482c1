//! The admin dashboard's configuration pages: roles and permissions, API keys, signing keys,
//! settings and Look & Feel. Every action and refusal, on both databases.

use crate::admin::{admin_browser, admin_page, admin_post, create_admin};
use crate::both_backends;
use crate::helpers::*;
use gatehouse::store::{AuditRow, EndUserKeyRow};
use reqwest::StatusCode;

/// The newest audit entry with this action.
pub async fn last_event(app: &TestApp, action: &str) -> Option<AuditRow> {
    let rows = app.state.store.recent_audit_except("login.succeeded", 200).await.expect("audit");
    rows.into_iter().find(|r| r.action == action)
}

async fn org_with_member(app: &TestApp, email: &str, role: &str) -> String {
    let user_id = app.create_user(email).await;
    let org = gatehouse::orgs::membership::create(
        &app.state,
        gatehouse::orgs::membership::NewOrg { name: "Acme".into(), ..Default::default() },
        None,
    )
    .await
    .expect("org");
    gatehouse::orgs::membership::add_member(&app.state, &org.id, &user_id, role, &[]).await.expect("member");
    org.id
}

both_backends! {
    async fn roles_are_reordered_renamed_added_and_saved(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let org_id = org_with_member(&app, "mia@example.com", "Member").await;
        let html = admin_page(&app, &admin, "/admin/roles").await;
        assert!(html.contains("id=\"role-name-0\"") && html.contains("value=\"Owner\"") && html.contains("gatehouse::can_invite"));

        // Moving a row re-draws the form and saves nothing.
        let base = [("mapping", "Default"), ("rows", "3"), ("name_0", "Owner"), ("orig_0", "Owner"), ("perms_0", "gatehouse::can_invite"),
            ("name_1", "Admin"), ("orig_1", "Admin"), ("perms_1", "gatehouse::can_invite"), ("name_2", "Member"), ("orig_2", "Member"), ("perms_2", "")];
        let mut moved = base.to_vec();
        moved.push(("op", "down:1"));
        let res = admin_post(&app, &admin, "/admin/roles", "/admin/roles/edit", &moved).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = res.text().await.expect("html");
        assert!(html.find("value=\"Member\"").expect("member") < html.find("value=\"Admin\"").expect("admin"), "Member moved above Admin");
        assert!(html.contains("Not saved yet"));
        let s = gatehouse::orgs::load_structure(&app.state.store, "Default").await.expect("load").expect("default");
        assert_eq!(s.roles[1].name, "Admin", "nothing saved by a move");

        // Save: rename Member to Reader, add Viewer with two permissions, multi-role on.
        let mut save = base.to_vec();
        save[8] = ("name_2", "Reader");
        save.extend([("perms_2", "docs:read"), ("new_name", "Viewer"), ("new_perms", "docs:read\n reports:read \n\ndocs:read"), ("multi_role", "true")]);
        save.retain(|(k, v)| !(*k == "perms_2" && v.is_empty()));
        let res = admin_post(&app, &admin, "/admin/roles", "/admin/roles/save", &save).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/admin/roles?mapping=Default&done=saved");
        let s = gatehouse::orgs::load_structure(&app.state.store, "Default").await.expect("load").expect("default");
        let names: Vec<&str> = s.roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Owner", "Admin", "Reader", "Viewer"]);
        assert!(s.multi_role);
        assert_eq!(s.roles[3].permissions, ["docs:read", "reports:read"]);
        let members = app.state.store.members_of_org(&org_id).await.expect("members");
        assert_eq!(members.iter().map(|m| m.role.as_str()).collect::<Vec<_>>(), ["Reader"], "the member's role was renamed");
        let e = last_event(&app, "roles.updated").await.expect("audited");
        assert_eq!(e.actor, admin_id);
        assert_eq!(e.subject, "Default");
        assert!(e.detail.contains("Reader"));
        assert!(admin_page(&app, &admin, "/admin/roles?mapping=Default&done=saved").await.contains("Roles saved"));
    }

    async fn role_saves_are_checked_like_the_cli(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        org_with_member(&app, "mia@example.com", "Member").await;
        // Two roles with one name.
        let dup = [("mapping", "Default"), ("rows", "2"), ("name_0", "Owner"), ("orig_0", "Owner"), ("name_1", "Owner"), ("orig_1", "Member")];
        let res = admin_post(&app, &admin, "/admin/roles", "/admin/roles/save", &dup).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("appears twice"));
        // A role still held by a member cannot go.
        let gone = [("mapping", "Default"), ("rows", "2"), ("name_0", "Owner"), ("orig_0", "Owner"), ("name_1", "Admin"), ("orig_1", "Admin")];
        let res = admin_post(&app, &admin, "/admin/roles", "/admin/roles/save", &gone).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("still assigned to members"));
        let s = gatehouse::orgs::load_structure(&app.state.store, "Default").await.expect("load").expect("default");
        assert_eq!(s.roles.len(), 3, "nothing saved");
        assert!(last_event(&app, "roles.updated").await.is_none());
        // No CSRF token: refused.
        let res = admin.post(app.url("/admin/roles/save")).form(&gone).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A stale session must confirm first; editing rows does not need it.
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let edit = admin_post(&app, &admin, "/admin/roles", "/admin/roles/edit", &[("rows", "0"), ("new_name", "X"), ("op", "add")]).await;
        assert_eq!(edit.status(), StatusCode::OK);
        let res = admin_post(&app, &admin, "/admin/roles", "/admin/roles/save", &dup).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("/reauth?return_to="));
    }

    async fn integration_keys_are_created_once_and_revoked(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let res = admin_post(&app, &admin, "/admin/api-keys", "/admin/api-keys/create", &[("name", "  ")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.expect("html").contains("id=\"api-key-name-error\""));
        let res = admin_post(&app, &admin, "/admin/api-keys", "/admin/api-keys/create", &[("name", "billing backend")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        let html = res.text().await.expect("html");
        let key = html.split("id=\"new-api-key\">").nth(1).and_then(|s| s.split('<').next()).expect("key shown").to_string();
        assert!(key.starts_with("gh_"));
        let row = gatehouse::auth::api_keys::authenticate(&app.state.store, &app.clock, &key).await.expect("auth").expect("the key works");
        let e = last_event(&app, "api_key.created").await.expect("audited");
        assert_eq!((e.actor.as_str(), e.subject.as_str()), (admin_id.as_str(), row.id.as_str()));
        assert!(!e.detail.contains(&key[3..]), "never the key in the audit log");
        let page = admin_page(&app, &admin, "/admin/api-keys").await;
        assert!(page.contains("billing backend") && !page.contains(&key), "listed, never shown again");

        let res = admin_post(&app, &admin, "/admin/api-keys", &format!("/admin/api-keys/{}/revoke", row.id), &[]).await;
        assert_eq!(location(&res), "/admin/api-keys?done=revoked");
        assert!(gatehouse::auth::api_keys::authenticate(&app.state.store, &app.clock, &key).await.expect("auth").is_none());
        assert_eq!(last_event(&app, "api_key.revoked").await.expect("audited").subject, row.id);
        let again = admin_post(&app, &admin, "/admin/api-keys", &format!("/admin/api-keys/{}/revoke", row.id), &[]).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);

        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let stale = admin_post(&app, &admin, "/admin/api-keys", "/admin/api-keys/create", &[("name", "late")]).await;
        assert_eq!(stale.status(), StatusCode::FORBIDDEN, "creating a key needs a recent sign-in");
        assert_eq!(gatehouse::auth::api_keys::list(&app.state.store).await.expect("list").len(), 1);
    }

    async fn end_user_keys_are_listed_with_owners_and_revoked(backend: Backend) {
        let app = spawn_app(backend).await;
        let admin = admin_browser(&app, "root@example.com").await;
        let org_id = org_with_member(&app, "mia@example.com", "Member").await;
        let user = app.state.store.user_by_email("mia@example.com").await.expect("db").expect("mia");
        let id = "0123456789abcdef0123456789abcdef".to_string();
        app.state.store.insert_end_user_key(&EndUserKeyRow {
            id: id.clone(), token_hash: "h".repeat(64), imported: false, user_id: Some(user.id.clone()), org_id: Some(org_id.clone()),
            display_name: Some("CI token".into()), metadata: "{}".into(), expires_at: None, created_at: app.clock.now(), archived_at: None,
        }).await.expect("key");
        let html = admin_page(&app, &admin, "/admin/api-keys").await;
        assert!(html.contains(&format!("id=\"end-user-key-{id}\"")));
        assert!(html.contains("mia@example.com") && html.contains("Acme") && html.contains("CI token"));
        let res = admin_post(&app, &admin, "/admin/api-keys", &format!("/admin/api-keys/end-user/{id}/revoke"), &[]).await;
        assert_eq!(location(&res), "/admin/api-keys?done=end_user_revoked");
        assert!(app.state.store.end_user_key(&id).await.expect("db").expect("key").archived_at.is_some());
        let e = last_event(&app, "end_user_key.revoked").await.expect("audited");
        assert_eq!(e.subject, id);
        assert!(!admin_page(&app, &admin, "/admin/api-keys").await.contains(&format!("id=\"end-user-key-{id}\"")));
        let again = admin_post(&app, &admin, "/admin/api-keys", &format!("/admin/api-keys/end-user/{id}/revoke"), &[]).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
    }

    async fn signing_keys_are_listed_and_rotated(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_KEY_PUBLISH_DELAY", "60")]).await;
        let admin_id = create_admin(&app, "root@example.com").await;
        let admin = app.logged_in_browser("root@example.com").await;
        let old = app.state.keys.current_kid().expect("kid");
        let html = admin_page(&app, &admin, "/admin/keys").await;
        assert!(html.contains(&format!("id=\"key-{old}\"")) && html.contains(">current<"));
        let res = admin_post(&app, &admin, "/admin/keys", "/admin/keys/rotate", &[]).await;
        assert_eq!(location(&res), "/admin/keys?done=rotated");
        let e = last_event(&app, "signing_key.rotated").await.expect("audited");
        assert_eq!(e.actor, admin_id);
        let html = admin_page(&app, &admin, "/admin/keys?done=rotated").await;
        assert!(html.contains(&format!("id=\"key-{}\"", e.subject)) && html.contains(">next<"), "the new key waits for the publish delay");
        app.clock.advance(61);
        app.state.keys.reload().await.expect("reload");
        let keys = app.state.keys.list().await.expect("list");
        let state_of = |kid: &str| keys.iter().find(|k| k.kid == kid).map(|k| k.state);
        assert_eq!(state_of(&e.subject), Some(gatehouse::keys::listing::KeyState::Current));
        assert_eq!(state_of(&old), Some(gatehouse::keys::listing::KeyState::Retiring));
        app.clock.advance(gatehouse::web::RECENT_AUTH_SECONDS + 1);
        let stale = admin_post(&app, &admin, "/admin/keys", "/admin/keys/rotate", &[]).await;
        assert_eq!(stale.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.state.keys.list().await.expect("list").len(), 2, "no rotation without a recent sign-in");
    }
}

//! Organizations: OrgMemberInfo in tokens, active-org tokens, membership rules on the
//! hosted pages (with their refusals), invitations, domain rules, role structures.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::orgs::membership::{self, NewOrg};
use gatehouse::orgs::roles::{Role, RoleStructure};
use gatehouse::orgs::{self, Actor};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn org(app: &TestApp, name: &str, owner: &str) -> String {
    membership::create(&app.state, NewOrg { name: name.into(), ..Default::default() }, Some(owner)).await.expect("org").id
}

async fn post_form(app: &TestApp, browser: &reqwest::Client, csrf_page: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_for(browser, csrf_page).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(app.url(path)).form(&form).send().await.expect("post")
}

both_backends! {
    async fn access_tokens_carry_org_member_info(backend: Backend) {
        let app = spawn_app(backend).await;
        let alice = app.create_user("alice@example.com").await;
        let bob = app.create_user("bob@example.com").await;
        let acme = org(&app, "Acme", &alice).await;
        let globex = org(&app, "Globex", &bob).await;
        membership::add_member(&app.state, &globex, &alice, "Admin", &[]).await.expect("add");
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid email orgs", "alice@example.com").await;
        let at = app.verify_jwt(tokens["access_token"].as_str().expect("at")).await;
        let map = at["org_id_to_org_member_info"].as_object().expect("map");
        assert_eq!(map.len(), 2);
        let a = &map[&acme];
        assert_eq!(a["org_id"], acme.as_str());
        assert_eq!(a["org_name"], "Acme");
        assert_eq!(a["url_safe_org_name"], "acme");
        assert_eq!(a["org_metadata"], json!({}));
        assert_eq!(a["user_role"], "Owner");
        assert_eq!(a["inherited_user_roles_plus_current_role"], json!(["Owner", "Admin", "Member"]));
        assert_eq!(a["org_role_structure"], "single_role_in_hierarchy");
        assert_eq!(a["additional_roles"], json!([]));
        assert!(a["user_permissions"].as_array().expect("perms").contains(&json!("gatehouse::can_invite")));
        let g = &map[&globex];
        assert_eq!(g["user_role"], "Admin");
        assert_eq!(g["inherited_user_roles_plus_current_role"], json!(["Admin", "Member"]));
        // Scope `orgs`: a compact list in the ID token and userinfo.
        let id = app.verify_jwt(tokens["id_token"].as_str().expect("id")).await;
        let compact = id["orgs"].as_array().expect("orgs claim");
        assert_eq!(compact.len(), 2);
        assert!(compact.iter().all(|o| o.get("user_permissions").is_none()), "compact, not full OrgMemberInfo");
        let info: Value = reqwest::Client::new().get(app.url("/oauth2/userinfo")).bearer_auth(tokens["access_token"].as_str().expect("at"))
            .send().await.expect("userinfo").json().await.expect("json");
        assert_eq!(info["orgs"].as_array().expect("orgs").len(), 2);
        // Without scope `orgs`, no list in the ID token (the access token still has the map).
        let plain = app.tokens_for(&client, "openid", "alice@example.com").await;
        assert!(app.verify_jwt(plain["id_token"].as_str().expect("id")).await.get("orgs").is_none());
    }

    async fn active_org_tokens_for_members_only(backend: Backend) {
        let app = spawn_app(backend).await;
        let alice = app.create_user("alice@example.com").await;
        let bob = app.create_user("bob@example.com").await;
        let acme = org(&app, "Acme", &alice).await;
        let other = org(&app, "Other", &bob).await;
        let client = app.create_client().await;
        let (verifier, challenge) = pkce_pair();
        let mut params = TestApp::code_params(&client, "openid", &challenge);
        params.push(("org_id", &acme));
        let loc = app.authorize_and_login(&params, "alice@example.com").await;
        let res = app.redeem(&client, &query_of(&loc)["code"], &verifier).await;
        let body: Value = res.json().await.expect("json");
        let at = app.verify_jwt(body["access_token"].as_str().expect("at")).await;
        assert_eq!(at["org_member_info"]["org_id"], acme.as_str());
        assert_eq!(at["org_member_info"]["user_role"], "Owner");
        assert!(at.get("org_id_to_org_member_info").is_none());
        // Not a member of `other`: refused at the client.
        let mut params = TestApp::code_params(&client, "openid", &challenge);
        params.push(("org_id", &other));
        let res = app.authorize(&params).await;
        assert_eq!(query_of(&location(&res))["error"], "access_denied");
    }

    async fn role_changes_follow_the_hierarchy(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let admin = app.create_user("admin@example.com").await;
        let member = app.create_user("member@example.com").await;
        let acme = org(&app, "Acme", &owner).await;
        membership::add_member(&app.state, &acme, &admin, "Admin", &[]).await.expect("add");
        membership::add_member(&app.state, &acme, &member, "Member", &[]).await.expect("add");
        let page = format!("/orgs/{acme}");
        let admin_b = app.logged_in_browser("admin@example.com").await;
        // An Admin cannot make anyone Owner, nor touch the Owner.
        let res = post_form(&app, &admin_b, &page, &format!("/orgs/{acme}/members/{member}/role"), &[("role", "Owner")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("above your own"));
        let res = post_form(&app, &admin_b, &page, &format!("/orgs/{acme}/members/{owner}/role"), &[("role", "Member")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = post_form(&app, &admin_b, &page, &format!("/orgs/{acme}/members/{owner}/remove"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // ... but may promote a Member to Admin.
        let res = post_form(&app, &admin_b, &page, &format!("/orgs/{acme}/members/{member}/role"), &[("role", "Admin")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.store.membership(&acme, &member).await.expect("q").expect("m").role, "Admin");
        // A Member has no role-changing permission at all.
        membership::change_role(&app.state, Actor::System, &acme, &member, "Member", Some(&[])).await.expect("demote");
        let member_b = app.logged_in_browser("member@example.com").await;
        let html = member_b.get(app.url(&page)).send().await.expect("get").text().await.expect("html");
        assert!(!html.contains("role-select") && !html.contains("invite-form"), "no controls for a Member");
        let res = post_form(&app, &member_b, &page, &format!("/orgs/{acme}/members/{admin}/role"), &[("role", "Member")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("does not allow you to change roles"));
        let res = post_form(&app, &member_b, &page, &format!("/orgs/{acme}/invite"), &[("email", "x@example.com"), ("role", "Member")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // Outsiders see nothing.
        app.create_user("outsider@example.com").await;
        let outsider = app.logged_in_browser("outsider@example.com").await;
        assert_eq!(outsider.get(app.url(&page)).send().await.expect("get").status(), StatusCode::NOT_FOUND);
    }

    async fn an_org_always_keeps_an_owner(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let acme = org(&app, "Acme", &owner).await;
        let page = format!("/orgs/{acme}");
        let owner_b = app.logged_in_browser("owner@example.com").await;
        let res = post_form(&app, &owner_b, &page, &format!("/orgs/{acme}/leave"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("at least one Owner"));
        let err = membership::change_role(&app.state, Actor::User(&owner), &acme, &owner, "Admin", Some(&[])).await.expect_err("last owner");
        assert!(err.to_string().contains("at least one Owner"));
        // With a second Owner the first may leave.
        let second = app.create_user("second@example.com").await;
        membership::add_member(&app.state, &acme, &second, "Owner", &[]).await.expect("add");
        let res = post_form(&app, &owner_b, &page, &format!("/orgs/{acme}/leave"), &[]).await;
        assert_eq!(location(&res), "/orgs");
        assert!(app.state.store.membership(&acme, &owner).await.expect("q").is_none());
    }

    async fn max_users_and_domain_restriction(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@acme.com").await;
        let input = NewOrg { name: "Acme".into(), domain: Some("acme.com".into()), restrict_to_domain: true, max_users: Some(2), ..Default::default() };
        let acme = membership::create(&app.state, input, Some(&owner)).await.expect("org").id;
        let outsider = app.create_user("someone@gmail.com").await;
        let err = membership::add_member(&app.state, &acme, &outsider, "Member", &[]).await.expect_err("domain");
        assert!(err.to_string().contains("domain"));
        let err = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "someone@gmail.com", "Member", &[]).await.expect_err("domain");
        assert!(err.to_string().contains("domain"));
        let colleague = app.create_user("colleague@acme.com").await;
        membership::add_member(&app.state, &acme, &colleague, "Member", &[]).await.expect("fits");
        let third = app.create_user("third@acme.com").await;
        let err = membership::add_member(&app.state, &acme, &third, "Member", &[]).await.expect_err("full");
        assert!(err.to_string().contains("limit of 2"));
        let err = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "fourth@acme.com", "Member", &[]).await.expect_err("full");
        assert!(err.to_string().contains("limit of 2"));
        let err = membership::add_member(&app.state, &acme, &owner, "Member", &[]).await.expect_err("dup");
        assert!(err.to_string().contains("already a member"));
        let err = membership::add_member(&app.state, &acme, &third, "Boss", &[]).await.expect_err("role");
        assert!(err.to_string().contains("not a role"));
    }

    async fn invitation_creates_the_account_and_membership(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("owner@example.com").await;
        let owner_b = app.logged_in_browser("owner@example.com").await;
        // Create the org through the hosted page.
        let res = post_form(&app, &owner_b, "/orgs", "/orgs", &[("name", "Acme Labs")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let page = location(&res).split('?').next().expect("path").to_string();
        let acme = page.trim_start_matches("/orgs/").to_string();
        let res = post_form(&app, &owner_b, &page, &format!("{page}/invite"), &[("email", "New.Person@example.com"), ("role", "Member")]).await;
        assert_eq!(location(&res), format!("{page}?done=invited"));
        let html = owner_b.get(app.url(&page)).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("new.person@example.com"), "pending invite listed");
        let mail = app.email_to("new.person@example.com", 1).await;
        assert!(mail.subject.contains("Acme Labs"), "{}", mail.subject);
        let link = link_in(&mail.text_body, "/orgs/invites/accept");
        assert!(link.starts_with(&format!("{}/orgs/invites/accept?token=", app.issuer)));
        // The invitee follows the link in a fresh browser and creates an account.
        let invitee = browser();
        let html = invitee.get(&link).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("Acme Labs") && html.contains("Member"));
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let token = form_value(&html, "token").expect("token");
        let res = invitee.post(app.url("/orgs/invites/accept"))
            .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("first_name", "New"), ("password", PASSWORD)])
            .send().await.expect("accept");
        assert_eq!(location(&res), format!("/orgs/{acme}?done=joined"));
        let html = invitee.get(app.url(&page)).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("id=\"my-role\">Member<"), "{html}");
        let user = app.state.store.user_by_email("new.person@example.com").await.expect("q").expect("account created");
        assert!(user.email_verified);
        // The link is single use.
        assert_eq!(browser().get(&link).send().await.expect("get").status(), StatusCode::GONE);
    }

    async fn invitations_expire_and_can_be_revoked(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let acme = org(&app, "Acme", &owner).await;
        let sent = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "late@example.com", "Member", &[]).await.expect("invite");
        app.clock.advance(7 * 24 * 3600 + 1);
        assert_eq!(browser().get(&sent.link).send().await.expect("get").status(), StatusCode::GONE);
        let sent = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "revoked@example.com", "Member", &[]).await.expect("invite");
        let owner_b = app.logged_in_browser("owner@example.com").await;
        let page = format!("/orgs/{acme}");
        let res = post_form(&app, &owner_b, &page, &format!("{page}/invites/revoke"), &[("email", "revoked@example.com")]).await;
        assert_eq!(location(&res), format!("{page}?done=revoked"));
        assert_eq!(browser().get(&sent.link).send().await.expect("get").status(), StatusCode::GONE);
        // An Admin may not revoke an invitation for a role above their own.
        let admin = app.create_user("admin@example.com").await;
        membership::add_member(&app.state, &acme, &admin, "Admin", &[]).await.expect("add");
        let owner_invite = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "co-owner@example.com", "Owner", &[]).await.expect("invite");
        let err = orgs::invites::revoke(&app.state, Actor::User(&admin), &acme, "co-owner@example.com").await.expect_err("above the admin");
        assert!(matches!(err, orgs::OrgError::Forbidden(_)), "{err}");
        assert_eq!(browser().get(&owner_invite.link).send().await.expect("get").status(), StatusCode::OK, "still pending");
        // An existing user must sign in as the invited address to accept.
        let existing = app.create_user("existing@example.com").await;
        let sent = orgs::invites::invite(&app.state, Actor::User(&owner), &acme, "existing@example.com", "Admin", &[]).await.expect("invite");
        let wrong = app.logged_in_browser("owner@example.com").await;
        let html = wrong.get(&sent.link).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("id=\"accept-sign-in\""));
        let err = orgs::invites::accept(&app.state, sent.link.split("token=").nth(1).expect("token"), &owner).await.expect_err("wrong user");
        assert!(err.to_string().contains("existing@example.com"));
        let right = app.logged_in_browser("existing@example.com").await;
        let html = right.get(&sent.link).send().await.expect("get").text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let token = form_value(&html, "token").expect("token");
        let res = right.post(app.url("/orgs/invites/accept")).form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.store.membership(&acme, &existing).await.expect("q").expect("member").role, "Admin");
    }

    async fn creating_orgs_can_be_switched_off_per_user(backend: Backend) {
        let app = spawn_app(backend).await;
        let alice = app.create_user("alice@example.com").await;
        app.state.store.set_user_can_create_orgs(&alice, false).await.expect("set");
        let b = app.logged_in_browser("alice@example.com").await;
        let html = b.get(app.url("/orgs")).send().await.expect("get").text().await.expect("html");
        assert!(!html.contains("create-org-form"));
        let res = post_form(&app, &b, "/account", "/orgs", &[("name", "Nope")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.expect("html").contains("not allowed to create organizations"));
    }

    async fn users_join_by_verified_email_domain(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@acme.com").await;
        let input = NewOrg { name: "Acme".into(), domain: Some("acme.com".into()), autojoin_by_domain: true, ..Default::default() };
        let acme = membership::create(&app.state, input, Some(&owner)).await.expect("org").id;
        let dev = app.create_user("dev@acme.com").await;
        app.create_user("stranger@other.com").await;
        let b = app.logged_in_browser("dev@acme.com").await;
        let html = b.get(app.url("/orgs")).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("id=\"join-acme\""));
        let res = post_form(&app, &b, "/orgs", &format!("/orgs/{acme}/join"), &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.state.store.membership(&acme, &dev).await.expect("q").expect("m").role, "Member");
        let other = app.logged_in_browser("stranger@other.com").await;
        let res = post_form(&app, &other, "/orgs", &format!("/orgs/{acme}/join"), &[]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    async fn role_structures_are_editable_and_reach_tokens(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let alice = app.create_user("alice@example.com").await;
        let acme = org(&app, "Acme", &alice).await;
        let structure = RoleStructure {
            name: "Default".into(),
            multi_role: false,
            roles: vec![
                Role { name: "Owner".into(), permissions: vec!["gatehouse::can_invite".into(), "billing:write".into()] },
                Role { name: "Admin".into(), permissions: vec!["gatehouse::can_invite".into()] },
                Role { name: "Viewer".into(), permissions: vec!["reports:read".into()] },
            ],
        };
        orgs::set_structure(&app.state, &structure).await.expect("set");
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid", "alice@example.com").await;
        let at = app.verify_jwt(tokens["access_token"].as_str().expect("at")).await;
        let info = &at["org_id_to_org_member_info"][&acme];
        assert_eq!(info["inherited_user_roles_plus_current_role"], json!(["Owner", "Admin", "Viewer"]));
        assert_eq!(info["user_permissions"], json!(["gatehouse::can_invite", "billing:write", "reports:read"]));
        // A role still held by someone cannot be dropped.
        let without_owner = RoleStructure { roles: structure.roles[1..].to_vec(), ..structure.clone() };
        let err = orgs::set_structure(&app.state, &without_owner).await.expect_err("in use");
        assert!(err.to_string().contains("still assigned"));
        // Multi-role mode: additional roles appear in the token.
        let multi = RoleStructure { multi_role: true, ..structure.clone() };
        orgs::set_structure(&app.state, &multi).await.expect("set");
        let bob = app.create_user("bob@example.com").await;
        membership::add_member(&app.state, &acme, &bob, "Viewer", &["Admin".into()]).await.expect("add");
        app.browser = browser();
        let tokens = app.tokens_for(&client, "openid", "bob@example.com").await;
        let at = app.verify_jwt(tokens["access_token"].as_str().expect("at")).await;
        let info = &at["org_id_to_org_member_info"][&acme];
        assert_eq!(info["org_role_structure"], "multi_role");
        assert_eq!(info["additional_roles"], json!(["Admin"]));
        // An Admin may act only on members whose every role is at or below Admin: a Viewer who
        // also holds Owner is above her.
        let manage: Vec<String> = ["gatehouse::can_invite", "gatehouse::can_change_roles", "gatehouse::can_remove_users"].map(String::from).to_vec();
        let managers = RoleStructure {
            roles: vec![
                Role { name: "Owner".into(), permissions: manage.clone() },
                Role { name: "Admin".into(), permissions: manage },
                Role { name: "Viewer".into(), permissions: vec![] },
            ],
            ..multi.clone()
        };
        orgs::set_structure(&app.state, &managers).await.expect("set");
        let carol = app.create_user("carol@example.com").await;
        membership::add_member(&app.state, &acme, &carol, "Admin", &[]).await.expect("add");
        let dave = app.create_user("dave@example.com").await;
        membership::add_member(&app.state, &acme, &dave, "Viewer", &["Owner".into()]).await.expect("add");
        let err = membership::change_role(&app.state, Actor::User(&carol), &acme, &dave, "Viewer", None).await.expect_err("above carol");
        assert!(err.to_string().contains("the Owner role: it is above your own"), "{err}");
        let err = membership::remove_member(&app.state, Actor::User(&carol), &acme, &dave).await.expect_err("above carol");
        assert!(err.to_string().contains("the Owner role: it is above your own"), "{err}");
        // Changing the primary role on the hosted page keeps the additional roles.
        membership::change_role(&app.state, Actor::User(&alice), &acme, &bob, "Admin", None).await.expect("owner changes bob");
        let m = app.state.store.membership(&acme, &bob).await.expect("q").expect("member");
        assert_eq!((m.role.as_str(), m.additional_roles.as_str()), ("Admin", "[]"), "Admin is now primary, not also additional");
        membership::change_role(&app.state, Actor::User(&alice), &acme, &dave, "Admin", None).await.expect("owner changes dave");
        let m = app.state.store.membership(&acme, &dave).await.expect("q").expect("member");
        assert_eq!((m.role.as_str(), m.additional_roles.as_str()), ("Admin", r#"["Owner"]"#));
    }

    async fn refreshed_tokens_reflect_role_changes(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let bob = app.create_user("bob@example.com").await;
        let acme = org(&app, "Acme", &owner).await;
        membership::add_member(&app.state, &acme, &bob, "Member", &[]).await.expect("add");
        let client = app.create_client().await;
        let tokens = app.tokens_for(&client, "openid offline_access", "bob@example.com").await;
        membership::change_role(&app.state, Actor::System, &acme, &bob, "Admin", Some(&[])).await.expect("promote");
        let res = app.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().expect("rt"))]).await;
        let body: Value = res.json().await.expect("json");
        let at = app.verify_jwt(body["access_token"].as_str().expect("at")).await;
        assert_eq!(at["org_id_to_org_member_info"][&acme]["user_role"], "Admin");
    }

    async fn org_settings_need_can_manage_org(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@acme.com").await;
        let member = app.create_user("member@acme.com").await;
        let acme = org(&app, "Acme", &owner).await;
        membership::add_member(&app.state, &acme, &member, "Member", &[]).await.expect("add");
        let page = format!("/orgs/{acme}");
        let owner_b = app.logged_in_browser("owner@acme.com").await;
        let html = owner_b.get(app.url(&page)).send().await.expect("get").text().await.expect("html");
        assert!(html.contains("org-settings-form"));
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme"), ("domain", ""), ("autojoin", "on")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "auto-join needs a domain");
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme Corp"), ("domain", "ACME.com"), ("restrict", "on")]).await;
        assert_eq!(location(&res), format!("{page}?done=settings"));
        let stored = app.state.store.org_by_id(&acme).await.expect("q").expect("org");
        assert_eq!((stored.name.as_str(), stored.domain.as_deref(), stored.domain_restrict, stored.domain_autojoin), ("Acme Corp", Some("acme.com"), true, false));
        // Auto-join opens the org to a whole domain: only to the manager's own verified one.
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme Corp"), ("domain", "victim.example"), ("autojoin", "on")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.state.store.org_by_id(&acme).await.expect("q").expect("org").domain.as_deref(), Some("acme.com"), "unchanged");
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme Corp"), ("domain", "acme.com"), ("autojoin", "on")]).await;
        assert_eq!(location(&res), format!("{page}?done=settings"));
        assert!(app.state.store.org_by_id(&acme).await.expect("q").expect("org").domain_autojoin);
        let member_b = app.logged_in_browser("member@acme.com").await;
        let html = member_b.get(app.url(&page)).send().await.expect("get").text().await.expect("html");
        assert!(!html.contains("org-settings-form"));
        let res = post_form(&app, &member_b, &page, &format!("{page}/settings"), &[("name", "Hijacked")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.state.store.org_by_id(&acme).await.expect("q").expect("org").name, "Acme Corp");
    }

    async fn an_org_can_require_mfa_of_its_members(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@acme.com").await;
        let member = app.create_user("member@acme.com").await;
        app.create_user("outsider@other.com").await;
        let acme = org(&app, "Acme", &owner).await;
        membership::add_member(&app.state, &acme, &member, "Member", &[]).await.expect("add");
        let page = format!("/orgs/{acme}");
        let owner_b = app.logged_in_browser("owner@acme.com").await;
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme"), ("require_mfa", "on")]).await;
        assert_eq!(location(&res), format!("{page}?done=settings"));
        assert!(app.state.store.org_by_id(&acme).await.expect("q").expect("org").require_2fa_by.is_some());
        // Members now enrol TOTP at login; users outside the org do not.
        let res = app.submit_login_with(&browser(), "/login", "member@acme.com", PASSWORD).await;
        assert_eq!(location(&res), "/login/mfa/enrol");
        let res = app.submit_login_with(&browser(), "/login", "outsider@other.com", PASSWORD).await;
        assert_eq!(location(&res), "/account");
        // Switching it off again lets members in with a password.
        let res = post_form(&app, &owner_b, &page, &format!("{page}/settings"), &[("name", "Acme")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let res = app.submit_login_with(&browser(), "/login", "member@acme.com", PASSWORD).await;
        assert_eq!(location(&res), "/account");
    }

    async fn invited_accounts_still_enrol_required_mfa(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let acme = org(&app, "Acme", &owner).await;
        app.set_setting("require_mfa", "true").await;
        let sent = orgs::invites::invite(&app.state, Actor::System, &acme, "fresh@example.com", "Member", &[]).await.expect("invite");
        let invitee = browser();
        let html = invitee.get(&sent.link).send().await.expect("get").text().await.expect("html");
        let csrf = form_value(&html, "csrf_token").expect("csrf");
        let token = form_value(&html, "token").expect("token");
        let res = invitee.post(app.url("/orgs/invites/accept"))
            .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str()), ("password", PASSWORD)])
            .send().await.expect("accept");
        // The membership exists, but no session until the second factor is enrolled.
        assert_eq!(location(&res), "/login/mfa/enrol");
        let user = app.state.store.user_by_email("fresh@example.com").await.expect("q").expect("user");
        assert!(app.state.store.membership(&acme, &user.id).await.expect("q").is_some());
        assert_eq!(location(&invitee.get(app.url("/account")).send().await.expect("get")), "/login?return_to=%2Faccount");
    }
}

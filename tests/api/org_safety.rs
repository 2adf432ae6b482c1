//! Issue 11 item 15: the last Owner under concurrency, printable org names in invitation
//! subjects, `/metrics` not public.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::orgs::Actor;
use gatehouse::orgs::membership::{self, NewOrg};
use reqwest::StatusCode;

both_backends! {
    async fn two_owners_demoting_each_other_at_once_leave_one(backend: Backend) {
        let app = spawn_app(backend).await;
        for round in 0..8 {
            let a = app.create_user(&format!("a{round}@example.com")).await;
            let b = app.create_user(&format!("b{round}@example.com")).await;
            let org = membership::create(&app.state, NewOrg { name: format!("Race {round}"), ..Default::default() }, Some(&a)).await.expect("org").id;
            membership::add_member(&app.state, &org, &b, "Owner", &[]).await.expect("add");
            let (ra, rb) = tokio::join!(
                membership::change_role(&app.state, Actor::User(&a), &org, &a, "Admin", Some(&[])),
                membership::change_role(&app.state, Actor::User(&b), &org, &b, "Admin", Some(&[])),
            );
            assert!(ra.is_ok() != rb.is_ok(), "exactly one demotion wins (round {round}): {ra:?} {rb:?}");
            assert_eq!(app.state.store.count_members_with_role(&org, "Owner").await.expect("db"), 1, "round {round}");
            let (ra, rb) = tokio::join!(
                membership::remove_member(&app.state, Actor::User(&a), &org, &a),
                membership::remove_member(&app.state, Actor::User(&b), &org, &b),
            );
            let _ = (ra, rb);
            assert_eq!(app.state.store.count_members_with_role(&org, "Owner").await.expect("db"), 1, "round {round}: leaving keeps an Owner");
        }
    }

    async fn org_names_are_printable_in_invitation_subjects(backend: Backend) {
        let app = spawn_app(backend).await;
        let owner = app.create_user("owner@example.com").await;
        let err = membership::create(&app.state, NewOrg { name: "Acme\u{202e}gnp.exe".into(), ..Default::default() }, Some(&owner)).await.expect_err("bidi");
        assert!(err.to_string().contains("control or invisible"), "{err}");
        let err = membership::create(&app.state, NewOrg { name: "Acme\r\nBcc: x@example.com".into(), ..Default::default() }, Some(&owner)).await.expect_err("crlf");
        assert!(err.to_string().contains("control or invisible"), "{err}");
        // An org named before the rule: the subject still carries printable text only.
        let org = membership::create(&app.state, NewOrg { name: "Acme".into(), ..Default::default() }, Some(&owner)).await.expect("org");
        let mut row = org.clone();
        row.name = "Acme\u{202e}\r\nBcc: x@example.com".into();
        app.state.store.update_org(&row).await.expect("rename behind the rules");
        gatehouse::orgs::invites::invite(&app.state, Actor::User(&owner), &org.id, "new@example.com", "Member", &[]).await.expect("invite");
        let mail = app.email_to("new@example.com", 1).await;
        assert!(!mail.subject.chars().any(|c| c.is_control() || c == '\u{202e}'), "{:?}", mail.subject);
        assert!(mail.subject.contains("Acme Bcc: x@example.com"), "{:?}", mail.subject);
    }

    async fn metrics_are_loopback_only_by_default(backend: Backend) {
        let app = spawn_app(backend).await;
        assert_eq!(app.get("/metrics").await.status(), StatusCode::OK, "the tests run on loopback");
        let res = reqwest::Client::new().get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.7").send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "a request forwarded by an untrusted proxy is not local");
        let token = "a-metrics-token-of-32-characters";
        let app = spawn_app_with(backend, &[("GATEHOUSE_METRICS_ALLOW", "192.0.2.0/24"), ("GATEHOUSE_METRICS_TOKEN", token)]).await;
        assert_eq!(app.get("/metrics").await.status(), StatusCode::NOT_FOUND, "loopback is not in this allow-list");
        let res = reqwest::Client::new().get(app.url("/metrics")).bearer_auth(token).send().await.expect("get");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("text").contains("gatehouse_http_requests_total"));
        let res = reqwest::Client::new().get(app.url("/metrics")).bearer_auth("wrong-token-wrong-token").send().await.expect("get");
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}

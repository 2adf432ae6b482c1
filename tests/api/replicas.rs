//! Two servers on one database: nothing that matters lives in one process.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

async fn two_replicas(backend: Backend) {
    let a = spawn_app(backend).await;
    // Behind a load balancer both answer as the same issuer.
    let b_dir = temp_dir();
    let b = spawn_on(&a.database_url, &b_dir, &a.master_key, &[("GATEHOUSE_ISSUER", &a.issuer)]).await;
    assert_eq!(a.state.keys.current_kid(), b.state.keys.current_kid(), "replicas share the signing key");
    a.create_user("alice@example.com").await;
    let client = a.create_client().await;
    // Log in through A ...
    let (code, verifier) = a.code_for(&client, "openid email offline_access", "alice@example.com").await;
    // ... redeem on B; A's JWKS verifies what B signed.
    let res = b.redeem(&client, &code, &verifier).await;
    assert_eq!(res.status(), StatusCode::OK);
    let tokens: Value = res.json().await.expect("json");
    let id = a.verify_jwt(tokens["id_token"].as_str().expect("id")).await;
    assert_eq!(id["iss"], a.issuer);
    // Refresh on B, then reuse the old refresh token on A after the retry grace period:
    // detected across replicas.
    let r1 = tokens["refresh_token"].as_str().expect("rt");
    let res = b.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", r1)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    a.clock.advance(6);
    let res = a.token(&client, &[("grant_type", "refresh_token"), ("refresh_token", r1)]).await;
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_grant");
    // A session made on A is honoured by B (shared session table, shared cookie secret).
    let res = a.submit_login_with(&browser(), "/login", "alice@example.com", PASSWORD).await;
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("gh_session="))
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_string();
    let res = browser().get(b.url("/account")).header("cookie", session).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    // A key rotated through B is picked up by A on reload.
    let kid = b.state.keys.rotate().await.expect("rotate");
    a.state.keys.reload().await.expect("reload");
    assert_eq!(a.state.keys.current_kid().as_deref(), Some(kid.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_postgres() {
    two_replicas(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_sqlite_file() {
    two_replicas(Backend::Sqlite).await;
}

/// Each replica serves client rows from a short-lived cache (issue 12). A change made on one
/// replica applies there at once and on the others within the cache's lifetime.
async fn client_changes_reach_every_replica(backend: Backend) {
    let a = spawn_app(backend).await;
    let b_dir = temp_dir();
    let b = spawn_on(&a.database_url, &b_dir, &a.master_key, &[("GATEHOUSE_ISSUER", &a.issuer)]).await;
    let client = a.create_client().await;
    let probe = [("grant_type", "refresh_token"), ("refresh_token", "not-a-token")];
    let error_of = |res: reqwest::Response| async move { res.json::<Value>().await.expect("json")["error"].as_str().map(String::from) };
    // Both replicas authenticate the client (and A now holds its row in memory).
    assert_eq!(error_of(a.token(&client, &probe).await).await.as_deref(), Some("invalid_grant"));
    assert_eq!(error_of(b.token(&client, &probe).await).await.as_deref(), Some("invalid_grant"));
    // Disabled through B: B refuses the very next request.
    let now = b.clock.now();
    assert!(b.state.store.set_client_enabled(&client.id, false, now).await.expect("disable"));
    assert_eq!(error_of(b.token(&client, &probe).await).await.as_deref(), Some("invalid_client"));
    // A follows once its copy expires (a second); bounded wait, no fixed sleep.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let error = error_of(a.token(&client, &probe).await).await;
        if error.as_deref() == Some("invalid_client") {
            break;
        }
        assert_eq!(error.as_deref(), Some("invalid_grant"), "before it expires A still knows the client");
        assert!(std::time::Instant::now() < deadline, "replica A still accepts a client disabled on B");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Enabled again through A: A accepts at once.
    assert!(a.state.store.set_client_enabled(&client.id, true, now).await.expect("enable"));
    assert_eq!(error_of(a.token(&client, &probe).await).await.as_deref(), Some("invalid_grant"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_on_one_postgres_replica_is_refused_by_the_other() {
    client_changes_reach_every_replica(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_disabled_on_one_sqlite_replica_is_refused_by_the_other() {
    client_changes_reach_every_replica(Backend::Sqlite).await;
}

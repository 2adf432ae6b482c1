//! Lockout hurts the guesser, not the owner: failures count per account and client (address,
//! or the device cookie of a browser that signed in before), with a higher account-wide ceiling
//! for guessing spread over many addresses, and the owner is told by email.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use std::sync::Arc;

/// A browser whose cookies the test can read and seed.
fn browser_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder().cookie_provider(jar).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// One password login from `from` (the address a trusted proxy reports); returns the status
/// and the page.
async fn login_from(app: &TestApp, browser: &reqwest::Client, from: &str, email: &str, password: &str) -> (StatusCode, String) {
    let html = browser.get(app.url("/login")).header("x-forwarded-for", from).send().await.expect("page").text().await.expect("html");
    let csrf = form_value(&html, "csrf_token").expect("csrf token");
    let form = [("csrf_token", csrf.as_str()), ("email", email), ("password", password)];
    let res = browser.post(app.url("/login")).header("x-forwarded-for", from).form(&form).send().await.expect("login");
    (res.status(), res.text().await.expect("body"))
}

fn locked(outcome: &(StatusCode, String)) -> bool {
    outcome.0 == StatusCode::TOO_MANY_REQUESTS && outcome.1.contains("Too many failed sign-in attempts")
}

/// A fresh browser that only carries `device` (the owner's laptop after its session ended).
fn device_browser(app: &TestApp, device: &str) -> reqwest::Client {
    let jar = Arc::new(Jar::default());
    jar.add_cookie_str(&format!("gh_device={device}; Path=/"), &app.issuer.parse().expect("url"));
    browser_with(jar)
}

async fn device_cookie_of(app: &TestApp, email: &str, from: &str) -> String {
    let jar = Arc::new(Jar::default());
    let b = browser_with(jar.clone());
    assert_eq!(login_from(app, &b, from, email, PASSWORD).await.0, StatusCode::SEE_OTHER, "{email} signs in");
    let cookies = jar.cookies(&app.issuer.parse().expect("url")).expect("cookies");
    let cookies = cookies.to_str().expect("ascii").to_string();
    cookies.split("; ").find_map(|c| c.strip_prefix("gh_device=")).expect("a device cookie is set at login").to_string()
}

both_backends! {
    async fn lockout_hurts_the_guesser_not_the_owner(backend: Backend) {
        let app = spawn_app_with(backend, &[("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1")]).await;
        app.set_setting("lockout_threshold", "3").await;
        app.set_setting("rate_limit_ip_per_minute", "1000").await;
        app.set_setting("rate_limit_account_per_minute", "1000").await;
        app.create_user("alice@example.com").await;
        app.create_user("bob@example.com").await;
        let laptop = device_cookie_of(&app, "alice@example.com", "192.0.2.10").await;

        // A guesser on the owner's own network: locked out after three wrong passwords, even
        // with the right one.
        let guesser = browser();
        for _ in 0..2 {
            assert_eq!(login_from(&app, &guesser, "192.0.2.10", "alice@example.com", "wrong").await.0, StatusCode::UNAUTHORIZED);
        }
        assert!(locked(&login_from(&app, &guesser, "192.0.2.10", "alice@example.com", "wrong").await));
        assert!(locked(&login_from(&app, &guesser, "192.0.2.10", "alice@example.com", PASSWORD).await));
        // The owner still gets in: on the laptop (same address), and on a phone elsewhere.
        let outcome = login_from(&app, &device_browser(&app, &laptop), "192.0.2.10", "alice@example.com", PASSWORD).await;
        assert_eq!(outcome.0, StatusCode::SEE_OTHER, "the known device signs in: {}", outcome.1);
        assert_eq!(login_from(&app, &browser(), "198.51.100.9", "alice@example.com", PASSWORD).await.0, StatusCode::SEE_OTHER);
        // ... and is told.
        let notice = app.email_to("alice@example.com", 1).await;
        assert!(notice.subject.contains("Someone is trying to sign in"), "{}", notice.subject);

        // Guessing spread over many addresses reaches the account-wide ceiling (4 x 3 = 12;
        // 3 failures so far): then every unknown client is locked, but known devices are not.
        for n in 0..9 {
            let from = format!("203.0.113.{}", n / 2 + 1);
            let outcome = login_from(&app, &browser(), &from, "alice@example.com", "wrong").await;
            assert!(outcome.0 == StatusCode::UNAUTHORIZED || locked(&outcome), "{n}: {:?}", outcome.0);
        }
        assert!(locked(&login_from(&app, &browser(), "198.51.100.77", "alice@example.com", PASSWORD).await), "unknown clients locked");
        // A device cookie of another account is no key to this one.
        let bobs = device_cookie_of(&app, "bob@example.com", "198.51.100.50").await;
        assert!(locked(&login_from(&app, &device_browser(&app, &bobs), "198.51.100.50", "alice@example.com", PASSWORD).await));
        let outcome = login_from(&app, &device_browser(&app, &laptop), "198.51.100.77", "alice@example.com", PASSWORD).await;
        assert_eq!(outcome.0, StatusCode::SEE_OTHER, "the known device still signs in");

        // One email an hour at most, however many locks.
        app.assert_no_email_to("nobody@example.com").await;
        let to_alice = app.emails().await.into_iter().filter(|m| m.to_addr == "alice@example.com").count();
        assert_eq!(to_alice, 1);
        let audit = app.state.store.audit_entries(100).await.expect("audit");
        assert!(audit.iter().any(|(_, _, action, _, detail)| action == "login.locked" && detail.contains("unknown clients")));

        // A guesser holding the laptop's cookie is counted on that device alone.
        let thief = device_browser(&app, &laptop);
        for _ in 0..2 {
            assert_eq!(login_from(&app, &thief, "203.0.113.99", "alice@example.com", "wrong").await.0, StatusCode::UNAUTHORIZED);
        }
        assert!(locked(&login_from(&app, &thief, "203.0.113.99", "alice@example.com", "wrong").await));
    }
}

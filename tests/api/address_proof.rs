//! Issue 11 item 12: proving an address does not keep a password chosen before it was proven,
//! unless the proof comes from the browser that signed up.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;

both_backends! {
    async fn verifying_an_address_elsewhere_drops_a_password_nobody_proved(backend: Backend) {
        let app = spawn_app(backend).await;
        let attacker = browser();
        let fields = [("email", "victim@example.com"), ("password", "attacker password 1")];
        assert_eq!(app.post_form_with(&attacker, "/signup", &fields).await.status(), StatusCode::OK);
        let link = link_in(&app.email_to("victim@example.com", 1).await.text_body, "/verify-email");
        let victim = browser();
        let res = victim.get(&link).send().await.expect("verify");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.submit_login_with(&browser(), "/login", "victim@example.com", "attacker password 1").await.status(), StatusCode::UNAUTHORIZED, "the attacker's password no longer works");
        let user = app.state.store.user_by_email("victim@example.com").await.expect("db").expect("user");
        assert!(user.email_verified && user.password_hash.is_none());
        assert_eq!(victim.get(app.url("/account")).send().await.expect("get").status(), StatusCode::OK, "the victim is signed in");
    }

    async fn verifying_in_the_signup_browser_keeps_the_password(backend: Backend) {
        let app = spawn_app(backend).await;
        let fields = [("email", "sam@example.com"), ("password", PASSWORD)];
        assert_eq!(app.post_form("/signup", &fields).await.status(), StatusCode::OK);
        let link = link_in(&app.email_to("sam@example.com", 1).await.text_body, "/verify-email");
        assert_eq!(app.get(&link).await.status(), StatusCode::SEE_OTHER);
        assert_eq!(app.submit_login_with(&browser(), "/login", "sam@example.com", PASSWORD).await.status(), StatusCode::SEE_OTHER);
    }
}

//! TOTP enrolment, the login challenge, recovery codes, remembered devices, required MFA.

use crate::both_backends;
use crate::helpers::*;
use gatehouse::auth::mfa::current_code;
use reqwest::StatusCode;

fn secret_of(html: &str) -> String {
    let start = html.find("id=\"mfa-secret\" class=\"secret\">").expect("secret shown") + "id=\"mfa-secret\" class=\"secret\">".len();
    // The key is shown in groups of four (`<span class="group">ABCD</span>…`); its text is the key.
    let inner = &html[start..start + html[start..].find("</code>").expect("end")];
    inner.replace("<span class=\"group\">", "").replace("</span>", "")
}

fn recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>").skip(1).map(|s| s[..s.find('<').expect("end")].to_string()).collect()
}

/// Logs in, enrols TOTP from the account page, logs out; returns (secret, recovery codes).
async fn enrol(app: &TestApp, email: &str) -> (String, Vec<String>) {
    assert_eq!(app.login(email, PASSWORD).await.status(), StatusCode::SEE_OTHER);
    let html = app.get("/account/mfa").await.text().await.expect("html");
    assert!(html.contains("id=\"mfa-start\""));
    let res = app.post_form("/account/mfa/start", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("id=\"mfa-qr\"") && html.contains("data:image/svg+xml;base64,"), "QR code rendered server-side");
    let secret = secret_of(&html);
    let res = app.post_form("/account/mfa/confirm", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a wrong first code is refused");
    let code = current_code(&secret, app.clock.now()).expect("code");
    let res = app.post_form("/account/mfa/confirm", &[("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes = recovery_codes(&res.text().await.expect("html"));
    assert_eq!(codes.len(), 10);
    assert!(app.get("/account/mfa").await.text().await.expect("html").contains("is <strong>on</strong>"));
    assert_eq!(app.post_form("/logout", &[]).await.status(), StatusCode::OK);
    (secret, codes)
}

both_backends! {
    async fn totp_enrolment_and_login_challenge(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        let (secret, _) = enrol(&app, "alice@example.com").await;
        assert!(app.state.store.user_mfa_enabled(&id).await.expect("db"));
        let res = app.login("alice@example.com", PASSWORD).await;
        assert_eq!(location(&res), "/login/mfa");
        assert_eq!(location(&app.get("/account").await), "/login?return_to=%2Faccount", "no session before the second factor");
        let page = app.get("/login/mfa").await.text().await.expect("html");
        assert!(page.contains("id=\"mfa-form\"") && page.contains("id=\"remember-device\"") && !page.contains("checked"));
        let res = app.post_form("/login/mfa", &[("code", "123456")]).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // The code used at enrolment cannot be replayed in the same step; the next one works.
        app.clock.advance(30);
        let code = current_code(&secret, app.clock.now()).expect("code");
        let res = app.post_form("/login/mfa", &[("code", &code)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&res), "/account");
        let sessions = app.state.store.sessions_for_user(&id, app.clock.now()).await.expect("sessions");
        assert_eq!(sessions[0].login_method, "password");
        // Replaying that code on a second login fails.
        app.post_form("/logout", &[]).await;
        app.login("alice@example.com", PASSWORD).await;
        assert_eq!(app.post_form("/login/mfa", &[("code", &code)]).await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn recovery_codes_work_once(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let (_, codes) = enrol(&app, "alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        assert_eq!(app.post_form("/login/mfa", &[("code", &codes[0].to_uppercase())]).await.status(), StatusCode::SEE_OTHER);
        app.post_form("/logout", &[]).await;
        app.login("alice@example.com", PASSWORD).await;
        assert_eq!(app.post_form("/login/mfa", &[("code", &codes[0])]).await.status(), StatusCode::UNAUTHORIZED);
    }

    async fn remembered_devices_skip_the_challenge(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let (secret, _) = enrol(&app, "alice@example.com").await;
        app.login("alice@example.com", PASSWORD).await;
        app.clock.advance(30);
        let code = current_code(&secret, app.clock.now()).expect("code");
        let res = app.post_form("/login/mfa", &[("code", &code), ("remember", "yes")]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        app.post_form("/logout", &[]).await;
        assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/account", "no challenge on a remembered device");
        // Another browser is still challenged.
        let other = browser();
        assert_eq!(location(&app.submit_login_with(&other, "/login", "alice@example.com", PASSWORD).await), "/login/mfa");
        // Changing the password forgets remembered devices, this one included.
        let res = app.post_form("/account/password", &[("current_password", PASSWORD), ("new_password", "new password 123")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        app.post_form("/logout", &[]).await;
        assert_eq!(location(&app.login("alice@example.com", "new password 123").await), "/login/mfa", "challenged again");
    }

    async fn wrong_codes_lock_the_account(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        enrol(&app, "alice@example.com").await;
        app.set_setting("lockout_threshold", "2").await;
        app.login("alice@example.com", PASSWORD).await;
        assert_eq!(app.post_form("/login/mfa", &[("code", "111111")]).await.status(), StatusCode::UNAUTHORIZED);
        let res = app.post_form("/login/mfa", &[("code", "222222")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text().await.expect("html").contains("Try again in 15 minutes"));
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    async fn a_right_password_does_not_reset_the_count_of_wrong_codes(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        enrol(&app, "alice@example.com").await;
        app.set_setting("lockout_threshold", "3").await;
        // Password, wrong code, password again, wrong code, ...: the third wrong code locks.
        for (i, want) in [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].into_iter().enumerate() {
            assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/login/mfa", "attempt {i}");
            assert_eq!(app.post_form("/login/mfa", &[("code", "000000")]).await.status(), want, "attempt {i}");
        }
        assert_eq!(app.login("alice@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }

    async fn turning_mfa_off_is_rate_limited_and_forgets_devices(backend: Backend) {
        let app = spawn_app(backend).await;
        app.create_user("alice@example.com").await;
        let (secret, _) = enrol(&app, "alice@example.com").await;
        app.set_setting("lockout_threshold", "2").await;
        // Log in on a remembered device.
        app.login("alice@example.com", PASSWORD).await;
        app.clock.advance(30);
        let code = current_code(&secret, app.clock.now()).expect("code");
        assert_eq!(app.post_form("/login/mfa", &[("code", &code), ("remember", "yes")]).await.status(), StatusCode::SEE_OTHER);
        // Wrong codes on the "turn off" form count like wrong codes at login.
        assert_eq!(app.post_form("/account/mfa/disable", &[("code", "111111")]).await.status(), StatusCode::UNAUTHORIZED);
        let res = app.post_form("/account/mfa/disable", &[("code", "222222")]).await;
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.text().await.expect("html").contains("Too many attempts"));
        // After the lockout a right code turns it off, and the remembered device is forgotten.
        app.clock.advance(16 * 60);
        let code = current_code(&secret, app.clock.now()).expect("code");
        assert_eq!(app.post_form("/account/mfa/disable", &[("code", &code)]).await.status(), StatusCode::OK);
        assert!(!app.state.store.user_mfa_enabled(&app.state.store.user_by_email("alice@example.com").await.expect("db").expect("u").id).await.expect("db"));
        app.post_form("/logout", &[]).await;
        let (secret, _) = enrol(&app, "alice@example.com").await;
        assert!(!secret.is_empty());
        assert_eq!(location(&app.login("alice@example.com", PASSWORD).await), "/login/mfa", "the old device is asked again");
    }

    async fn required_mfa_enrols_at_login(backend: Backend) {
        let app = spawn_app(backend).await;
        let id = app.create_user("alice@example.com").await;
        app.set_setting("require_mfa", "true").await;
        let res = app.login("alice@example.com", PASSWORD).await;
        assert_eq!(location(&res), "/login/mfa/enrol");
        assert_eq!(location(&app.get("/account").await), "/login?return_to=%2Faccount");
        let html = app.get("/login/mfa/enrol").await.text().await.expect("html");
        let secret = secret_of(&html);
        let code = current_code(&secret, app.clock.now()).expect("code");
        let res = app.post_form("/login/mfa/enrol", &[("code", &code)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.expect("html").contains("id=\"recovery-codes\""));
        assert_eq!(app.get("/account").await.status(), StatusCode::OK);
        assert!(app.state.store.user_mfa_enabled(&id).await.expect("db"));
        // The backend API's reset.
        assert!(app.state.store.disable_user_mfa(&id).await.expect("db"));
        assert!(!app.state.store.user_mfa_enabled(&id).await.expect("db"));
    }
}

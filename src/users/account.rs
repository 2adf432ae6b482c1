//! Self-service account flows behind the hosted pages: signup, email verification, password
//! login with lockout and rate limits, forgotten passwords, profile, email and password
//! changes. Every flow that answers "did we send you an email?" answers the same way
//! whether or not the account exists.

use super::{CreateUser, LoginError, UserError, authenticate, normalize_email};
use crate::admin_settings::{AdminSettings, SignupPolicy};
use crate::auth::abuse::{self, AbuseError, Action};
use crate::auth::account_tokens::{self, CHANGE_EMAIL, RESET_PASSWORD, VERIFY_EMAIL};
use crate::auth::audit;
use crate::email::{self, EmailError};
use crate::state::AppState;
use crate::store::{StoreError, UserRow};

const VERIFY_TTL: i64 = 24 * 3600;
const RESET_TTL: i64 = 3600;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("sign-ups are by invitation only")]
    SignupClosed,
    #[error("sign-ups are limited to some email domains")]
    DomainNotAllowed,
    #[error("{0}")]
    Invalid(String),
    #[error("this link has expired or was already used")]
    LinkInvalid,
    #[error("the current password is not correct")]
    WrongPassword,
    #[error("that email address cannot be used")]
    EmailUnavailable,
    #[error("that username is already taken")]
    UsernameTaken,
    #[error(transparent)]
    RateLimited(AbuseError),
    #[error(transparent)]
    User(UserError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UserError> for AccountError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Invalid(m) => AccountError::Invalid(m),
            UserError::WeakPassword(w) => AccountError::Invalid(w.to_string()),
            UserError::UsernameTaken => AccountError::UsernameTaken,
            UserError::EmailTaken => AccountError::EmailUnavailable,
            UserError::Store(s) => AccountError::Store(s),
            other @ UserError::Password(_) => AccountError::User(other),
        }
    }
}

fn rate(e: AbuseError) -> AccountError {
    match e {
        AbuseError::Store(s) => AccountError::Store(s),
        limited @ AbuseError::RateLimited { .. } => AccountError::RateLimited(limited),
    }
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?{}", state.settings.issuer, serde_urlencoded::to_string([("token", token)]).unwrap_or_default())
}

/// Runs mail work off the request so a response takes the same time whether or not an email
/// goes out (no enumeration by timing). Failures are logged; the outbox retries delivery.
pub fn in_background<F>(what: &'static str, work: F)
where
    F: std::future::Future<Output = Result<(), AccountError>> + Send + 'static,
{
    tokio::spawn(async move {
        if let Err(e) = work.await {
            tracing::error!(error = %e, what, "background account work failed");
        }
    });
}

/// Mails a confirmation link. Earlier links stay valid until one of them is used (then all
/// are retired), so two sends racing each other (signup and a resend) never leave the
/// newest email holding a dead link. Each link names the address it was sent to.
pub async fn send_verification(state: &AppState, user: &UserRow) -> Result<(), AccountError> {
    send_bound_verification(state, user, None).await
}

/// The same, bound to the browser that signed up (`browser`: a random per-browser value, the
/// CSRF cookie): following the link in that browser proves the signer and the mailbox owner
/// are one person, so the password chosen at signup stays (see [`verify_email`]).
pub async fn send_bound_verification(state: &AppState, user: &UserRow, browser: Option<&str>) -> Result<(), AccountError> {
    let look = crate::admin_settings::load(&state.store).await?;
    let payload = serde_json::json!({ "email": user.email, "browser": browser.map(crate::crypto::sha256_hex) });
    let token = account_tokens::issue(state, &user.id, VERIFY_EMAIL, VERIFY_TTL, &payload).await?;
    let content = email::action_email(
        "Confirm your email address",
        &[&format!("Welcome to {}. Confirm that {} is your email address to finish signing up.", look.product_name, user.email)],
        "Confirm email address",
        &link(state, "/verify-email", &token.0),
        "This link expires in 24 hours. If you did not sign up, ignore this email.",
    );
    email::enqueue(state, &user.email, &content).await?;
    Ok(())
}

pub struct Signup {
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The query string of the signup page the user came through.
    pub signup_params: super::signup_params::SignupParams,
    /// A random per-browser value (the CSRF cookie) the confirmation link is bound to.
    pub browser: Option<String>,
}

impl std::fmt::Debug for Signup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signup").field("email", &self.email).finish_non_exhaustive()
    }
}

/// Creates an unverified account and mails a confirmation link. For an address that already
/// has an account, mails that account a note instead; the caller sees the same result.
pub async fn signup(state: &AppState, look: &AdminSettings, input: Signup, ip: Option<&str>) -> Result<(), AccountError> {
    if look.signup_policy == SignupPolicy::InviteOnly {
        return Err(AccountError::SignupClosed);
    }
    abuse::check_rate(state, look, Action::Signup, ip, Some(&input.email)).await.map_err(rate)?;
    let email = normalize_email(&input.email)?;
    if !look.signup_domain_allowed(&email) {
        return Err(AccountError::DomainNotAllowed);
    }
    let personal =
        super::Personal { email: &email, first_name: input.first_name.as_deref(), last_name: input.last_name.as_deref(), username: None };
    super::check_new_password(&state.store, &input.password, &personal).await?;
    let create = CreateUser {
        email: email.clone(),
        password: Some(input.password),
        first_name: input.first_name,
        last_name: input.last_name,
        signup_params: input.signup_params,
        ..CreateUser::default()
    };
    match super::create(&state.store, &state.hasher, &state.clock, create).await {
        Ok(id) => {
            let state = state.clone();
            let browser = input.browser;
            in_background("signup verification email", async move {
                let user = state.store.user_by_id(&id).await?.ok_or(AccountError::LinkInvalid)?;
                send_bound_verification(&state, &user, browser.as_deref()).await
            });
            Ok(())
        }
        Err(UserError::EmailTaken) => {
            let (state, product) = (state.clone(), look.product_name.clone());
            in_background("signup existing-account email", async move {
                let content = email::action_email(
                    "You already have an account",
                    &[&format!("Someone tried to sign up for {product} with this address, which already has an account.")],
                    "Sign in",
                    &format!("{}/login", state.settings.issuer),
                    "Forgot your password? Use \"Forgot password\" on the sign-in page. If this was not you, ignore this email.",
                );
                email::enqueue(&state, &email, &content).await.map_err(AccountError::from)
            });
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Uses a verification link; the caller then logs the user in (`email_confirmation_link`).
///
/// Following the link proves the address, not the password: a password chosen before the
/// address was ever proven may be an attacker's (a signup in the owner's name, waiting for
/// the owner to confirm). As with magic links it is dropped, with every session and grant it
/// opened, unless the link is followed in the browser that signed up (`browser`, the value
/// the link was bound to), which shows the signer holds the mailbox. The owner can set a
/// password afterwards from the account page.
pub async fn verify_email(state: &AppState, token: &str, browser: Option<&str>) -> Result<UserRow, AccountError> {
    let row = account_tokens::consume(state, token, VERIFY_EMAIL).await?.ok_or(AccountError::LinkInvalid)?;
    let user = state.store.user_by_id(&row.user_id).await?.filter(|u| u.enabled).ok_or(AccountError::LinkInvalid)?;
    // A link confirms only the address it was mailed to, not one the account moved to since.
    if row.payload_str("email").is_some_and(|sent_to| sent_to != user.email) {
        return Err(AccountError::LinkInvalid);
    }
    let now = state.clock.now();
    let same_browser = match (row.payload_str("browser"), browser) {
        (Some(bound), Some(b)) => crate::crypto::constant_time_eq(bound.as_bytes(), crate::crypto::sha256_hex(b).as_bytes()),
        _ => false,
    };
    if !user.email_verified && user.password_hash.is_some() && !same_browser {
        state.store.set_user_password(&user.id, None, false, now).await?;
        super::credentials::password_changed(state, &user, None).await?;
        let why = serde_json::json!({ "why": "address proven in another browser than the signup's" });
        audit::record_quietly(&state.store, &state.clock, "system", "password.cleared", &user.id, &why).await;
    }
    state.store.set_user_email_verified(&user.id, now).await?;
    state.store.retire_account_tokens(&user.id, VERIFY_EMAIL, now).await?;
    state.store.user_by_id(&user.id).await?.ok_or(AccountError::LinkInvalid)
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordLoginError {
    #[error(transparent)]
    Login(#[from] LoginError),
    #[error("locked until {0}")]
    Locked(i64),
    #[error(transparent)]
    RateLimited(AbuseError),
    /// Right password, unconfirmed address: a new link was sent.
    #[error("the email address is not confirmed yet")]
    Unverified,
}

impl From<StoreError> for PasswordLoginError {
    fn from(e: StoreError) -> Self {
        PasswordLoginError::Login(LoginError::Store(e))
    }
}

/// Password login with rate limits and lockout (keyed by address, existing or not, and by
/// client: `device` is the browser's device cookie, see `abuse::identify`).
pub async fn password_login(
    state: &AppState,
    look: &AdminSettings,
    email: &str,
    password: &str,
    ip: Option<&str>,
    device: Option<&str>,
) -> Result<UserRow, PasswordLoginError> {
    abuse::check_rate(state, look, Action::Login, ip, Some(email)).await.map_err(|e| match e {
        AbuseError::Store(s) => s.into(),
        limited => PasswordLoginError::RateLimited(limited),
    })?;
    let key = normalize_email(email).ok();
    let client = match &key {
        Some(k) => Some(abuse::identify(state, k, ip, device).await?),
        None => None,
    };
    if let (Some(k), Some(c)) = (&key, &client)
        && let Some(until) = abuse::locked_until(state, k, c).await?
    {
        return Err(PasswordLoginError::Locked(until));
    }
    match authenticate(&state.store, &state.hasher, email, password).await {
        Ok(user) => {
            // The failure count is cleared only when a whole login succeeds (login::after_first_factor
            // or the MFA challenge): a right password alone must not reset the count of wrong codes.
            if !user.email_verified {
                let (state, u) = (state.clone(), user.clone());
                in_background("verification resend", async move { send_verification(&state, &u).await });
                return Err(PasswordLoginError::Unverified);
            }
            Ok(user)
        }
        Err(LoginError::BadCredentials) => {
            // The subject is the address typed (normalised when it parses), never the password.
            let subject = key.as_deref().unwrap_or("(not an email address)");
            let event = crate::auth::audit::Event { actor: "anonymous", action: crate::auth::audit::LOGIN_FAILED, subject, ip };
            crate::auth::audit::record_event_quietly(&state.store, &state.clock, event, &serde_json::json!({ "method": "password" })).await;
            if let (Some(k), Some(c)) = (&key, &client)
                && let Some(until) = abuse::record_failure(state, look, k, c).await?
            {
                return Err(PasswordLoginError::Locked(until));
            }
            Err(LoginError::BadCredentials.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// "Forgot password": mails a reset link if the account exists. Same answer either way.
pub async fn forgot_password(state: &AppState, look: &AdminSettings, email: &str, ip: Option<&str>) -> Result<(), AccountError> {
    abuse::check_rate(state, look, Action::Reset, ip, Some(email)).await.map_err(rate)?;
    let Ok(email) = normalize_email(email) else { return Ok(()) };
    let (state, product) = (state.clone(), look.product_name.clone());
    in_background("password reset email", async move {
        let Some(user) = state.store.user_by_email(&email).await?.filter(|u| u.enabled) else { return Ok(()) };
        send_reset_link(&state, &user, &product).await
    });
    Ok(())
}

/// Mails `user` a single-use link to choose a new password; earlier reset links stop working.
/// Also the admin dashboard's and CLI's "send a password reset email".
pub async fn send_reset_link(state: &AppState, user: &UserRow, product: &str) -> Result<(), AccountError> {
    state.store.retire_account_tokens(&user.id, RESET_PASSWORD, state.clock.now()).await?;
    let token = account_tokens::issue(state, &user.id, RESET_PASSWORD, RESET_TTL, &serde_json::json!({})).await?;
    let content = email::action_email(
        "Reset your password",
        &[&format!("Someone asked to reset the password of your {product} account. Choose a new password with this link.")],
        "Choose a new password",
        &link(state, "/reset-password", &token.0),
        "The link works once and expires in 1 hour. If you did not ask for it, ignore this email; your password stays the same.",
    );
    email::enqueue(state, &user.email, &content).await?;
    Ok(())
}

/// Whether a reset link can still be used (the GET shows a form without using it).
pub async fn reset_link_valid(state: &AppState, token: &str) -> Result<bool, AccountError> {
    Ok(account_tokens::peek(state, token, RESET_PASSWORD).await?.is_some())
}

/// Sets a new password from a reset link; ends every session and OIDC grant, retires every
/// other reset link, magic link, remembered MFA device and pending email change (a reset
/// often follows a compromise), and clears any lockout. A disabled account cannot be reset.
pub async fn reset_password(state: &AppState, token: &str, new_password: &str) -> Result<UserRow, AccountError> {
    // The policy needs the account (its email and name) before the link is used up.
    let peeked = account_tokens::peek(state, token, RESET_PASSWORD).await?.ok_or(AccountError::LinkInvalid)?;
    let owner = state.store.user_by_id(&peeked.user_id).await?.ok_or(AccountError::LinkInvalid)?;
    super::check_new_password(&state.store, new_password, &super::Personal::of(&owner)).await?;
    let hash = state.hasher.hash(new_password).await.map_err(|e| AccountError::User(e.into()))?;
    let row = account_tokens::consume(state, token, RESET_PASSWORD).await?.ok_or(AccountError::LinkInvalid)?;
    let user = state.store.user_by_id(&row.user_id).await?.filter(|u| u.enabled).ok_or(AccountError::LinkInvalid)?;
    let now = state.clock.now();
    state.store.set_user_password_hash(&user.id, &hash, now).await?;
    state.store.set_user_email_verified(&user.id, now).await?;
    super::credentials::password_changed(state, &user, None).await?;
    state.store.clear_all_login_failures(&user.email, now).await?;
    audit::record_quietly(&state.store, &state.clock, &user.id, "password.reset", &user.id, &serde_json::json!({})).await;
    Ok(user)
}

pub struct ProfileUpdate {
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub picture_url: String,
}

fn field<'a>(name: &str, value: &'a str, max: usize) -> Result<Option<&'a str>, AccountError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(AccountError::Invalid(format!("{name} must be at most {max} characters")));
    }
    Ok(Some(v).filter(|v| !v.is_empty()))
}

pub async fn update_profile(state: &AppState, user_id: &str, p: &ProfileUpdate) -> Result<(), AccountError> {
    let first = field("the first name", &p.first_name, 100)?;
    let last = field("the last name", &p.last_name, 100)?;
    let username = field("the username", &p.username, 64)?;
    if username.is_some_and(|u| u.chars().any(char::is_whitespace)) {
        return Err(AccountError::Invalid("the username must not contain spaces".into()));
    }
    let picture = field("the picture URL", &p.picture_url, 2000)?;
    if picture.is_some_and(|u| !url::Url::parse(u).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())) {
        return Err(AccountError::Invalid("the picture URL must start with https://".into()));
    }
    state
        .store
        .update_user_profile(user_id, first, last, username, picture, state.clock.now())
        .await
        .map_err(|e| AccountError::from(UserError::from(e)))
}

async fn check_current_password(state: &AppState, user: &UserRow, password: &str) -> Result<(), AccountError> {
    let ok = state.hasher.verify(password, user.password_hash.as_deref()).await.map_err(|e| AccountError::User(e.into()))?;
    // Accounts created by magic link have no password; their session is the proof.
    if ok || user.password_hash.is_none() { Ok(()) } else { Err(AccountError::WrongPassword) }
}

/// How recent a sign-in must be to move a passwordless account to another address.
pub const RECENT_LOGIN_SECONDS: i64 = 10 * 60;

/// Mails a confirmation link to the new address; the change happens when it is followed.
/// `auth_time` is when the requesting session signed in: an account without a password has
/// nothing to re-enter, so it must have signed in recently (a stolen old session cannot move
/// the account to an attacker's address).
pub async fn request_email_change(
    state: &AppState,
    user: &UserRow,
    new_email: &str,
    password: &str,
    auth_time: i64,
) -> Result<String, AccountError> {
    let look = crate::admin_settings::load(&state.store).await?;
    abuse::check_rate(state, &look, Action::Verify, None, Some(&user.email)).await.map_err(rate)?;
    if user.password_hash.is_none() && state.clock.now() - auth_time > RECENT_LOGIN_SECONDS {
        return Err(AccountError::Invalid(
            "for your security, sign out and sign in again (with a new link) before changing your email address".into(),
        ));
    }
    check_current_password(state, user, password).await?;
    let email = normalize_email(new_email)?;
    if email == user.email {
        return Err(AccountError::Invalid("that is already your email address".into()));
    }
    send_email_change_link(state, &look, user, &email).await?;
    Ok(email)
}

/// Mails `email` the link that moves `user` to it (`email` already normalised); the change
/// happens in [`confirm_email_change`]. Earlier change links are retired.
pub async fn send_email_change_link(state: &AppState, look: &AdminSettings, user: &UserRow, email: &str) -> Result<(), AccountError> {
    state.store.retire_account_tokens(&user.id, CHANGE_EMAIL, state.clock.now()).await?;
    let token = account_tokens::issue(state, &user.id, CHANGE_EMAIL, VERIFY_TTL, &serde_json::json!({ "email": email })).await?;
    let content = email::action_email(
        "Confirm your new email address",
        &[&format!("Confirm that {email} should become the email address of your {} account.", look.product_name)],
        "Confirm new address",
        &link(state, "/account/email/confirm", &token.0),
        "This link expires in 24 hours. If you did not ask for this, ignore this email.",
    );
    email::enqueue(state, email, &content).await?;
    Ok(())
}

/// Applies a confirmed email change and tells the old address, so that a hijacked session
/// moving the account to an attacker's address does not go unnoticed.
pub async fn confirm_email_change(state: &AppState, token: &str) -> Result<UserRow, AccountError> {
    let row = account_tokens::consume(state, token, CHANGE_EMAIL).await?.ok_or(AccountError::LinkInvalid)?;
    let email = row.payload_str("email").ok_or(AccountError::LinkInvalid)?;
    let old = state.store.user_by_id(&row.user_id).await?.ok_or(AccountError::LinkInvalid)?.email;
    state.store.set_user_email(&row.user_id, &email, state.clock.now()).await.map_err(|e| match e {
        StoreError::Conflict(_) => AccountError::EmailUnavailable,
        other => AccountError::Store(other),
    })?;
    audit::record_quietly(&state.store, &state.clock, &row.user_id, "email.changed", &row.user_id, &serde_json::json!({ "email": email }))
        .await;
    let look = crate::admin_settings::load(&state.store).await?;
    let content = email::action_email(
        "Your email address was changed",
        &[&format!("The email address of your {} account was changed from {old} to {email}.", look.product_name)],
        "Reset your password",
        &format!("{}/forgot-password", state.settings.issuer),
        "If you made this change, there is nothing to do. If not, reset your password and contact your administrator.",
    );
    // The change itself has happened; a notice that cannot be queued is logged, not reported.
    if let Err(e) = email::enqueue(state, &old, &content).await {
        tracing::error!(error = %e, "could not queue the email-change notice");
    }
    state.store.user_by_id(&row.user_id).await?.ok_or(AccountError::LinkInvalid)
}

/// Changes the password, ends every other session, revokes the user's OIDC grants, forgets
/// the devices remembered for MFA and retires pending email changes, reset and magic links.
pub async fn change_password(state: &AppState, user: &UserRow, current: &str, new: &str, keep_session: &str) -> Result<(), AccountError> {
    check_current_password(state, user, current).await?;
    super::check_new_password(&state.store, new, &super::Personal::of(user)).await?;
    let hash = state.hasher.hash(new).await.map_err(|e| AccountError::User(e.into()))?;
    let now = state.clock.now();
    state.store.set_user_password_hash(&user.id, &hash, now).await?;
    super::credentials::password_changed(state, user, Some(keep_session)).await?;
    audit::record_quietly(&state.store, &state.clock, &user.id, "password.changed", &user.id, &serde_json::json!({})).await;
    Ok(())
}

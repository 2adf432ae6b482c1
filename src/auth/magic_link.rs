//! Magic links: minted by the backend API (`create`, PropelAuth's `create_magic_link`
//! semantics, propelauth-wire.md §7.3) or requested on the login page, and redeemed on the
//! hosted `/magic-link` page. Only the SHA-256 of the link's token is stored.

use crate::crypto;
use crate::state::AppState;
use crate::store::{MagicLinkRow, StoreError, UserRow};
use crate::users::signup_params::SignupParams;
use crate::users::{self, CreateUser, UserError};

pub const PATH: &str = "/magic-link";
/// PropelAuth's default lifetime for API-minted links.
pub const DEFAULT_HOURS: i64 = 24;
pub const MAX_HOURS: i64 = 24 * 30;

#[derive(Debug, thiserror::Error)]
pub enum MagicLinkError {
    #[error("`{0}` is not a valid email address")]
    InvalidEmail(String),
    #[error("expires_in_hours must be between 1 and {MAX_HOURS}")]
    InvalidExpiry,
    #[error("redirect_to_url must be an http(s) URL or a path")]
    InvalidRedirect,
    #[error("no user has this email and create_new_user_if_one_doesnt_exist is false")]
    UserNotFound,
    /// Expired, already used, or never issued: one answer for all three.
    #[error("this link has expired or was already used")]
    Invalid,
    #[error("this account is disabled")]
    Disabled,
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A magic link to mint. `None` fields take PropelAuth's defaults: 24 hours, create the
/// user if missing, single use, no interstitial.
#[derive(Clone, Debug, Default)]
pub struct NewLink {
    pub email: String,
    pub redirect_to_url: Option<String>,
    pub expires_in_hours: Option<i64>,
    pub create_new_user_if_one_doesnt_exist: Option<bool>,
    pub expire_after_first_use: Option<bool>,
    pub requires_interstitial: Option<bool>,
    /// Recorded on the user the link creates (ignored when the user already exists).
    pub signup_params: SignupParams,
}

/// What `mint` stores, defaults applied.
struct LinkSpec<'a> {
    email: &'a str,
    redirect: Option<&'a str>,
    ttl: i64,
    create_user: bool,
    single_use: bool,
    interstitial: bool,
    signup_params: Option<&'a SignupParams>,
}

/// Creates a magic link and returns its URL.
pub async fn create(state: &AppState, link: NewLink) -> Result<String, MagicLinkError> {
    let email = users::normalize_email(&link.email).map_err(|_| MagicLinkError::InvalidEmail(link.email.trim().to_string()))?;
    let hours = link.expires_in_hours.unwrap_or(DEFAULT_HOURS);
    if !(1..=MAX_HOURS).contains(&hours) {
        return Err(MagicLinkError::InvalidExpiry);
    }
    let redirect = link.redirect_to_url.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = redirect {
        let is_path = r.starts_with('/') && !r.starts_with("//");
        let is_url = url::Url::parse(r).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !(is_path || is_url) {
            return Err(MagicLinkError::InvalidRedirect);
        }
    }
    let create_user = link.create_new_user_if_one_doesnt_exist.unwrap_or(true);
    if !create_user && state.store.user_by_email(&email).await?.is_none() {
        return Err(MagicLinkError::UserNotFound);
    }
    let spec = LinkSpec {
        email: &email,
        redirect,
        ttl: hours * 3600,
        create_user,
        single_use: link.expire_after_first_use.unwrap_or(true),
        interstitial: link.requires_interstitial.unwrap_or(false),
        signup_params: Some(&link.signup_params).filter(|p| !p.is_empty()),
    };
    mint(state, spec).await
}

async fn mint(state: &AppState, spec: LinkSpec<'_>) -> Result<String, MagicLinkError> {
    let secret = crypto::random_secret();
    let now = state.clock.now();
    state
        .store
        .insert_magic_link(&MagicLinkRow {
            token_hash: crypto::sha256_hex(&secret),
            email: spec.email.to_string(),
            redirect_to: spec.redirect.map(str::to_string),
            create_user: spec.create_user,
            single_use: spec.single_use,
            interstitial: spec.interstitial,
            signup_query_parameters: spec.signup_params.map(SignupParams::to_json),
            created_at: now,
            expires_at: now + spec.ttl,
            used_at: None,
        })
        .await?;
    Ok(format!("{}{PATH}?token={secret}", state.settings.issuer))
}

/// The login page's "email me a link": sends one only when an enabled account exists, and
/// says nothing about whether it did.
pub async fn request_from_login(state: &AppState, email: &str, continue_to: Option<&str>) -> Result<(), MagicLinkError> {
    let Ok(email) = users::normalize_email(email) else { return Ok(()) };
    let Some(user) = state.store.user_by_email(&email).await?.filter(|u| u.enabled) else { return Ok(()) };
    let look = crate::admin_settings::load(&state.store).await?;
    let spec = LinkSpec {
        email: &user.email,
        redirect: continue_to,
        ttl: look.magic_link_hours * 3600,
        create_user: false,
        single_use: true,
        interstitial: false,
        signup_params: None,
    };
    let url = mint(state, spec).await?;
    let hours = look.magic_link_hours;
    let content = crate::email::action_email(
        "Your sign-in link",
        &[&format!("Use this link to sign in to {}. It works once and expires in {hours} hour(s).", look.product_name)],
        "Sign in",
        &url,
        "If you did not ask for this link, you can ignore this email.",
    );
    crate::email::enqueue(state, &user.email, &content).await.map_err(|e| match e {
        crate::email::EmailError::Store(s) => MagicLinkError::Store(s),
        other => MagicLinkError::Store(StoreError::Setup(other.to_string())),
    })
}

/// The link's row when it can still be used (for the interstitial page; does not use it).
pub async fn peek(state: &AppState, secret: &str) -> Result<Option<MagicLinkRow>, StoreError> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    state.store.live_magic_link(&crypto::sha256_hex(secret), state.clock.now()).await
}

/// Uses a link: the user it signs in (created if the link allows) and where to go next.
pub async fn redeem(state: &AppState, secret: &str) -> Result<(UserRow, Option<String>), MagicLinkError> {
    let link = peek(state, secret).await?.ok_or(MagicLinkError::Invalid)?;
    if link.single_use && !state.store.use_magic_link(&link.token_hash, state.clock.now()).await? {
        return Err(MagicLinkError::Invalid);
    }
    let user = match state.store.user_by_email(&link.email).await? {
        Some(u) => u,
        None if link.create_user => {
            let signup_params = SignupParams::parse_stored(link.signup_query_parameters.as_deref());
            let input = CreateUser { email: link.email.clone(), email_verified: true, signup_params, ..CreateUser::default() };
            let id = users::create(&state.store, &state.hasher, &state.clock, input).await?;
            state.store.user_by_id(&id).await?.ok_or(MagicLinkError::Invalid)?
        }
        None => return Err(MagicLinkError::Invalid),
    };
    if !user.enabled {
        return Err(MagicLinkError::Disabled);
    }
    if !user.email_verified {
        // Following the link proves the address. A password set before the address was ever
        // proven may be someone else's (a signup made in the owner's name to pre-hijack the
        // account): it goes, with any session it opened; the owner can set one afterwards.
        let now = state.clock.now();
        if user.password_hash.is_some() {
            state.store.set_user_password(&user.id, None, false, now).await?;
            state.store.delete_user_sessions(&user.id).await?;
            super::audit::record_quietly(
                &state.store,
                &state.clock,
                "system",
                "password.cleared",
                &user.id,
                &serde_json::json!({ "why": "unverified account claimed by magic link" }),
            )
            .await;
        }
        state.store.set_user_email_verified(&user.id, now).await?;
    }
    Ok((user, link.redirect_to))
}

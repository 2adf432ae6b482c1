//! `create_magic_link` (§7.3), on top of the hosted magic-link login (`auth::magic_link`).

use super::BackendError;
use crate::auth::magic_link::{self, MagicLinkError};
use crate::state::AppState;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct CreateMagicLinkRequest {
    pub email: Option<String>,
    pub redirect_to_url: Option<String>,
    pub expires_in_hours: Option<i64>,
    pub create_new_user_if_one_doesnt_exist: Option<bool>,
    /// Accepted for compatibility; Gatehouse does not record signup query parameters for links.
    pub user_signup_query_parameters: Option<Value>,
    pub expire_after_first_use: Option<bool>,
    pub requires_interstitial: Option<bool>,
}

fn link_error(e: MagicLinkError) -> BackendError {
    let msg = e.to_string();
    match e {
        MagicLinkError::InvalidEmail(_) | MagicLinkError::UserNotFound => BackendError::field("email", msg),
        MagicLinkError::InvalidExpiry => BackendError::field("expires_in_hours", msg),
        MagicLinkError::InvalidRedirect => BackendError::field("redirect_to_url", msg),
        MagicLinkError::Invalid | MagicLinkError::Disabled => BackendError::field("email", msg),
        MagicLinkError::User(u) => BackendError::field("email", u.to_string()),
        MagicLinkError::Store(s) => BackendError::Store(s),
    }
}

pub async fn create(state: &AppState, r: CreateMagicLinkRequest) -> Result<Value, BackendError> {
    let email = r.email.ok_or_else(|| BackendError::field("email", "required"))?;
    let url = magic_link::create(
        state,
        &email,
        r.redirect_to_url.as_deref(),
        r.expires_in_hours,
        r.create_new_user_if_one_doesnt_exist,
        r.expire_after_first_use,
        r.requires_interstitial,
    )
    .await
    .map_err(link_error)?;
    Ok(json!({ "url": url }))
}

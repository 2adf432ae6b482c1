//! `create_magic_link` (§7.3), on top of the hosted magic-link login (`auth::magic_link`).

use super::BackendError;
use crate::auth::magic_link::{self, MagicLinkError};
use crate::state::AppState;
use crate::users::signup_params::SignupParams;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub struct CreateMagicLinkRequest {
    pub email: Option<String>,
    pub redirect_to_url: Option<String>,
    #[serde(default, deserialize_with = "super::wire::whole")]
    pub expires_in_hours: Option<i64>,
    pub create_new_user_if_one_doesnt_exist: Option<bool>,
    /// Recorded on the user the link creates: an object of strings.
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
    let signup_params = match r.user_signup_query_parameters.as_ref().filter(|v| !v.is_null()) {
        Some(v) => SignupParams::from_json(v).map_err(|m| BackendError::field("user_signup_query_parameters", m))?,
        None => SignupParams::default(),
    };
    let link = magic_link::NewLink {
        email,
        redirect_to_url: r.redirect_to_url,
        expires_in_hours: r.expires_in_hours,
        create_new_user_if_one_doesnt_exist: r.create_new_user_if_one_doesnt_exist,
        expire_after_first_use: r.expire_after_first_use,
        requires_interstitial: r.requires_interstitial,
        signup_params,
    };
    let url = magic_link::create(state, link).await.map_err(link_error)?;
    Ok(json!({ "url": url }))
}

//! RP-Initiated Logout 1.0: validates `id_token_hint`, `client_id` and
//! `post_logout_redirect_uri` and says where to go once the session is ended.

use super::error::OAuthError;
use crate::state::AppState;
use serde_json::Value;

#[derive(Debug)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards, with `state` appended; `None` shows our page.
    pub redirect: Option<String>,
    /// True when a valid `id_token_hint` named the user: log out without asking.
    pub confirmed_by_hint: bool,
    /// The user the hint names; a session of another user is left alone.
    pub hint_sub: Option<String>,
}

use super::param as get;

pub async fn plan(state: &AppState, params: &[(String, String)]) -> Result<LogoutPlan, OAuthError> {
    let mut hint_aud: Vec<String> = Vec::new();
    let mut hint_sub = None;
    if let Some(hint) = get(params, "id_token_hint") {
        // Expired hints are fine (Streamlit sends old ones); signature, issuer and kind are not negotiable.
        let claims = super::tokens::verify_id_token_hint(state, hint)
            .ok_or_else(|| OAuthError::invalid_request("id_token_hint is not a valid ID token from this issuer"))?;
        hint_aud = match claims.get("aud") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        };
        hint_sub = claims.get("sub").and_then(Value::as_str).map(str::to_string);
    }
    let client_id = match (get(params, "client_id"), hint_aud.first()) {
        (Some(id), _) if !hint_aud.is_empty() && !hint_aud.iter().any(|a| a == id) => {
            return Err(OAuthError::invalid_request("client_id does not match the id_token_hint audience"));
        }
        (Some(id), _) => Some(id.to_string()),
        (None, Some(aud)) => Some(aud.clone()),
        (None, None) => None,
    };
    let redirect = match get(params, "post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let client_id = client_id
                .as_deref()
                .ok_or_else(|| OAuthError::invalid_request("post_logout_redirect_uri needs id_token_hint or client_id"))?;
            let client =
                state.store.client_for_request(client_id).await?.ok_or_else(|| OAuthError::invalid_request("unknown client_id"))?;
            if !client.accepts_post_logout_uri(uri) {
                return Err(OAuthError::invalid_request("post_logout_redirect_uri is not registered for this client"));
            }
            let mut url = uri.to_string();
            if let Some(s) = get(params, "state") {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&serde_urlencoded::to_string([("state", s)]).unwrap_or_default());
            }
            Some(url)
        }
    };
    Ok(LogoutPlan { redirect, confirmed_by_hint: hint_sub.is_some(), hint_sub })
}

//! The dashboard's Settings and Look & Feel forms: checked and saved through
//! `admin_settings::save` (one audit event per save), with the rules only a person at the
//! dashboard can break (requiring MFA for admins without having it yourself).

use crate::admin_settings::{self, SaveError};
use crate::auth::audit::Event;
use crate::state::AppState;

/// Saves the security settings (`admin_settings::SECURITY_KEYS`), recorded as
/// `settings.updated`; the new session and token lifetimes apply on this replica at once.
pub async fn save_security(state: &AppState, by: Event<'_>, values: &[(&str, String)]) -> Result<Vec<(String, String)>, SaveError> {
    let wants_admin_mfa =
        values.iter().any(|(k, v)| *k == "require_mfa_for_admins" && admin_settings::validate(k, v).is_ok_and(|v| v == "true"));
    if wants_admin_mfa && !state.store.user_mfa_enabled(by.actor).await? {
        return Err(SaveError::Fields(vec![(
            "require_mfa_for_admins".into(),
            "set up two-factor authentication on your own account first, or this would lock you out of the dashboard".into(),
        )]));
    }
    let changed =
        admin_settings::save(&state.store, &state.clock, Event { action: "settings.updated", subject: "settings", ..by }, values).await?;
    state.lifetimes.apply(&admin_settings::load(&state.store).await?);
    Ok(changed)
}

/// Saves the Look & Feel (`admin_settings::LOOK_KEYS`), recorded as `look_and_feel.updated`.
pub async fn save_look(state: &AppState, by: Event<'_>, values: &[(&str, String)]) -> Result<Vec<(String, String)>, SaveError> {
    admin_settings::save(&state.store, &state.clock, Event { action: "look_and_feel.updated", subject: "look_and_feel", ..by }, values)
        .await
}

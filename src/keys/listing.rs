//! The signing keys as an operator sees them (`gatehouse keys list`, `/admin/keys`), and the
//! audited rotation both of them use.

use super::{KeyError, KeyManager};
use crate::auth::audit::{self, Event};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, signs after the publish delay.
    Next,
    /// Signs every new token.
    Current,
    /// No longer signs; published until the tokens it signed have expired.
    Retiring,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    /// When a retiring key leaves the JWKS.
    pub published_until: Option<i64>,
    pub state: KeyState,
}

impl KeyManager {
    /// Every published key, newest first (never the private half).
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let now = self.clock.now();
        let retention = self.retention();
        let current = self.current_kid();
        let rows = self.store.publishable_signing_keys(now - retention).await?;
        Ok(rows
            .into_iter()
            .map(|k| {
                let state = match (k.retired_at, current.as_deref() == Some(k.kid.as_str())) {
                    (Some(_), _) => KeyState::Retiring,
                    (None, true) => KeyState::Current,
                    (None, false) if k.activates_at > now => KeyState::Next,
                    // Allowed to sign; becomes current at the next reload.
                    (None, false) => KeyState::Next,
                };
                KeyInfo {
                    published_until: k.retired_at.map(|r| r + retention),
                    kid: k.kid,
                    alg: k.alg,
                    created_at: k.created_at,
                    activates_at: k.activates_at,
                    retired_at: k.retired_at,
                    state,
                }
            })
            .collect())
    }

    /// `rotate`, recorded in the audit log as `signing_key.rotated` by `by`'s actor (its action
    /// and subject are set here).
    pub async fn rotate_recorded(&self, by: Event<'_>) -> Result<String, KeyError> {
        let kid = self.rotate().await?;
        let activates_in = self.publish_delay;
        audit::record_event(
            &self.store,
            &self.clock,
            Event { action: "signing_key.rotated", subject: &kid, ..by },
            &serde_json::json!({ "signs_after_seconds": activates_in }),
        )
        .await?;
        Ok(kid)
    }
}

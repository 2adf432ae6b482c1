//! Everything a request handler or service needs, cheap to clone.

use crate::auth::password::PasswordHasher;
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::email::Mailer;
use crate::keys::KeyManager;
use crate::settings::Settings;
use crate::store::Store;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keys: KeyManager,
    pub hasher: PasswordHasher,
    pub clock: Clock,
    pub master: MasterKey,
    pub mailer: Mailer,
    /// The discovery document, rendered once at start-up.
    pub discovery_json: Arc<str>,
    /// Session and token lifetimes in force (environment defaults, admin overrides).
    pub lifetimes: crate::lifetimes::LiveLifetimes,
}

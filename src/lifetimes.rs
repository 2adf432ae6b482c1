//! Session and token lifetimes. The environment (`GATEHOUSE_SESSION_TTL`, `..._ACCESS_TOKEN_TTL`,
//! `..._ID_TOKEN_TTL`, `..._REFRESH_TOKEN_TTL`) gives the defaults; an admin may override them
//! in the database (`admin_settings`). They are read on every token and every sign-in, so they
//! are kept in memory: a change saved on this replica applies at once, other replicas pick it
//! up with their next refresh (every `GATEHOUSE_KEY_REFRESH_SECONDS`).

use crate::admin_settings::AdminSettings;
use crate::settings::Settings;
use crate::store::Store;
use std::sync::{Arc, RwLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    pub session: i64,
    pub access_token: i64,
    pub id_token: i64,
    pub refresh_token: i64,
}

impl Lifetimes {
    /// The environment's values (the defaults).
    pub fn from_env(s: &Settings) -> Self {
        Self {
            session: s.session_ttl,
            access_token: s.tokens.access_token_ttl,
            id_token: s.tokens.id_token_ttl,
            refresh_token: s.tokens.refresh_token_ttl,
        }
    }

    /// The environment's values with the admin's overrides on top.
    pub fn effective(env: Self, a: &AdminSettings) -> Self {
        Self {
            session: a.session_ttl.unwrap_or(env.session),
            access_token: a.access_token_ttl.unwrap_or(env.access_token),
            id_token: a.id_token_ttl.unwrap_or(env.id_token),
            refresh_token: a.refresh_token_ttl.unwrap_or(env.refresh_token),
        }
    }

    /// The longest a JWT we sign stays valid.
    pub fn max_jwt(&self) -> i64 {
        self.access_token.max(self.id_token)
    }
}

/// The effective lifetimes, shared by every clone (one per replica).
#[derive(Clone, Debug)]
pub struct LiveLifetimes {
    env: Lifetimes,
    current: Arc<RwLock<Lifetimes>>,
}

impl LiveLifetimes {
    pub fn new(env: Lifetimes) -> Self {
        Self { env, current: Arc::new(RwLock::new(env)) }
    }

    pub fn env(&self) -> Lifetimes {
        self.env
    }

    /// The lifetimes in force (no I/O: a read lock).
    pub fn get(&self) -> Lifetimes {
        self.current.read().map(|l| *l).unwrap_or(self.env)
    }

    /// Applies stored admin settings (after a load or a save).
    pub fn apply(&self, a: &AdminSettings) {
        if let Ok(mut slot) = self.current.write() {
            *slot = Lifetimes::effective(self.env, a);
        }
    }

    /// Re-reads the admin settings; on a database error the values in force stay.
    pub async fn refresh(&self, store: &Store) {
        match crate::admin_settings::load(store).await {
            Ok(a) => self.apply(&a),
            Err(e) => tracing::warn!(error = %e, "cannot reload session and token lifetimes; keeping the ones in force"),
        }
    }

    /// Keeps this replica's lifetimes in step with the database.
    pub fn spawn_refresher(&self, store: Store, every_seconds: u64) -> tokio::task::JoinHandle<()> {
        let live = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_seconds));
            tick.tick().await;
            loop {
                tick.tick().await;
                live.refresh(&store).await;
            }
        })
    }
}

//! Signing keys. RS256 keys live in the database, private halves sealed with the master
//! key. The `KeyManager` parses them once and keeps the signer, the verifiers and the
//! rendered JWKS in memory, so discovery/JWKS and signing never touch the database per
//! request. A background task reloads them so replicas pick up rotations.

use crate::clock::Clock;
use crate::crypto::{self, MasterKey};
use crate::store::{SigningKeyRow, Store, StoreError};
use josekit::jws::{self, JwsSigner, JwsVerifier, RS256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub mod listing;
mod sign_pool;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a signing key cannot be decrypted with this master key (is GATEHOUSE_MASTER_KEY the one the keys were created with?)")]
    Decrypt(#[from] crypto::CryptoError),
    #[error("key material is invalid: {0}")]
    Jose(#[from] josekit::JoseError),
    #[error("no signing key is active")]
    NoActiveKey,
    #[error("a key generation or signing task failed")]
    Join,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token")]
    Malformed,
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature")]
    BadSignature,
}

struct Loaded {
    signer_kid: String,
    signer: Arc<dyn JwsSigner>,
    signer_pem: String,
    verifiers: HashMap<String, Arc<dyn JwsVerifier>>,
    jwks_json: Arc<str>,
}

#[derive(Clone)]
pub struct KeyManager {
    store: Store,
    master: MasterKey,
    clock: Clock,
    /// How long a retired key stays published (longest JWT lifetime plus leeway).
    retention: i64,
    publish_delay: i64,
    /// Admin-set token lifetimes: a retired key stays published for the longest of them too.
    lifetimes: Option<crate::lifetimes::LiveLifetimes>,
    loaded: Arc<RwLock<Option<Arc<Loaded>>>>,
    /// The signing threads, one per core (`sign_pool`).
    signing: Arc<sign_pool::SignPool>,
    /// Woken when keys are loaded: requests that need a key wait on it while the first key of
    /// a new installation is generated in the background (`FirstKey::InBackground`).
    loaded_signal: Arc<tokio::sync::Notify>,
}

/// When a database without a usable key gets its first one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstKey {
    /// Before `start` returns (CLI commands: they exit right after).
    Now,
    /// On a task, so the server answers discovery while the key is made (RSA-2048 generation
    /// takes 50–500 ms, most of a first start); what needs a key waits for it.
    InBackground,
}

/// How long a request waits for the first key before it is refused (generation takes well
/// under a second; a database that refuses the insert is retried meanwhile).
const FIRST_KEY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl std::fmt::Debug for KeyManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyManager").field("kid", &self.current_kid()).finish_non_exhaustive()
    }
}

/// A freshly generated key pair, ready to be stored.
async fn generate_row(master: &MasterKey, now: i64, activates_at: i64) -> Result<SigningKeyRow, KeyError> {
    // RSA generation takes tens of milliseconds of CPU: keep it off the async workers.
    let pair = tokio::task::spawn_blocking(|| RS256.generate_key_pair(2048)).await.map_err(|_| KeyError::Join)??;
    // Time-ordered (UUIDv7, hex): keys made within the same second still sort newest last.
    let kid = uuid::Uuid::now_v7().simple().to_string();
    let mut jwk = pair.to_jwk_public_key();
    jwk.set_key_id(&kid);
    jwk.set_key_use("sig");
    jwk.set_algorithm("RS256");
    let private_pem = pair.to_pem_private_key();
    Ok(SigningKeyRow {
        kid,
        alg: "RS256".into(),
        private_key_enc: master.encrypt(&private_pem)?,
        public_jwk: serde_json::to_string(jwk.as_ref()).unwrap_or_default(),
        public_pem: String::from_utf8_lossy(&pair.to_pem_public_key()).into_owned(),
        created_at: now,
        activates_at,
        retired_at: None,
    })
}

impl KeyManager {
    /// Loads keys, creating the first one if the database has none (see `FirstKey`).
    pub async fn start(
        store: Store,
        master: MasterKey,
        clock: Clock,
        retention: i64,
        publish_delay: i64,
        first_key: FirstKey,
    ) -> Result<Self, KeyError> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let km = Self {
            store,
            master,
            clock,
            retention,
            publish_delay,
            lifetimes: None,
            loaded: Arc::new(RwLock::new(None)),
            signing: Arc::new(sign_pool::SignPool::start(cores)),
            loaded_signal: Arc::new(tokio::sync::Notify::new()),
        };
        let now = km.clock.now();
        let needs_first = km.store.publishable_signing_keys(now - km.retention).await?.iter().all(|k| k.retired_at.is_some());
        match (needs_first, first_key) {
            (false, _) => km.reload().await?,
            (true, FirstKey::Now) => km.create_first_key().await?,
            (true, FirstKey::InBackground) => {
                let km = km.clone();
                tokio::spawn(async move {
                    for attempt in 1..=30u32 {
                        match km.create_first_key().await {
                            Ok(()) => return,
                            Err(e) => tracing::error!(error = %e, attempt, "cannot create the first signing key; retrying"),
                        }
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                });
            }
        }
        Ok(km)
    }

    async fn create_first_key(&self) -> Result<(), KeyError> {
        let now = self.clock.now();
        let row = generate_row(&self.master, now, now).await?;
        if self.store.insert_first_signing_key(&row).await? {
            tracing::info!(kid = %row.kid, "generated the first signing key");
        }
        // Either ours, or the one another process stored meanwhile.
        self.reload().await
    }

    /// Keeps retired keys published for as long as the admin-set token lifetimes need.
    pub fn following(mut self, lifetimes: crate::lifetimes::LiveLifetimes) -> Self {
        self.lifetimes = Some(lifetimes);
        self
    }

    /// How long a retired key stays published: the longest JWT lifetime (environment or
    /// admin setting) plus leeway.
    pub fn retention(&self) -> i64 {
        self.retention.max(self.lifetimes.as_ref().map_or(0, |l| l.get().max_jwt() + 300))
    }

    /// Creates a new key. It signs after the publish delay, once every replica has had
    /// time to publish it; the old key stays published until its tokens have expired.
    pub async fn rotate(&self) -> Result<String, KeyError> {
        let now = self.clock.now();
        let row = generate_row(&self.master, now, now + self.publish_delay).await?;
        self.store.insert_signing_key(&row).await?;
        self.reload().await?;
        tracing::info!(kid = %row.kid, "rotated signing key");
        Ok(row.kid)
    }

    /// Re-reads keys from the database and swaps the in-memory set.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let now = self.clock.now();
        let rows = self.store.publishable_signing_keys(now - self.retention()).await?;
        // Newest key that is already allowed to sign.
        let current = rows
            .iter()
            .filter(|k| k.retired_at.is_none() && k.activates_at <= now)
            // The time-ordered kid breaks ties (timestamps are in seconds): the newest key wins,
            // and every replica picks the same one.
            .max_by_key(|k| (k.activates_at, k.created_at, &k.kid))
            .ok_or(KeyError::NoActiveKey)?;
        if rows.iter().any(|k| k.kid != current.kid && k.retired_at.is_none() && k.activates_at <= now) {
            self.store.retire_signing_keys_except(&current.kid, now).await?;
        }
        let previous = self.loaded.read().ok().and_then(|g| g.clone());
        let (signer, signer_pem): (Arc<dyn JwsSigner>, String) = match &previous {
            Some(p) if p.signer_kid == current.kid => (p.signer.clone(), p.signer_pem.clone()),
            _ => {
                let pem = self.master.decrypt(&current.private_key_enc)?;
                (Arc::new(RS256.signer_from_pem(&pem)?), current.public_pem.clone())
            }
        };
        let mut verifiers: HashMap<String, Arc<dyn JwsVerifier>> = HashMap::new();
        let mut jwks = Vec::new();
        for row in &rows {
            let jwk: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&row.public_jwk).map_err(|_| KeyError::NoActiveKey)?;
            let parsed = josekit::jwk::Jwk::from_map(jwk.clone())?;
            let verifier = match previous.as_ref().and_then(|p| p.verifiers.get(&row.kid)) {
                Some(v) => v.clone(),
                None => Arc::new(RS256.verifier_from_jwk(&parsed)?) as Arc<dyn JwsVerifier>,
            };
            verifiers.insert(row.kid.clone(), verifier);
            jwks.push(serde_json::Value::Object(jwk));
        }
        let jwks_json: Arc<str> = serde_json::json!({ "keys": jwks }).to_string().into();
        let loaded = Loaded { signer_kid: current.kid.clone(), signer, signer_pem, verifiers, jwks_json };
        if let Ok(mut slot) = self.loaded.write() {
            *slot = Some(Arc::new(loaded));
        }
        self.loaded_signal.notify_waiters();
        Ok(())
    }

    fn snapshot(&self) -> Option<Arc<Loaded>> {
        self.loaded.read().ok().and_then(|g| g.clone())
    }

    /// Waits (bounded) until keys are loaded: the first key of a new installation is made in the
    /// background (`FirstKey::InBackground`).
    pub async fn wait_until_loaded(&self) -> Result<(), KeyError> {
        self.ready().await.map(|_| ())
    }

    /// The loaded keys, waiting (bounded) for the first key of a new installation.
    async fn ready(&self) -> Result<Arc<Loaded>, KeyError> {
        if let Some(loaded) = self.snapshot() {
            return Ok(loaded);
        }
        let wait = async {
            loop {
                // Registered before the check, so a load between the two still wakes us.
                let signal = self.loaded_signal.notified();
                if let Some(loaded) = self.snapshot() {
                    return loaded;
                }
                signal.await;
            }
        };
        tokio::time::timeout(FIRST_KEY_WAIT, wait).await.map_err(|_| KeyError::NoActiveKey)
    }

    pub fn current_kid(&self) -> Option<String> {
        self.snapshot().map(|l| l.signer_kid.clone())
    }

    /// The JWKS document, pre-rendered.
    pub async fn jwks_json(&self) -> Arc<str> {
        self.ready().await.map(|l| l.jwks_json.clone()).unwrap_or_else(|_| Arc::from("{\"keys\":[]}"))
    }

    /// SPKI PEM of the current signing key (PropelAuth `verifier_key_pem`).
    pub async fn current_public_pem(&self) -> Option<String> {
        self.ready().await.ok().map(|l| l.signer_pem.clone())
    }

    /// Signs a JSON claims object as a compact JWS with `typ: JWT` and the current `kid`,
    /// on the signing threads (`sign_pool`: not on the HTTP worker that asks).
    pub async fn sign(&self, claims: &serde_json::Value) -> Result<String, KeyError> {
        let loaded = self.ready().await?;
        let payload = serde_json::to_vec(claims).map_err(|_| KeyError::NoActiveKey)?;
        match self.signing.sign(&loaded.signer_kid, Arc::clone(&loaded.signer), payload).await {
            Some(signed) => Ok(signed?),
            None => Err(KeyError::Join),
        }
    }

    /// Verifies the signature of a token we issued and returns its claims. Time and
    /// audience checks are the caller's: an expired `id_token_hint` is still useful.
    pub fn verify(&self, token: &str) -> Result<serde_json::Map<String, serde_json::Value>, VerifyError> {
        let loaded = self.snapshot().ok_or(VerifyError::UnknownKey)?;
        let header = josekit::jwt::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.claim("kid").and_then(|v| v.as_str()).ok_or(VerifyError::UnknownKey)?;
        if header.claim("alg").and_then(|v| v.as_str()) != Some("RS256") {
            return Err(VerifyError::Malformed);
        }
        let verifier = loaded.verifiers.get(kid).ok_or(VerifyError::UnknownKey)?;
        let (payload, _) = jws::deserialize_compact(token, verifier.as_ref()).map_err(|_| VerifyError::BadSignature)?;
        serde_json::from_slice(&payload).map_err(|_| VerifyError::Malformed)
    }

    /// Keeps this replica's keys in step with the database.
    pub fn spawn_refresher(&self, every_seconds: u64) -> tokio::task::JoinHandle<()> {
        let km = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(every_seconds));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = km.reload().await {
                    tracing::warn!(error = %e, "signing key refresh failed; keeping the keys already loaded");
                }
            }
        })
    }
}

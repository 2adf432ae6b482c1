//! Integration API keys for the backend API: random, shown once, stored as SHA-256.

use crate::clock::Clock;
use crate::crypto;
use crate::store::{IntegrationKeyRow, Store, StoreError};

pub struct CreatedApiKey {
    pub id: String,
    /// The plaintext key; shown once.
    pub key: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey").field("id", &self.id).finish_non_exhaustive()
    }
}

pub async fn create(store: &Store, clock: &Clock, name: &str) -> Result<CreatedApiKey, StoreError> {
    let id = crypto::random_hex(16);
    let key = format!("gh_{}", crypto::random_hex(32));
    store
        .insert_integration_key(&IntegrationKeyRow {
            id: id.clone(),
            name: name.to_string(),
            key_hash: crypto::sha256_hex(&key),
            created_at: clock.now(),
            last_used_at: None,
            revoked_at: None,
        })
        .await?;
    Ok(CreatedApiKey { id, key })
}

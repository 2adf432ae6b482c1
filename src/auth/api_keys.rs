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

/// The live key matching a presented plaintext key, its use recorded. The lookup is by
/// SHA-256 (an index probe on a hash of a 256-bit secret reveals nothing useful), then the
/// hashes are compared in constant time.
pub async fn authenticate(store: &Store, clock: &Clock, presented: &str) -> Result<Option<IntegrationKeyRow>, StoreError> {
    if presented.is_empty() || presented.len() > 512 {
        return Ok(None);
    }
    let hash = crypto::sha256_hex(presented);
    let Some(row) = store.live_integration_key(&hash).await? else {
        return Ok(None);
    };
    if !crypto::constant_time_eq(row.key_hash.as_bytes(), hash.as_bytes()) {
        return Ok(None);
    }
    store.touch_integration_key(&row.id, clock.now()).await?;
    Ok(Some(row))
}

pub async fn list(store: &Store) -> Result<Vec<IntegrationKeyRow>, StoreError> {
    store.list_integration_keys().await
}

/// Revokes a key by id; false if no live key has it.
pub async fn revoke(store: &Store, clock: &Clock, id: &str) -> Result<bool, StoreError> {
    store.revoke_integration_key(id, clock.now()).await
}

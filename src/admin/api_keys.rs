//! Integration API keys (for the backend API) and end-user API keys, as the dashboard and the
//! CLI's `api-key` commands manage them. Every change is audited, never with a key in it.

use crate::auth::api_keys::{self, CreatedApiKey};
use crate::auth::audit::{self, Event};
use crate::clock::Clock;
use crate::store::{EndUserKeyRow, IntegrationKeyRow, KeyFilter, KeyKind, Store, StoreError};
use serde_json::json;
use std::collections::HashMap;

/// End-user keys per dashboard page.
pub const END_USER_PAGE: i64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("give the key a name (1 to 100 characters), e.g. the app that will use it")]
    BadName,
    #[error("no live API key has this id")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an integration key (shown once) and records `api_key.created`. `by` gives the
/// actor and address; the action and subject are set here.
pub async fn create(store: &Store, clock: &Clock, by: Event<'_>, name: &str) -> Result<CreatedApiKey, ApiKeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiKeyError::BadName);
    }
    let created = api_keys::create(store, clock, name).await?;
    audit::record_event(store, clock, Event { action: "api_key.created", subject: &created.id, ..by }, &json!({ "name": name })).await?;
    Ok(created)
}

/// Revokes an integration key and records `api_key.revoked`.
pub async fn revoke(store: &Store, clock: &Clock, by: Event<'_>, id: &str) -> Result<(), ApiKeyError> {
    let id = id.trim();
    if !api_keys::revoke(store, clock, id).await? {
        return Err(ApiKeyError::NotFound);
    }
    audit::record_event(store, clock, Event { action: "api_key.revoked", subject: id, ..by }, &json!({})).await?;
    Ok(())
}

pub async fn list(store: &Store) -> Result<Vec<IntegrationKeyRow>, StoreError> {
    let mut keys = api_keys::list(store).await?;
    keys.reverse();
    Ok(keys)
}

/// A live end-user key with the email of its user and the name of its org.
#[derive(Clone, Debug)]
pub struct EndUserKey {
    pub key: EndUserKeyRow,
    pub user_email: Option<String>,
    pub org_name: Option<String>,
}

/// A page of live end-user keys, newest first, and how many there are.
pub async fn end_user_keys(store: &Store, now: i64, page: i64) -> Result<(Vec<EndUserKey>, i64), StoreError> {
    let filter = KeyFilter { org_id: None, user_id: None, kind: KeyKind::All, archived: false };
    let (rows, total) = store.list_end_user_keys(&filter, now, END_USER_PAGE, page.max(0) * END_USER_PAGE).await?;
    let mut user_ids: Vec<String> = rows.iter().filter_map(|k| k.user_id.clone()).collect();
    user_ids.sort();
    user_ids.dedup();
    let mut org_ids: Vec<String> = rows.iter().filter_map(|k| k.org_id.clone()).collect();
    org_ids.sort();
    org_ids.dedup();
    let emails: HashMap<String, String> = store.user_emails(&user_ids).await?.into_iter().collect();
    let orgs: HashMap<String, String> = store.org_names(&org_ids).await?.into_iter().collect();
    let keys = rows
        .into_iter()
        .map(|key| EndUserKey {
            user_email: key.user_id.as_ref().and_then(|u| emails.get(u).cloned()),
            org_name: key.org_id.as_ref().and_then(|o| orgs.get(o).cloned()),
            key,
        })
        .collect();
    Ok((keys, total))
}

/// Revokes (archives) an end-user key and records `end_user_key.revoked`.
pub async fn revoke_end_user_key(store: &Store, clock: &Clock, by: Event<'_>, id: &str) -> Result<(), ApiKeyError> {
    let Some(key) = store.end_user_key(id).await? else { return Err(ApiKeyError::NotFound) };
    if !store.archive_end_user_key(&key.id, clock.now()).await? {
        return Err(ApiKeyError::NotFound);
    }
    let detail = json!({ "user_id": key.user_id, "org_id": key.org_id });
    audit::record_event(store, clock, Event { action: "end_user_key.revoked", subject: &key.id, ..by }, &detail).await?;
    Ok(())
}

//! The OAuth client lifecycle for operators: list, show, create, update, rotate the secret
//! (with a grace period for the old one), disable/enable and delete. The admin dashboard and
//! the CLI (`client …`) call these same functions; each action is audited, never with a secret.

use crate::auth::audit::{self, Event};
use crate::crypto;
use crate::oidc::registration::{self, ClientInput, FieldErrors, Lifetimes};
use crate::state::AppState;
use crate::store::{ClientRow, SecretRotation, StoreError};
use serde::Serialize;
use serde_json::json;

/// Who acts: a user id (with the request's address) or `cli`.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub ip: Option<&'a str>,
}

impl Actor<'static> {
    pub const CLI: Actor<'static> = Actor { id: "cli", ip: None };
}

#[derive(Debug, thiserror::Error)]
pub enum AdminClientError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("no client has the id {0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long the replaced secret keeps working after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grace {
    None,
    Hour,
    Day,
    Week,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::Hour, Grace::Day, Grace::Week];

    pub fn parse(s: &str) -> Option<Grace> {
        Grace::ALL.into_iter().find(|g| g.key() == s.trim())
    }
    pub fn key(self) -> &'static str {
        match self {
            Grace::None => "none",
            Grace::Hour => "1h",
            Grace::Day => "24h",
            Grace::Week => "7d",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grace::None => "Immediately",
            Grace::Hour => "After 1 hour",
            Grace::Day => "After 24 hours",
            Grace::Week => "After 7 days",
        }
    }
    pub fn seconds(self) -> i64 {
        match self {
            Grace::None => 0,
            Grace::Hour => 3600,
            Grace::Day => 86_400,
            Grace::Week => 7 * 86_400,
        }
    }
}

/// A client as the CLI prints it and the dashboard shows it (never a secret or its hash).
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    /// `confidential` or `public`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub enabled: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub development: bool,
    pub require_consent: bool,
    pub grant_types: Vec<String>,
    /// Seconds; `null` means the instance's lifetime.
    pub access_token_lifetime: Option<i64>,
    pub refresh_token_lifetime: Option<i64>,
    /// While the secret before the last rotation still works.
    pub previous_secret_valid_until: Option<i64>,
    pub created_at: i64,
    pub updated_at: Option<i64>,
}

impl ClientView {
    pub fn of(c: &ClientRow, now: i64) -> Self {
        Self {
            client_id: c.id.clone(),
            name: c.name.clone(),
            kind: if c.is_public { "public" } else { "confidential" },
            enabled: c.enabled,
            redirect_uris: c.redirect_uri_list(),
            post_logout_redirect_uris: c.post_logout_uri_list(),
            development: c.allow_dev_http,
            require_consent: c.require_consent,
            grant_types: c.grant_type_list(),
            access_token_lifetime: c.access_token_ttl,
            refresh_token_lifetime: c.refresh_token_ttl,
            previous_secret_valid_until: c.previous_secret_expires_at.filter(|t| *t > now && c.previous_secret_hash.is_some()),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The form/flag values that reproduce a stored client (to edit it).
pub fn input_of(c: &ClientRow) -> ClientInput {
    ClientInput {
        name: c.name.clone(),
        redirect_uris: c.redirect_uri_list(),
        post_logout_redirect_uris: c.post_logout_uri_list(),
        public: c.is_public,
        dev: c.allow_dev_http,
        require_consent: c.require_consent,
        grant_types: c.grant_type_list(),
        access_token_lifetime: c.access_token_ttl.map(registration::format_duration).unwrap_or_default(),
        refresh_token_lifetime: c.refresh_token_ttl.map(registration::format_duration).unwrap_or_default(),
        client_credentials_scopes: c.client_credentials_scopes.split_whitespace().map(str::to_string).collect(),
    }
}

/// A new client and its secret (shown once; `None` for public clients).
pub struct Created {
    pub client: ClientRow,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Created {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Created").field("client_id", &self.client.id).finish_non_exhaustive()
    }
}

fn event<'a>(actor: Actor<'a>, action: &'a str, subject: &'a str) -> Event<'a> {
    Event { actor: actor.id, action, subject, ip: actor.ip }
}

pub fn lifetimes(state: &AppState) -> Lifetimes {
    Lifetimes::of(&state.lifetimes.get())
}

pub async fn list(state: &AppState) -> Result<Vec<ClientRow>, AdminClientError> {
    Ok(state.store.list_clients().await?)
}

pub async fn get(state: &AppState, client_id: &str) -> Result<ClientRow, AdminClientError> {
    state.store.client_by_id(client_id.trim()).await?.ok_or_else(|| AdminClientError::NotFound(client_id.trim().to_string()))
}

pub async fn create(state: &AppState, actor: Actor<'_>, input: &ClientInput) -> Result<Created, AdminClientError> {
    let valid = registration::validate(input, lifetimes(state)).map_err(AdminClientError::Invalid)?;
    let (row, secret) = registration::new_row(&valid, state.clock.now());
    state.store.insert_client(&row).await?;
    let detail = json!({
        "name": row.name, "type": if row.is_public { "public" } else { "confidential" },
        "redirect_uris": valid.redirect_uris, "grant_types": valid.grant_types,
    });
    audit::record_event(&state.store, &state.clock, event(actor, "client.created", &row.id), &detail).await?;
    Ok(Created { client: row, secret })
}

/// Replaces the editable settings (everything but the type, the secret and enabled).
pub async fn update(state: &AppState, actor: Actor<'_>, client_id: &str, input: &ClientInput) -> Result<ClientRow, AdminClientError> {
    let old = get(state, client_id).await?;
    let input = ClientInput { public: old.is_public, ..input.clone() };
    let v = registration::validate(&input, lifetimes(state)).map_err(AdminClientError::Invalid)?;
    let new = registration::apply(&old, &v, state.clock.now());
    let changed: Vec<&str> = [
        ("name", old.name != new.name),
        ("redirect_uris", old.redirect_uri_list() != v.redirect_uris),
        ("post_logout_redirect_uris", old.post_logout_uri_list() != v.post_logout_redirect_uris),
        ("development", old.allow_dev_http != new.allow_dev_http),
        ("require_consent", old.require_consent != new.require_consent),
        ("grant_types", old.grant_type_list() != v.grant_types),
        ("access_token_lifetime", old.access_token_ttl != new.access_token_ttl),
        ("refresh_token_lifetime", old.refresh_token_ttl != new.refresh_token_ttl),
    ]
    .into_iter()
    .filter_map(|(k, c)| c.then_some(k))
    .collect();
    if !state.store.update_client(&new).await? {
        return Err(AdminClientError::NotFound(old.id));
    }
    let detail = json!({ "changed": changed, "redirect_uris": v.redirect_uris, "post_logout_redirect_uris": v.post_logout_redirect_uris });
    audit::record_event(&state.store, &state.clock, event(actor, "client.updated", &new.id), &detail).await?;
    Ok(new)
}

/// A new secret (returned once); the old one works until `grace` has passed.
pub async fn rotate_secret(
    state: &AppState,
    actor: Actor<'_>,
    client_id: &str,
    grace: Grace,
) -> Result<(ClientRow, String), AdminClientError> {
    let client = get(state, client_id).await?;
    let Some(old_hash) = client.secret_hash.as_deref() else {
        return Err(AdminClientError::Refused("a public client has no secret to rotate"));
    };
    let now = state.clock.now();
    let secret = crypto::random_cli_token(32);
    let new_hash = crypto::sha256_hex(&secret);
    let until = (grace != Grace::None).then(|| now + grace.seconds());
    let rotation = SecretRotation {
        client_id: &client.id,
        new_hash: &new_hash,
        previous_hash: until.map(|_| old_hash),
        previous_expires_at: until,
        now,
    };
    if !state.store.rotate_client_secret(&rotation).await? {
        return Err(AdminClientError::NotFound(client.id));
    }
    let detail = json!({ "grace": grace.key(), "previous_secret_valid_until": until });
    audit::record_event(&state.store, &state.clock, event(actor, "client.secret_rotated", &client.id), &detail).await?;
    let client = get(state, &client.id).await?;
    Ok((client, secret))
}

/// Disables or enables a client; `Ok(false)` if it already was in that state.
pub async fn set_enabled(state: &AppState, actor: Actor<'_>, client_id: &str, enabled: bool) -> Result<bool, AdminClientError> {
    let client = get(state, client_id).await?;
    if client.enabled == enabled {
        return Ok(false);
    }
    if !state.store.set_client_enabled(&client.id, enabled, state.clock.now()).await? {
        return Err(AdminClientError::NotFound(client.id));
    }
    let action = if enabled { "client.enabled" } else { "client.disabled" };
    audit::record_event(&state.store, &state.clock, event(actor, action, &client.id), &json!({ "name": client.name })).await?;
    Ok(true)
}

/// Deletes a client with its grants and tokens.
pub async fn delete(state: &AppState, actor: Actor<'_>, client_id: &str) -> Result<ClientRow, AdminClientError> {
    let client = get(state, client_id).await?;
    if !state.store.delete_client(&client.id).await? {
        return Err(AdminClientError::NotFound(client.id));
    }
    audit::record_event(&state.store, &state.clock, event(actor, "client.deleted", &client.id), &json!({ "name": client.name })).await?;
    Ok(client)
}

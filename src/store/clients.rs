use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClientRow {
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub is_public: bool,
    pub require_consent: bool,
    pub allow_dev_http: bool,
    /// JSON array of strings.
    pub redirect_uris: String,
    /// JSON array of strings.
    pub post_logout_redirect_uris: String,
    pub created_at: i64,
    /// A disabled client can neither authorize nor get tokens.
    pub enabled: bool,
    /// JSON array of grant type names.
    pub grant_types: String,
    /// Seconds; `None` means the instance's lifetime.
    pub access_token_ttl: Option<i64>,
    pub refresh_token_ttl: Option<i64>,
    /// The secret before the last rotation, accepted until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub updated_at: Option<i64>,
    /// Space-separated scopes allowed with the client_credentials grant.
    pub client_credentials_scopes: String,
}

const COLUMNS: &str = "id, name, secret_hash, is_public, require_consent, allow_dev_http, redirect_uris, post_logout_redirect_uris, \
     created_at, enabled, grant_types, access_token_ttl, refresh_token_ttl, previous_secret_hash, previous_secret_expires_at, updated_at, client_credentials_scopes";

/// A new secret hash, and what happens to the one it replaces.
#[derive(Debug)]
pub struct SecretRotation<'a> {
    pub client_id: &'a str,
    pub new_hash: &'a str,
    /// The replaced hash while it stays valid (`None`: it stops at once).
    pub previous_hash: Option<&'a str>,
    pub previous_expires_at: Option<i64>,
    pub now: i64,
}

impl Store {
    pub async fn insert_client(&self, c: &ClientRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO oauth_clients (id, name, secret_hash, is_public, require_consent, allow_dev_http, redirect_uris, \
             post_logout_redirect_uris, created_at, enabled, grant_types, access_token_ttl, refresh_token_ttl, \
             previous_secret_hash, previous_secret_expires_at, updated_at, client_credentials_scopes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
            .bind(&c.id).bind(&c.name).bind(&c.secret_hash).bind(c.is_public).bind(c.require_consent)
            .bind(c.allow_dev_http).bind(&c.redirect_uris).bind(&c.post_logout_redirect_uris).bind(c.created_at)
            .bind(c.enabled).bind(&c.grant_types).bind(c.access_token_ttl).bind(c.refresh_token_ttl)
            .bind(&c.previous_secret_hash).bind(c.previous_secret_expires_at).bind(c.updated_at)
            .bind(&c.client_credentials_scopes).execute(pool).await)?;
        self.clients.forget(&c.id);
        Ok(())
    }

    pub async fn client_by_id(&self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM oauth_clients WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, ClientRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    /// `client_by_id` through this process's short-lived cache (`client_cache`): for the
    /// request paths that read a client on every call (token, revocation, introspection,
    /// authorization). Pages that show or edit a client read it fresh.
    pub async fn client_for_request(&self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        let now = std::time::Instant::now();
        if let Some(row) = self.clients.get(id, now) {
            return Ok(Some(row));
        }
        let generation = self.clients.generation();
        let row = self.client_by_id(id).await?;
        if let Some(row) = &row {
            self.clients.put(row, now, generation);
        }
        Ok(row)
    }

    /// Every client, newest first (an instance has tens of clients, not thousands).
    pub async fn list_clients(&self) -> Result<Vec<ClientRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM oauth_clients ORDER BY created_at DESC, id");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, ClientRow>(&sql).fetch_all(pool).await)?)
    }

    /// Writes the editable settings of `c` (not its type, secret or enabled state).
    pub async fn update_client(&self, c: &ClientRow) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query(
            "UPDATE oauth_clients SET name = $2, require_consent = $3, allow_dev_http = $4, redirect_uris = $5, \
             post_logout_redirect_uris = $6, grant_types = $7, access_token_ttl = $8, refresh_token_ttl = $9, updated_at = $10 \
             WHERE id = $1")
            .bind(&c.id).bind(&c.name).bind(c.require_consent).bind(c.allow_dev_http).bind(&c.redirect_uris)
            .bind(&c.post_logout_redirect_uris).bind(&c.grant_types).bind(c.access_token_ttl).bind(c.refresh_token_ttl)
            .bind(c.updated_at)
            .execute(pool).await)?;
        self.clients.forget(&c.id);
        Ok(n == 1)
    }

    /// Replaces a confidential client's secret hash; false if there is no such client.
    pub async fn rotate_client_secret(&self, r: &SecretRotation<'_>) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query(
            "UPDATE oauth_clients SET secret_hash = $2, previous_secret_hash = $3, previous_secret_expires_at = $4, updated_at = $5 \
             WHERE id = $1 AND secret_hash IS NOT NULL")
            .bind(r.client_id).bind(r.new_hash).bind(r.previous_hash).bind(r.previous_expires_at).bind(r.now)
            .execute(pool).await)?;
        self.clients.forget(r.client_id);
        Ok(n == 1)
    }

    pub async fn set_client_enabled(&self, id: &str, enabled: bool, now: i64) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query("UPDATE oauth_clients SET enabled = $2, updated_at = $3 WHERE id = $1")
            .bind(id).bind(enabled).bind(now).execute(pool).await)?;
        self.clients.forget(id);
        Ok(n == 1)
    }

    /// Deletes a client; its grants, codes, tokens and consents go with it (ON DELETE CASCADE).
    pub async fn delete_client(&self, id: &str) -> Result<bool, StoreError> {
        let n = exec!(&self.db, pool => sqlx::query("DELETE FROM oauth_clients WHERE id = $1").bind(id).execute(pool).await)?;
        self.clients.forget(id);
        Ok(n == 1)
    }
}

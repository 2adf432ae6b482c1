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
    /// Space-separated scopes allowed with the client_credentials grant.
    pub client_credentials_scopes: String,
}

impl Store {
    pub async fn insert_client(&self, c: &ClientRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO oauth_clients (id, name, secret_hash, is_public, require_consent, allow_dev_http, redirect_uris, post_logout_redirect_uris, created_at, \
             client_credentials_scopes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&c.id).bind(&c.name).bind(&c.secret_hash).bind(c.is_public).bind(c.require_consent)
            .bind(c.allow_dev_http).bind(&c.redirect_uris).bind(&c.post_logout_redirect_uris).bind(c.created_at)
            .bind(&c.client_credentials_scopes).execute(pool).await)?;
        Ok(())
    }

    pub async fn client_by_id(&self, id: &str) -> Result<Option<ClientRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, ClientRow>(
            "SELECT id, name, secret_hash, is_public, require_consent, allow_dev_http, redirect_uris, post_logout_redirect_uris, created_at, \
             client_credentials_scopes FROM oauth_clients WHERE id = $1")
            .bind(id).fetch_optional(pool).await)?)
    }
}

//! OAuth state: parked authorization requests, grants, codes, refresh and access tokens,
//! consents. Single-use transitions are conditional UPDATEs whose row count decides the
//! winner, so two replicas racing on one code or refresh token cannot both succeed.

use super::{Store, StoreError, exec, exec_owned, on_db, on_db_write_owned};
use sqlx::Connection as _; // `begin` on the SQLite writer (`writer::Writer`)

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuthRequestRow {
    pub id: String,
    pub client_id: String,
    pub params: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scope: String,
    pub auth_time: Option<i64>,
    pub login_method: Option<String>,
    pub active_org_id: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuthCodeRow {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub grant_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
}

/// What one token response hands out (see `Store::record_issued_tokens`).
pub struct IssuedTokens<'a> {
    /// A grant born with this response (client credentials); `None` when it already exists.
    pub new_grant: Option<&'a GrantRow>,
    pub grant_id: &'a str,
    pub access_jti: &'a str,
    pub access_expires_at: i64,
    pub refresh: Option<&'a RefreshTokenRow>,
}

const INSERT_GRANT: &str = "INSERT INTO grants (id, client_id, user_id, scope, auth_time, login_method, active_org_id, created_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const INSERT_AUTH_CODE: &str = "INSERT INTO authorization_codes \
     (code_hash, grant_id, client_id, redirect_uri, nonce, code_challenge, created_at, expires_at, used_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const INSERT_ACCESS_TOKEN: &str = "INSERT INTO access_tokens (jti, grant_id, expires_at) VALUES ($1, $2, $3)";

const GRANT_COLUMNS: &str = "id, client_id, user_id, scope, auth_time, login_method, active_org_id, created_at, revoked_at";

impl Store {
    pub async fn insert_auth_request(&self, r: &AuthRequestRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO authorization_requests (id, client_id, params, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&r.id).bind(&r.client_id).bind(&r.params).bind(r.created_at).bind(r.expires_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn auth_request(&self, id: &str, now: i64) -> Result<Option<AuthRequestRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, AuthRequestRow>(
            "SELECT id, client_id, params, created_at, expires_at FROM authorization_requests WHERE id = $1 AND expires_at > $2")
            .bind(id).bind(now).fetch_optional(pool).await)?)
    }

    /// Removes a parked request; returns false if another request already consumed it.
    pub async fn take_auth_request(&self, id: &str) -> Result<bool, StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("DELETE FROM authorization_requests WHERE id = $1").bind(id).execute(pool).await)?;
        Ok(done == 1)
    }

    pub async fn insert_grant(&self, g: &GrantRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(INSERT_GRANT)
            .bind(&g.id).bind(&g.client_id).bind(&g.user_id).bind(&g.scope).bind(g.auth_time).bind(&g.login_method)
            .bind(&g.active_org_id).bind(g.created_at).bind(g.revoked_at).execute(pool).await)?;
        Ok(())
    }

    pub async fn grant_by_id(&self, id: &str) -> Result<Option<GrantRow>, StoreError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, GrantRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    /// Revokes a grant: its refresh and access tokens die with it (they are checked
    /// against `grants.revoked_at`).
    pub async fn revoke_grant(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn revoke_user_grants(&self, user_id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now).bind(user_id).execute(pool).await)?;
        Ok(())
    }

    pub async fn insert_auth_code(&self, c: &AuthCodeRow) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(INSERT_AUTH_CODE)
            .bind(&c.code_hash).bind(&c.grant_id).bind(&c.client_id).bind(&c.redirect_uri).bind(&c.nonce)
            .bind(&c.code_challenge).bind(c.created_at).bind(c.expires_at).bind(c.used_at).execute(pool).await)?;
        Ok(())
    }

    /// A new grant and its authorization code in one transaction: one commit (one WAL sync on
    /// Postgres, one turn of SQLite's writer) per authorization instead of two.
    /// A grant made in the browser session `session_hash` (signing that session out revokes it)
    /// and its authorization code, in one transaction.
    pub async fn insert_grant_with_code(&self, g: &GrantRow, session_hash: &str, c: &AuthCodeRow) -> Result<(), StoreError> {
        let (g, session_hash, c) = (g.clone(), session_hash.to_owned(), c.clone());
        on_db_write_owned!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO grants (id, client_id, user_id, scope, auth_time, login_method, active_org_id, created_at, revoked_at, \
                 session_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&g.id).bind(&g.client_id).bind(&g.user_id).bind(&g.scope).bind(g.auth_time).bind(&g.login_method)
                .bind(&g.active_org_id).bind(g.created_at).bind(g.revoked_at).bind(&session_hash).execute(&mut *tx).await?;
            sqlx::query(INSERT_AUTH_CODE)
                .bind(&c.code_hash).bind(&c.grant_id).bind(&c.client_id).bind(&c.redirect_uri).bind(&c.nonce)
                .bind(&c.code_challenge).bind(c.created_at).bind(c.expires_at).bind(c.used_at).execute(&mut *tx).await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    pub async fn auth_code(&self, code_hash: &str) -> Result<Option<AuthCodeRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, AuthCodeRow>(
            "SELECT code_hash, grant_id, client_id, redirect_uri, nonce, code_challenge, created_at, expires_at, used_at \
             FROM authorization_codes WHERE code_hash = $1")
            .bind(code_hash).fetch_optional(pool).await)?)
    }

    /// Redeems a code issued to `client_id` in one statement: marks it used and returns it, or
    /// `None` when there is no such unused code for that client (look it up with `auth_code`
    /// to tell a replay from a stranger's or an unknown code). Saves the read before the write
    /// on every token exchange (issue 12).
    pub async fn redeem_auth_code(&self, code_hash: &str, client_id: &str, now: i64) -> Result<Option<AuthCodeRow>, StoreError> {
        let (code_hash, client_id) = (code_hash.to_owned(), client_id.to_owned());
        Ok(on_db_write_owned!(&self.db, pool => sqlx::query_as::<_, AuthCodeRow>(
            "UPDATE authorization_codes SET used_at = $1 WHERE code_hash = $2 AND client_id = $3 AND used_at IS NULL \
             RETURNING code_hash, grant_id, client_id, redirect_uri, nonce, code_challenge, created_at, expires_at, used_at")
            .bind(now).bind(&code_hash).bind(&client_id).fetch_optional(pool).await)?)
    }

    /// Records what one token response hands out in one transaction (one commit), so a
    /// response is either wholly on record (revocable, introspectable) or not at all.
    pub async fn record_issued_tokens(&self, t: &IssuedTokens<'_>) -> Result<(), StoreError> {
        let (grant_id, jti, expires_at) = (t.grant_id.to_owned(), t.access_jti.to_owned(), t.access_expires_at);
        if t.new_grant.is_none() && t.refresh.is_none() {
            // One row: a statement commits on its own, without the two extra round trips of
            // BEGIN and COMMIT on the writer connection (issue 12: the code flow's token call).
            exec_owned!(&self.db, pool => sqlx::query(INSERT_ACCESS_TOKEN)
                .bind(&jti).bind(&grant_id).bind(expires_at).execute(pool).await)?;
            return Ok(());
        }
        let (new_grant, refresh) = (t.new_grant.cloned(), t.refresh.cloned());
        on_db_write_owned!(&self.db, pool => async {
            let mut tx = pool.begin().await?;
            if let Some(g) = &new_grant {
                sqlx::query(INSERT_GRANT)
                    .bind(&g.id).bind(&g.client_id).bind(&g.user_id).bind(&g.scope).bind(g.auth_time).bind(&g.login_method)
                    .bind(&g.active_org_id).bind(g.created_at).bind(g.revoked_at).execute(&mut *tx).await?;
            }
            sqlx::query(INSERT_ACCESS_TOKEN).bind(&jti).bind(&grant_id).bind(expires_at).execute(&mut *tx).await?;
            if let Some(r) = &refresh {
                sqlx::query("INSERT INTO refresh_tokens (token_hash, grant_id, created_at, expires_at, rotated_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&r.token_hash).bind(&r.grant_id).bind(r.created_at).bind(r.expires_at).bind(r.rotated_at)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }

    pub async fn refresh_token(&self, token_hash: &str) -> Result<Option<RefreshTokenRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, RefreshTokenRow>(
            "SELECT token_hash, grant_id, created_at, expires_at, rotated_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash).fetch_optional(pool).await)?)
    }

    /// Marks a refresh token rotated. False means it was already used (reuse).
    pub async fn mark_refresh_token_rotated(&self, token_hash: &str, now: i64) -> Result<bool, StoreError> {
        let token_hash = token_hash.to_owned();
        let done = exec_owned!(&self.db, pool => sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL")
            .bind(now).bind(&token_hash).execute(pool).await)?;
        Ok(done == 1)
    }

    /// The grant behind an access token, if neither the token nor the grant is revoked.
    pub async fn live_access_token_grant(&self, jti: &str) -> Result<Option<GrantRow>, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, GrantRow>(
            "SELECT g.id, g.client_id, g.user_id, g.scope, g.auth_time, g.login_method, g.active_org_id, g.created_at, g.revoked_at \
             FROM access_tokens t JOIN grants g ON g.id = t.grant_id \
             WHERE t.jti = $1 AND t.revoked_at IS NULL AND g.revoked_at IS NULL")
            .bind(jti).fetch_optional(pool).await)?)
    }

    /// Whether a client-credentials access token (which has no row) is still good: its client
    /// exists and the token is not on the revocation list. Tokens issued before they stopped
    /// having rows are also checked against `access_tokens.revoked_at`.
    pub async fn client_token_live(&self, jti: &str, client_id: &str) -> Result<bool, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM oauth_clients c WHERE c.id = $1 \
             AND NOT EXISTS (SELECT 1 FROM revoked_client_tokens r WHERE r.jti = $2) \
             AND NOT EXISTS (SELECT 1 FROM access_tokens t WHERE t.jti = $2 AND t.revoked_at IS NOT NULL)")
            .bind(client_id).bind(jti).fetch_one(pool).await)?;
        Ok(n > 0)
    }

    /// Puts a client-credentials access token on the revocation list until it expires.
    pub async fn revoke_client_token(&self, jti: &str, client_id: &str, expires_at: i64, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO revoked_client_tokens (jti, client_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING")
            .bind(jti).bind(client_id).bind(expires_at).bind(now).execute(pool).await)?;
        Ok(())
    }

    pub async fn access_token_grant_id(&self, jti: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_db!(&self.db, pool => sqlx::query_as("SELECT grant_id FROM access_tokens WHERE jti = $1")
            .bind(jti).fetch_optional(pool).await)?;
        Ok(row.map(|r| r.0))
    }

    pub async fn revoke_access_token(&self, jti: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE access_tokens SET revoked_at = $1 WHERE jti = $2 AND revoked_at IS NULL")
            .bind(now).bind(jti).execute(pool).await)?;
        Ok(())
    }

    pub async fn consented_scope(&self, user_id: &str, client_id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_db!(&self.db, pool => sqlx::query_as(
            "SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id).bind(client_id).fetch_optional(pool).await)?;
        Ok(row.map(|r| r.0))
    }

    pub async fn save_consent(&self, user_id: &str, client_id: &str, scope: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO consents (user_id, client_id, scope, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scope = $3, created_at = $4")
            .bind(user_id).bind(client_id).bind(scope).bind(now).execute(pool).await)?;
        Ok(())
    }

    /// Deletes expired codes, parked requests and tokens (the periodic clean-up job).
    pub async fn purge_expired_oauth_state(&self, now: i64) -> Result<(), StoreError> {
        // One statement at a time: other writes go in between on SQLite's one writer.
        let statements = [
            ("DELETE FROM authorization_requests WHERE expires_at <= $1", now),
            ("DELETE FROM authorization_codes WHERE expires_at <= $1", now - 3600),
            ("DELETE FROM refresh_tokens WHERE expires_at <= $1", now),
            ("DELETE FROM access_tokens WHERE expires_at <= $1", now),
            ("DELETE FROM revoked_client_tokens WHERE expires_at <= $1", now),
            ("DELETE FROM one_time_tokens WHERE expires_at <= $1", now),
        ];
        for (sql, before) in statements {
            exec!(&self.db, pool => sqlx::query(sql).bind(before).execute(pool).await)?;
        }
        Ok(())
    }
}

use super::{Store, StoreError, exec, on_db};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub picture_url: Option<String>,
    pub is_admin: bool,
    pub enabled: bool,
    pub properties: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_active_at: Option<i64>,
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub password_hash: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub username: Option<&'a str>,
    pub is_admin: bool,
    pub now: i64,
}

const USER_COLUMNS: &str = "id, email, email_verified, password_hash, first_name, last_name, username, picture_url, \
     is_admin, enabled, properties, created_at, updated_at, last_active_at";

impl Store {
    pub async fn insert_user(&self, u: &NewUser<'_>) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "INSERT INTO users (id, email, email_verified, password_hash, first_name, last_name, username, is_admin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)")
            .bind(u.id).bind(u.email).bind(u.email_verified).bind(u.password_hash).bind(u.first_name)
            .bind(u.last_name).bind(u.username).bind(u.is_admin).bind(u.now)
            .execute(pool).await)?;
        Ok(())
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(pool).await)?)
    }

    /// `email` must already be normalised (trimmed, lowercase).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(pool).await)?)
    }

    pub async fn count_admins(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_db!(&self.db, pool => sqlx::query_as("SELECT COUNT(*) FROM users WHERE is_admin = $1")
            .bind(true).fetch_one(pool).await)?;
        Ok(n)
    }

    pub async fn touch_user_activity(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_enabled(&self, id: &str, enabled: bool, now: i64) -> Result<(), StoreError> {
        let done = exec!(&self.db, pool => sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE id = $3")
            .bind(enabled).bind(now).bind(id).execute(pool).await)?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn update_user_profile(
        &self,
        id: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
        username: Option<&str>,
        picture_url: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query(
            "UPDATE users SET first_name = $1, last_name = $2, username = $3, picture_url = $4, updated_at = $5 WHERE id = $6")
            .bind(first_name).bind(last_name).bind(username).bind(picture_url).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_password_hash(&self, id: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    pub async fn set_user_email_verified(&self, id: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET email_verified = $1, updated_at = $2 WHERE id = $3")
            .bind(true).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }

    /// A confirmed change of address: the new one is verified by construction.
    pub async fn set_user_email(&self, id: &str, email: &str, now: i64) -> Result<(), StoreError> {
        exec!(&self.db, pool => sqlx::query("UPDATE users SET email = $1, email_verified = $2, updated_at = $3 WHERE id = $4")
            .bind(email).bind(true).bind(now).bind(id).execute(pool).await)?;
        Ok(())
    }
}

//! User lifecycle: creation (CLI, signup, magic links) and password login. Self-service
//! account flows live in `account`.

pub mod account;
pub mod signup_params;

use crate::auth::password::{PasswordError, PasswordHasher};
pub use crate::auth::password_policy::{MAX_PASSWORD_LEN, PasswordRejection, Personal};
use crate::clock::Clock;
use crate::store::{NewUser, Store, StoreError, UserRow};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("{0}")]
    Invalid(String),
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("that username is already taken")]
    UsernameTaken,
    /// A new password the policy refuses (too short, common, built from the email or name).
    #[error(transparent)]
    WeakPassword(#[from] PasswordRejection),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) if c.contains("username") => UserError::UsernameTaken,
            StoreError::Conflict(c) if c.contains("email") => UserError::EmailTaken,
            other => UserError::Store(other),
        }
    }
}

/// Trims and lower-cases an email address and checks its basic shape.
pub fn normalize_email(raw: &str) -> Result<String, UserError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
    if valid { Ok(email) } else { Err(UserError::Invalid(format!("`{}` is not a valid email address", raw.trim()))) }
}

/// Checks a new password against the policy (`auth::password_policy`), with the minimum
/// length the admin set (`password_min_length`).
pub async fn check_new_password(store: &Store, password: &str, personal: &Personal<'_>) -> Result<(), UserError> {
    let min = crate::admin_settings::load(store).await?.password_min_length;
    crate::auth::password_policy::check(min, password, personal)?;
    Ok(())
}

#[derive(Default)]
pub struct CreateUser {
    pub email: String,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub username: Option<String>,
    pub email_verified: bool,
    pub is_admin: bool,
    pub signup_params: signup_params::SignupParams,
}

impl std::fmt::Debug for CreateUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateUser").field("email", &self.email).field("username", &self.username).finish_non_exhaustive()
    }
}

fn clean(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn create(store: &Store, hasher: &PasswordHasher, clock: &Clock, input: CreateUser) -> Result<String, UserError> {
    let email = normalize_email(&input.email)?;
    let hash = match &input.password {
        Some(p) => {
            let personal = Personal {
                email: &email,
                first_name: clean(&input.first_name),
                last_name: clean(&input.last_name),
                username: clean(&input.username),
            };
            check_new_password(store, p, &personal).await?;
            Some(hasher.hash(p).await?)
        }
        None => None,
    };
    if let Some(u) = clean(&input.username)
        && (u.len() > 64 || u.chars().any(char::is_whitespace))
    {
        return Err(UserError::Invalid("the username must be at most 64 characters, without spaces".into()));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let signup_query_parameters = input.signup_params.to_json();
    store
        .insert_user(&NewUser {
            id: &id,
            email: &email,
            email_verified: input.email_verified,
            password_hash: hash.as_deref(),
            first_name: clean(&input.first_name),
            last_name: clean(&input.last_name),
            username: clean(&input.username),
            is_admin: input.is_admin,
            signup_query_parameters: &signup_query_parameters,
            now: clock.now(),
        })
        .await?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Deliberately one variant for "no such user" and "wrong password".
    #[error("incorrect email or password")]
    BadCredentials,
    #[error("this account is disabled")]
    Disabled,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks an email and password. Unknown emails cost one argon2 verification too.
pub async fn authenticate(store: &Store, hasher: &PasswordHasher, email: &str, password: &str) -> Result<UserRow, LoginError> {
    let user = match normalize_email(email) {
        Ok(e) => store.user_by_email(&e).await?,
        Err(_) => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let ok = if password.len() > MAX_PASSWORD_LEN * 4 { false } else { hasher.verify(password, hash).await? };
    match user {
        Some(u) if ok => {
            if let Some(old) = u.password_hash.as_deref().filter(|h| crate::auth::password::needs_rehash(h)) {
                // Imported (bcrypt, other argon2) hashes become argon2id at the first login.
                match hasher.hash(password).await {
                    Ok(new) => store.upgrade_password_hash(&u.id, old, &new).await?,
                    Err(e) => tracing::warn!(error = %e, "could not upgrade an imported password hash"),
                }
            }
            if u.enabled { Ok(u) } else { Err(LoginError::Disabled) }
        }
        _ => Err(LoginError::BadCredentials),
    }
}

impl UserRow {
    pub fn full_name(&self) -> Option<String> {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        (!name.is_empty()).then_some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Alice@Example.COM ").expect("valid"), "alice@example.com");
        for bad in ["", "alice", "@example.com", "a@b", "a b@c.com", "a@.com", "a@b.com."] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}

//! User lifecycle: creation (CLI, signup, magic links) and password login. Self-service
//! account flows live in `account`.

pub mod account;
pub mod credentials;
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

/// Characters that change how text is displayed without being visible: bidi overrides and
/// isolates, zero-width characters, the soft hyphen, the BOM. An address that carries one can
/// impersonate another in every list it appears in.
pub fn is_invisible_or_bidi(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// Text safe to show in a mail header or a list: control, bidi and invisible characters
/// removed, whitespace runs folded to one space, at most `max` characters.
pub fn printable(text: &str, max: usize) -> String {
    let kept: String =
        text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).filter(|c| !c.is_control() && !is_invisible_or_bidi(*c)).collect();
    kept.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ").chars().take(max).collect()
}

/// The one email-address rule, used by every entry point (hosted forms, backend API, CLI,
/// invitations, magic links): trims and lower-cases, then refuses control, bidi and invisible
/// characters, quoted local parts and IP-literal domains, and anything the mailer (lettre)
/// could not address, so an account never exists whose mail can never be sent.
pub fn normalize_email(raw: &str) -> Result<String, UserError> {
    let email = raw.trim().to_lowercase();
    let shown: String = raw.trim().chars().filter(|c| !c.is_control() && !is_invisible_or_bidi(*c)).take(80).collect();
    let invalid = |why: &str| UserError::Invalid(format!("`{shown}` is not a valid email address: {why}"));
    if email.len() > 254 {
        return Err(invalid("it is longer than 254 characters"));
    }
    if email.chars().any(|c| c.is_control() || is_invisible_or_bidi(c)) {
        return Err(invalid("it contains control or invisible characters"));
    }
    if email.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | ']')) {
        return Err(invalid("it contains spaces or characters that are not allowed"));
    }
    let Some((local, domain)) = email.rsplit_once('@') else { return Err(invalid("it has no @")) };
    if local.is_empty() || local.len() > 64 || local.starts_with('.') || local.ends_with('.') || local.contains("..") || local.contains('@')
    {
        return Err(invalid("the part before the @ is not valid"));
    }
    let labels_ok = domain.split('.').all(|l| {
        !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    });
    if !domain.contains('.') || !labels_ok {
        return Err(invalid("the domain is not valid"));
    }
    if email.parse::<lettre::Address>().is_err() {
        return Err(invalid("mail cannot be sent to it"));
    }
    Ok(email)
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
        assert_eq!(normalize_email("o'brien+tag@mail.example.co.uk").expect("valid"), "o'brien+tag@mail.example.co.uk");
        assert!(normalize_email("jörg@bücher.example").is_ok(), "internationalised addresses are fine");
    }

    #[test]
    fn emails_with_control_bidi_or_odd_syntax_are_refused() {
        // Issue 11 item 6: these were accepted and then refused by the mailer forever.
        for bad in [
            "\u{202e}moc.elpmaxe@ecila",
            "alice\u{202e}@example.com",
            "alice@exa\u{200b}mple.com",
            "ali\u{0000}ce@example.com",
            "alice\r\nbcc:x@example.com",
            "ali\u{7f}ce@example.com",
            "\u{feff}alice@example.com",
            "\"a b\"@example.com",
            "alice@[127.0.0.1]",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a@b@example.com",
            "a@-example.com",
            "a@exa_mple.com",
            "a@example..com",
            "a<b>@example.com",
        ] {
            let err = normalize_email(bad).expect_err(bad).to_string();
            assert!(err.contains("not a valid email address"), "{err}");
            assert!(!err.contains('\u{202e}') && !err.contains('\u{0}'), "the message itself carries no control characters");
        }
        assert!(normalize_email(&format!("{}@example.com", "a".repeat(65))).is_err());
    }
}

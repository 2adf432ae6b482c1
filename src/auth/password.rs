//! argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1), run on the blocking pool
//! behind a semaphore so a burst of logins cannot starve the async workers or memory.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed")]
    Hash,
    #[error("password hashing was interrupted")]
    Join,
}

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password: verifying against it for unknown emails makes
    /// "no such user" cost the same as "wrong password".
    dummy_hash: Arc<str>,
}

fn argon2() -> Argon2<'static> {
    // The parameters are constants that argon2 accepts; `Params::DEFAULT` is the fallback.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_sync(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| PasswordError::Hash)
}

/// bcrypt hashes imported from another system (`$2a$`, `$2b$`, `$2y$`).
fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p))
}

/// Whether `hash` is a format `verify` accepts: argon2 PHC strings and bcrypt.
pub fn is_supported_hash(hash: &str) -> bool {
    if is_bcrypt(hash) {
        return bcrypt::HashParts::from_str(hash).is_ok();
    }
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// True for anything but our own argon2id: imported hashes are upgraded after a login.
pub fn needs_rehash(hash: &str) -> bool {
    !hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
}

fn verify_sync(password: &str, hash: &str) -> bool {
    if is_bcrypt(hash) {
        return bcrypt::verify(password, hash).unwrap_or(false);
    }
    match PasswordHash::new(hash) {
        // Verification uses the parameters recorded in the hash itself.
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

impl PasswordHasher {
    pub fn new(max_concurrent: usize) -> Self {
        let dummy = hash_sync(&crate::crypto::random_secret()).unwrap_or_default();
        Self { permits: Arc::new(Semaphore::new(max_concurrent.max(1))), dummy_hash: dummy.into() }
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::Join)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_sync(&password)).await.map_err(|_| PasswordError::Join)?
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is no
    /// user (the answer is then always false, after the same amount of work).
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, PasswordError> {
        let _permit = self.permits.acquire().await.map_err(|_| PasswordError::Join)?;
        let password = password.to_string();
        let (target, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let ok = tokio::task::spawn_blocking(move || verify_sync(&password, &target)).await.map_err(|_| PasswordError::Join)?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher.hash("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(hasher.verify("correct horse", Some(&hash)).await.expect("verify"));
        assert!(!hasher.verify("wrong", Some(&hash)).await.expect("verify"));
        assert!(!hasher.verify("correct horse", None).await.expect("verify"));
        assert!(!hasher.verify("x", Some("not a hash")).await.expect("verify"));
        assert!(!needs_rehash(&hash));
    }

    #[tokio::test]
    async fn imported_bcrypt_and_argon2_hashes_verify() {
        let hasher = PasswordHasher::new(2);
        let bcrypt_hash = bcrypt::hash("imported pw", 4).expect("bcrypt");
        for variant in ["$2a$", "$2b$", "$2y$"] {
            let h = format!("{variant}{}", &bcrypt_hash[4..]);
            assert!(is_supported_hash(&h), "{h}");
            assert!(hasher.verify("imported pw", Some(&h)).await.expect("verify"), "{h}");
            assert!(!hasher.verify("other", Some(&h)).await.expect("verify"));
            assert!(needs_rehash(&h));
        }
        let argon2i = argon2::Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::new(4096, 1, 1, None).expect("params"))
            .hash_password(b"imported pw", &SaltString::generate(&mut OsRng))
            .expect("hash")
            .to_string();
        assert!(is_supported_hash(&argon2i));
        assert!(hasher.verify("imported pw", Some(&argon2i)).await.expect("verify"));
        assert!(needs_rehash(&argon2i));
        assert!(!is_supported_hash("$1$md5crypt$xyz"));
        assert!(!is_supported_hash("plaintext"));
    }
}

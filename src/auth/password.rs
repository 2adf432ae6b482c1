//! argon2id with OWASP parameters (m = 19 MiB, t = 2, p = 1), computed on a dedicated,
//! bounded pool of hashing threads (`hash_pool`) that reuse their memory, so a burst of
//! logins can neither starve the async workers nor grow memory, and a login that cannot get
//! a slot soon is told to try again (`PasswordError::Busy`) instead of hanging.
//!
//! Imported hashes (bcrypt, other argon2 variants) are accepted up to a cost cap, and a
//! stored hash above the cap is never computed: one hostile `$2b$31$` or
//! `m=4194304,t=4294967295` hash would otherwise occupy every hashing slot (issue 11).

use crate::auth::hash_pool::{Argon2Job, HashPool, Job, Output, PoolError};
use argon2::password_hash::{PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Params, Version};
use base64::Engine as _;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The highest bcrypt cost we verify (13 is ~0.5 s on one core; 31 would be days).
pub const MAX_BCRYPT_COST: u32 = 13;
/// The highest argon2 memory (KiB), passes and lanes we verify.
pub const MAX_ARGON2_M_KIB: u32 = 64 * 1024;
pub const MAX_ARGON2_T: u32 = 10;
pub const MAX_ARGON2_P: u32 = 4;

/// How long a password check may wait for a hashing slot by default.
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Seconds a client is told to wait (`Retry-After`) when the hashing pool is busy.
pub const BUSY_RETRY_AFTER_SECONDS: u32 = 2;

const OUR_M: u32 = 19 * 1024;
const OUR_T: u32 = 2;
const OUR_P: u32 = 1;
const OUR_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed")]
    Hash,
    #[error("password hashing was interrupted")]
    Join,
    /// Every hashing slot is taken and the wait would be too long: try again shortly.
    #[error("the password service is busy, try again in a moment")]
    Busy,
}

impl From<PoolError> for PasswordError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Busy => PasswordError::Busy,
            PoolError::Stopped => PasswordError::Join,
        }
    }
}

#[derive(Clone, Debug)]
pub struct PasswordHasher {
    pool: Arc<HashPool>,
    /// A well-formed hash with our parameters and random bytes: verifying against it for
    /// unknown emails makes "no such user" cost the same as "wrong password".
    dummy_hash: Arc<str>,
}

fn our_params() -> Params {
    // The parameters are constants that argon2 accepts; `Params::DEFAULT` is the fallback.
    Params::new(OUR_M, OUR_T, OUR_P, Some(32)).unwrap_or(Params::DEFAULT)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
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

/// Checks an imported hash: a supported format whose cost is within the caps. The error is
/// the message for the API's field error.
pub fn check_imported_hash(hash: &str) -> Result<(), String> {
    if !is_supported_hash(hash) {
        return Err("unsupported password hash: expected bcrypt ($2a$, $2b$, $2y$) or an argon2 PHC string".into());
    }
    if within_cost_caps(hash) {
        Ok(())
    } else {
        Err(format!(
            "password hash too costly to verify: at most bcrypt cost {MAX_BCRYPT_COST}, or argon2 m={MAX_ARGON2_M_KIB} (64 MiB), \
             t={MAX_ARGON2_T}, p={MAX_ARGON2_P}"
        ))
    }
}

/// True when verifying `hash` stays within the cost caps (false for unparsable hashes).
pub fn within_cost_caps(hash: &str) -> bool {
    if is_bcrypt(hash) {
        return bcrypt::HashParts::from_str(hash).is_ok_and(|h| h.get_cost() <= MAX_BCRYPT_COST);
    }
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let get = |name: &str| parsed.params.get_decimal(name);
    matches!((get("m"), get("t"), get("p")), (Some(m), Some(t), Some(p)) if m <= MAX_ARGON2_M_KIB && t <= MAX_ARGON2_T && p <= MAX_ARGON2_P)
}

/// True for anything but our own argon2id: imported hashes are upgraded after a login.
pub fn needs_rehash(hash: &str) -> bool {
    !hash.starts_with(OUR_PREFIX)
}

/// The argon2 computation that checks `password` against a PHC `hash`, with the hash's own
/// parameters, and the expected output; `None` if the hash is unusable.
fn argon2_job(password: &str, hash: &str) -> Option<(Argon2Job, Vec<u8>)> {
    let parsed = PasswordHash::new(hash).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed.version.map(Version::try_from).transpose().ok()?.unwrap_or_default();
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?.as_bytes().to_vec();
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?.to_vec();
    let job = Argon2Job { algorithm, version, params, salt, password: password.as_bytes().to_vec(), out_len: expected.len() };
    Some((job, expected))
}

impl PasswordHasher {
    /// A pool of `workers` hashing threads (one per core is right: argon2 is CPU-bound).
    pub fn new(workers: usize) -> Self {
        Self::with_queue(workers, DEFAULT_QUEUE_WAIT)
    }

    /// As `new`, with how long a check may wait for a slot before it is answered `Busy`.
    pub fn with_queue(workers: usize, max_wait: Duration) -> Self {
        let workers = workers.max(1);
        let pool = HashPool::start(workers, workers * 32, max_wait);
        let salt = SaltString::generate(&mut OsRng);
        let mut output = [0u8; 32];
        rand::RngCore::fill_bytes(&mut OsRng, &mut output);
        let dummy = format!("{OUR_PREFIX}{}${}", salt.as_str(), b64(&output));
        Self { pool: Arc::new(pool), dummy_hash: dummy.into() }
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|_| PasswordError::Hash)?.to_vec();
        let job = Argon2Job {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params: our_params(),
            salt: salt_bytes,
            password: password.as_bytes().to_vec(),
            out_len: 32,
        };
        match self.pool.run(Job::Argon2(job)).await? {
            Output::Argon2(out) if !out.is_empty() => Ok(format!("{OUR_PREFIX}{}${}", salt.as_str(), b64(&out))),
            Output::Argon2(_) | Output::Bcrypt(_) => Err(PasswordError::Hash),
        }
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is no
    /// user (the answer is then always false, after the same amount of work). A hash above
    /// the cost caps is never computed: it does not match.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, PasswordError> {
        let (target, real) = match hash {
            Some(h) => (h, true),
            None => (&*self.dummy_hash, false),
        };
        if !within_cost_caps(target) {
            if is_supported_hash(target) {
                tracing::warn!("refused to verify a stored password hash above the cost caps");
            }
            return Ok(false);
        }
        let ok = if is_bcrypt(target) {
            let job = Job::Bcrypt { password: password.as_bytes().to_vec(), hash: target.to_string() };
            matches!(self.pool.run(job).await?, Output::Bcrypt(true))
        } else {
            let Some((job, expected)) = argon2_job(password, target) else { return Ok(false) };
            match self.pool.run(Job::Argon2(job)).await? {
                Output::Argon2(out) => !out.is_empty() && bool::from(subtle::ConstantTimeEq::ct_eq(&out[..], &expected[..])),
                Output::Bcrypt(_) => false,
            }
        };
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;

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

    #[tokio::test]
    async fn hashes_above_the_cost_caps_are_refused_and_never_computed() {
        let hasher = PasswordHasher::new(1);
        // bcrypt cost 31 would take days, argon2 m = 4 GiB and t = 2^32 - 1 forever: both
        // answer "no match" at once instead of occupying a hashing slot.
        let bcrypt31 = format!("$2b$31${}", &bcrypt::hash("pw", 4).expect("bcrypt")[7..]);
        let argon_huge = "$argon2id$v=19$m=4194304,t=4294967295,p=255$c29tZXNhbHRzb21lc2FsdA$\
                          AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        for h in [bcrypt31.as_str(), argon_huge] {
            assert!(is_supported_hash(h), "{h}");
            assert!(check_imported_hash(h).is_err_and(|m| m.contains("too costly")), "{h}");
            assert!(!hasher.verify("pw", Some(h)).await.expect("verify"), "{h}");
        }
        let bcrypt13 = format!("$2b$13${}", &bcrypt::hash("pw", 4).expect("bcrypt")[7..]);
        assert!(check_imported_hash(&bcrypt13).is_ok());
        assert!(
            check_imported_hash("$argon2id$v=19$m=65536,t=10,p=4$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .is_ok()
        );
        assert!(
            check_imported_hash("$argon2id$v=19$m=65537,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .is_err()
        );
        assert!(
            check_imported_hash("$argon2id$v=19$m=4096,t=11,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .is_err()
        );
        assert!(
            check_imported_hash("$argon2id$v=19$m=4096,t=1,p=5$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_check_that_cannot_get_a_slot_soon_is_busy_not_a_hang() {
        let hasher = PasswordHasher::with_queue(1, Duration::ZERO);
        assert!(matches!(hasher.hash("correct horse").await, Err(PasswordError::Busy)));
        assert!(matches!(hasher.verify("correct horse", None).await, Err(PasswordError::Busy)));
    }

    #[tokio::test]
    async fn hashes_from_the_pool_verify_with_the_argon2_crate() {
        let hasher = PasswordHasher::new(1);
        let ours = hasher.hash("pw one").await.expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        use argon2::PasswordVerifier as _;
        assert!(argon2::Argon2::default().verify_password(b"pw one", &parsed).is_ok());
    }
}

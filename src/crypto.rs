//! Small cryptographic helpers: random secrets, SHA-256 for high-entropy tokens,
//! constant-time comparison, HMAC and the master-key AEAD used for secrets at rest.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use openssl::symm::{Cipher, decrypt_aead, encrypt_aead};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes from the OS generator, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A 256-bit random secret (tokens, codes, session ids, client secrets).
pub fn random_secret() -> String {
    random_token(32)
}

/// A random token that starts with a letter or digit: for values people pass on command
/// lines (client ids and secrets). One starting with `-` is read as an option by argparse,
/// clap and most other parsers (`--client-id -x…` failed); `_` is avoided alongside it.
/// Drawing again keeps every accepted value equally likely.
pub fn random_cli_token(bytes: usize) -> String {
    loop {
        let token = random_token(bytes);
        if token.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return token;
        }
    }
}

pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// SHA-256 as lowercase hex. Secrets we generate are 256-bit random values, so a fast
/// hash is enough (contract §5); human passwords use argon2id instead.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

pub fn sha256(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// HMAC-SHA256 with a key derived from the master key.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC over SHA-256 cannot fail for any key length; fall back to a plain hash of
    // key||data only to avoid a panic path that cannot happen.
    let sign = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let pkey = openssl::pkey::PKey::hmac(key)?;
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)?;
        signer.update(data)?;
        signer.sign_to_vec()
    };
    sign().unwrap_or_else(|_| sha256(&[key, data].concat()).to_vec())
}

/// The 256-bit key that encrypts private signing keys at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("the master key must be 32 bytes, given as 64 hex characters or base64")]
    BadMasterKey,
    #[error("the secret could not be decrypted: wrong master key or corrupted data")]
    Decrypt,
    #[error("encryption failed: {0}")]
    Encrypt(#[from] openssl::error::ErrorStack),
}

impl MasterKey {
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(key)
    }

    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| CryptoError::BadMasterKey)?
        } else {
            STANDARD.decode(text).or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('='))).map_err(|_| CryptoError::BadMasterKey)?
        };
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadMasterKey)?;
        Ok(Self(key))
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// A purpose-bound sub-key, so the same master key never serves two uses directly.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mac = hmac_sha256(&self.0, purpose.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac[..32]);
        out
    }

    /// AES-256-GCM; output is `v1:` + base64(nonce || ciphertext || tag).
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        let key = self.derive("secrets-at-rest");
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut tag = [0u8; 16];
        let ct = encrypt_aead(Cipher::aes_256_gcm(), &key, Some(&nonce), b"gatehouse", plaintext, &mut tag)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        Ok(format!("v1:{}", STANDARD.encode(out)))
    }

    pub fn decrypt(&self, sealed: &str) -> Result<Vec<u8>, CryptoError> {
        let body = sealed.strip_prefix("v1:").ok_or(CryptoError::Decrypt)?;
        let raw = STANDARD.decode(body).map_err(|_| CryptoError::Decrypt)?;
        if raw.len() < 12 + 16 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, rest) = raw.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let key = self.derive("secrets-at-rest");
        decrypt_aead(Cipher::aes_256_gcm(), &key, Some(nonce), b"gatehouse", ct, tag).map_err(|_| CryptoError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn command_line_tokens_never_start_with_a_dash_or_underscore() {
        for _ in 0..2000 {
            let t = super::random_cli_token(18);
            assert_eq!(t.len(), 24);
            assert!(t.starts_with(|c: char| c.is_ascii_alphanumeric()), "{t}");
        }
    }

    use super::*;

    #[test]
    fn sealed_secrets_round_trip_and_reject_other_keys() {
        let key = MasterKey::generate();
        let sealed = key.encrypt(b"private key").expect("encrypt");
        assert_eq!(key.decrypt(&sealed).expect("decrypt"), b"private key");
        assert!(MasterKey::generate().decrypt(&sealed).is_err());
    }

    #[test]
    fn master_key_parses_hex_and_base64_and_refuses_short_keys() {
        let key = MasterKey::generate();
        assert!(MasterKey::parse(&key.encode()).is_ok());
        assert!(MasterKey::parse(&"ab".repeat(32)).is_ok());
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn random_secrets_are_256_bit_and_distinct() {
        let a = random_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_secret());
    }
}

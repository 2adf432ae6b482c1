//! RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps, the parameters every authenticator
//! app supports) and RFC 4648 base32. Implemented over the OpenSSL HMAC we already link
//! rather than adding a TOTP crate: the algorithm is a dozen lines and RFC 6238 publishes
//! test vectors (checked below).

pub const STEP: i64 = 30;
pub const DIGITS: u32 = 6;

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let sign = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
        let pkey = openssl::pkey::PKey::hmac(key)?;
        let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha1(), &pkey)?;
        signer.update(data)?;
        signer.sign_to_vec()
    };
    // HMAC-SHA1 cannot fail for any key; an empty MAC makes every code wrong rather than panic.
    sign().unwrap_or_default()
}

/// The code for one time step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> Option<u32> {
    let mac = hmac_sha1(secret, &step.to_be_bytes());
    let offset = (*mac.last()? & 0x0f) as usize;
    let bytes: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    Some((u32::from_be_bytes(bytes) & 0x7fff_ffff) % 10u32.pow(DIGITS))
}

/// The step (within ±1 of now, for clock drift) whose code matches, if any.
pub fn matching_step(secret: &[u8], now: i64, code: &str) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let current = now.div_euclid(STEP);
    let mut found = None;
    // Check all three steps so the time taken does not depend on which one matched.
    for step in [current - 1, current, current + 1] {
        let ok = code_at(secret, step).is_some_and(|c| crate::crypto::constant_time_eq(&c.to_be_bytes(), &wanted.to_be_bytes()));
        if ok && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in data {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !matches!(c, ' ' | '=' | '-')) {
        let v = ALPHABET.iter().position(|&a| a as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push((buffer >> (bits - 8)) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        // RFC 6238 Appendix B (8 digits there; the last 6 digits are the 6-digit code).
        for (time, code) in [(59, 287082), (1111111109, 81804), (1111111111, 50471), (1234567890, 5924), (2000000000, 279037)] {
            assert_eq!(code_at(secret, time / STEP), Some(code), "t={time}");
        }
        assert_eq!(matching_step(secret, 59, "287082"), Some(1));
        assert_eq!(matching_step(secret, 59 + 30, "287082"), Some(1), "one step of drift is accepted");
        assert_eq!(matching_step(secret, 59 + 90, "287082"), None);
        assert_eq!(matching_step(secret, 59, "28708"), None);
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base32_decode("mzxw 6ytb oi").as_deref(), Some(&b"foobar"[..]));
        assert!(base32_decode("1!").is_none());
    }
}

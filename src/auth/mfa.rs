//! TOTP multi-factor authentication: enrolment (secret sealed with the master key, QR code
//! rendered server-side as SVG), confirmation with a first code, one-time recovery codes
//! (only their SHA-256 is stored), and verification with replay protection.

use super::abuse::{self, AbuseError, Action};
use super::totp;
use crate::admin_settings::AdminSettings;
use crate::crypto;
use crate::state::AppState;
use crate::store::{StoreError, UserRow};
use base64::Engine;

pub const RECOVERY_CODES: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum MfaError {
    #[error("that code is not correct")]
    WrongCode,
    #[error("start the set-up again")]
    NoEnrolment,
    #[error("two-factor authentication is already on")]
    AlreadyEnabled,
    #[error("the stored secret cannot be read")]
    Secret,
    /// Rate-limited or locked out; try again after this many seconds.
    #[error("too many attempts; retry in {retry_after} seconds")]
    TooManyAttempts { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the enrolment page shows: the secret for manual entry and the QR code.
pub struct Enrolment {
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// `data:image/svg+xml;base64,...`, for an `<img>` (allowed by our CSP, no inline script).
    pub qr_data_uri: String,
}

impl Enrolment {
    /// The key in groups of four characters, for a page to show (and wrap) group by group.
    pub fn secret_groups(&self) -> Vec<&str> {
        self.secret_base32.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect()
    }
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(<redacted>)")
    }
}

fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20");
    format!("otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30", enc(issuer), enc(account), enc(issuer))
}

pub fn qr_svg_data_uri(text: &str) -> String {
    let svg = match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build(),
        Err(_) => String::new(),
    };
    format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(svg))
}

async fn secret_of(state: &AppState, user_id: &str, enabled: bool) -> Result<Option<Vec<u8>>, MfaError> {
    let Some(row) = state.store.user_mfa(user_id).await? else { return Ok(None) };
    if row.enabled_at.is_some() != enabled {
        return Ok(None);
    }
    state.master.decrypt(&row.secret_enc).map(Some).map_err(|_| MfaError::Secret)
}

/// Starts (or restarts) enrolment with a fresh 160-bit secret.
pub async fn begin(state: &AppState, user: &UserRow, product_name: &str) -> Result<Enrolment, MfaError> {
    if state.store.user_mfa_enabled(&user.id).await? {
        return Err(MfaError::AlreadyEnabled);
    }
    let secret: [u8; 20] = {
        use rand::RngCore;
        let mut s = [0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut s);
        s
    };
    let sealed = state.master.encrypt(&secret).map_err(|_| MfaError::Secret)?;
    state.store.begin_mfa_enrolment(&user.id, &sealed, state.clock.now()).await?;
    Ok(enrolment_view(&secret, product_name, &user.email))
}

fn enrolment_view(secret: &[u8], product_name: &str, email: &str) -> Enrolment {
    let secret_base32 = totp::base32_encode(secret);
    let otpauth_uri = otpauth_uri(product_name, email, &secret_base32);
    let qr_data_uri = qr_svg_data_uri(&otpauth_uri);
    Enrolment { secret_base32, otpauth_uri, qr_data_uri }
}

/// The pending enrolment again (after a wrong first code), if there is one.
pub async fn pending(state: &AppState, user: &UserRow, product_name: &str) -> Result<Option<Enrolment>, MfaError> {
    Ok(secret_of(state, &user.id, false).await?.map(|s| enrolment_view(&s, product_name, &user.email)))
}

/// Confirms enrolment with a first code; returns the recovery codes, shown once.
pub async fn confirm(state: &AppState, user_id: &str, code: &str) -> Result<Vec<String>, MfaError> {
    let secret = secret_of(state, user_id, false).await?.ok_or(MfaError::NoEnrolment)?;
    let step = totp::matching_step(&secret, state.clock.now(), code).ok_or(MfaError::WrongCode)?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| crypto::sha256_hex(&normalise_recovery(c))).collect();
    state.store.confirm_mfa_enrolment(user_id, step, &hashes, state.clock.now()).await?;
    super::audit::record_quietly(&state.store, &state.clock, user_id, "mfa.enabled", user_id, &serde_json::json!({})).await;
    Ok(codes)
}

/// 10 characters from a 32-letter alphabet (50 bits), shown as `xxxxx-xxxxx`. Recovery codes are
/// rate-limited and lock the account like passwords, so 50 bits is ample.
fn recovery_code() -> String {
    let raw = crypto::random_hex(16);
    let b32 = totp::base32_encode(&hex::decode(raw).unwrap_or_default()).to_lowercase();
    format!("{}-{}", &b32[0..5], &b32[5..10])
}

fn normalise_recovery(code: &str) -> String {
    code.trim().to_lowercase().replace(['-', ' '], "")
}

/// Checks a login's second factor: a current TOTP code (each step usable once) or an unused
/// recovery code.
pub async fn verify(state: &AppState, user_id: &str, code: &str) -> Result<(), MfaError> {
    let secret = secret_of(state, user_id, true).await?.ok_or(MfaError::NoEnrolment)?;
    if let Some(step) = totp::matching_step(&secret, state.clock.now(), code) {
        return if state.store.advance_mfa_step(user_id, step).await? { Ok(()) } else { Err(MfaError::WrongCode) };
    }
    let normalised = normalise_recovery(code);
    if normalised.len() == 10 && state.store.use_recovery_code(user_id, &crypto::sha256_hex(&normalised), state.clock.now()).await? {
        super::audit::record_quietly(&state.store, &state.clock, user_id, "mfa.recovery_code_used", user_id, &serde_json::json!({})).await;
        return Ok(());
    }
    Err(MfaError::WrongCode)
}

/// Turns MFA off after checking a current code; audited.
/// Why a code checked under the account's limits was refused.
#[derive(Debug)]
pub enum GuardedRefusal {
    /// Over the per-IP or per-account rate (or the counter could not be read).
    RateLimited(AbuseError),
    /// The account is locked until this time (now, or by this very failure).
    Locked(i64),
    WrongCode,
    Mfa(MfaError),
}

/// Checks a code as the login challenge does: under the MFA rate limit and the account
/// lockout, with a wrong code counted towards the lockout. Every place that accepts a code
/// from a signed-in or half-signed-in user goes through here, so none offers unlimited tries.
pub async fn verify_guarded(
    state: &AppState,
    look: &AdminSettings,
    user: &UserRow,
    code: &str,
    ip: Option<&str>,
) -> Result<(), GuardedRefusal> {
    abuse::check_rate(state, look, Action::Mfa, ip, Some(&user.email)).await.map_err(GuardedRefusal::RateLimited)?;
    let store = |e: StoreError| GuardedRefusal::Mfa(e.into());
    let client = abuse::LoginClient::SecondFactor;
    if let Some(until) = abuse::locked_until(state, &user.email, &client).await.map_err(store)? {
        return Err(GuardedRefusal::Locked(until));
    }
    match verify(state, &user.id, code).await {
        Ok(()) => Ok(()),
        Err(MfaError::WrongCode) => Err(match abuse::record_failure(state, look, &user.email, &client).await.map_err(store)? {
            Some(until) => GuardedRefusal::Locked(until),
            None => GuardedRefusal::WrongCode,
        }),
        Err(e) => Err(GuardedRefusal::Mfa(e)),
    }
}

/// Turns MFA off after a valid code (checked like a login code, see [`verify_guarded`]), and
/// forgets the devices remembered for MFA, so turning it on again asks every device afresh.
pub async fn disable(state: &AppState, look: &AdminSettings, user: &UserRow, code: &str, ip: Option<&str>) -> Result<(), MfaError> {
    let now = state.clock.now();
    match verify_guarded(state, look, user, code, ip).await {
        Ok(()) => {}
        Err(GuardedRefusal::RateLimited(AbuseError::RateLimited { retry_after })) => return Err(MfaError::TooManyAttempts { retry_after }),
        Err(GuardedRefusal::RateLimited(AbuseError::Store(s))) => return Err(s.into()),
        Err(GuardedRefusal::Locked(until)) => return Err(MfaError::TooManyAttempts { retry_after: (until - now).max(1) }),
        Err(GuardedRefusal::WrongCode) => return Err(MfaError::WrongCode),
        Err(GuardedRefusal::Mfa(e)) => return Err(e),
    }
    state.store.disable_user_mfa(&user.id).await?;
    state.store.retire_account_tokens(&user.id, super::account_tokens::MFA_DEVICE, now).await?;
    super::audit::record_quietly(&state.store, &state.clock, &user.id, "mfa.disabled", &user.id, &serde_json::json!({})).await;
    Ok(())
}

/// The current code for a secret (tests and the e2e suites use this through the secret).
pub fn current_code(secret_base32: &str, now: i64) -> Option<String> {
    let secret = totp::base32_decode(secret_base32)?;
    totp::code_at(&secret, now.div_euclid(totp::STEP)).map(|c| format!("{c:06}"))
}

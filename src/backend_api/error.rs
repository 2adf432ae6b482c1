use crate::store::StoreError;
use std::collections::BTreeMap;

/// Form-style errors in the PropelAuth convention: `{"<field>": ["message", ...]}`.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Every way a backend API call can fail. `web::api::error` maps each variant to the status
/// code the SDKs expect (wire spec §9).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// 404: the SDKs turn it into `None`/`False`/`EndUserApiKeyNotFoundException`.
    #[error("not found")]
    NotFound,
    /// 400 with field errors.
    #[error("invalid request: {0:?}")]
    Fields(FieldErrors),
    /// 400 with `user_facing_error` (read by `resend_email_confirmation`).
    #[error("{0}")]
    UserFacing(String),
    /// 403: `create_access_token` maps it to `UserNotFoundException`.
    #[error("user not found")]
    UserNotFoundForToken,
    /// A feature Gatehouse does not offer (yet): 400 with `error_code = feature_gated`, never a
    /// 404 that the SDK would read as "not found".
    #[error("{0} is not available in Gatehouse yet")]
    NotOffered(&'static str),
    #[error("rate limited")]
    RateLimited { wait_seconds: f64 },
    /// 503 + `Retry-After`: every password-hashing slot is taken; the call may be retried.
    #[error("busy, retry in {retry_after} seconds")]
    Busy { retry_after: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl BackendError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut m = FieldErrors::new();
        m.insert(field.to_string(), vec![message.into()]);
        BackendError::Fields(m)
    }
}

impl From<crate::auth::password::PasswordError> for BackendError {
    fn from(e: crate::auth::password::PasswordError) -> Self {
        use crate::auth::password::{BUSY_RETRY_AFTER_SECONDS, PasswordError};
        match e {
            PasswordError::Busy => BackendError::Busy { retry_after: BUSY_RETRY_AFTER_SECONDS },
            PasswordError::Hash | PasswordError::Join => BackendError::Internal(e.to_string()),
        }
    }
}

impl From<crate::keys::KeyError> for BackendError {
    fn from(e: crate::keys::KeyError) -> Self {
        BackendError::Internal(e.to_string())
    }
}

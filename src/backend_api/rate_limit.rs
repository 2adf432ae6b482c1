//! Backend API rate limiting: a fixed one-minute window per integration key, counted in the
//! database so every replica shares it (contract §10).

use super::BackendError;
use crate::state::AppState;

pub const WINDOW_SECONDS: i64 = 60;

/// Counts one call by `key_id`; `RateLimited` once the window's budget is spent.
pub async fn check(state: &AppState, key_id: &str) -> Result<(), BackendError> {
    let limit = state.settings.backend_api_rate_limit;
    if limit == 0 {
        return Ok(());
    }
    let now = state.clock.now();
    let window = now - now.rem_euclid(WINDOW_SECONDS);
    let count = state.store.rate_limit_hit(&format!("backend_api:{key_id}"), window).await?;
    if count > limit {
        let wait = (window + WINDOW_SECONDS - now).max(1);
        return Err(BackendError::RateLimited { wait_seconds: wait as f64 });
    }
    Ok(())
}

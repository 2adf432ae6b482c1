//! Named worker threads sharing one job queue: the signing threads (`keys::sign_pool`) and the
//! password-hashing threads (`auth::hash_pool`), one per core each.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

/// Starts `count` (at least one) threads named `{prefix}-{i}`, each running `worker` on the
/// shared receiver. A thread the OS refuses is logged, naming `what`; the others still run.
pub fn spawn_workers<T: Send + 'static>(prefix: &str, what: &str, count: usize, rx: Receiver<T>, worker: fn(&Mutex<Receiver<T>>)) {
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..count.max(1) {
        let rx = Arc::clone(&rx);
        if let Err(e) = std::thread::Builder::new().name(format!("{prefix}-{i}")).spawn(move || worker(&rx)) {
            tracing::error!(error = %e, "could not start a {what} thread");
        }
    }
}

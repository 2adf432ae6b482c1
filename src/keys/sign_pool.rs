//! The threads that compute RSA signatures: one per core, fed from one queue.
//!
//! Why (issue 12): an RS256 signature is ~0.35 ms of CPU. Computed on the HTTP worker that
//! asked for it, it stalled every other request of that worker, including the statements of
//! a write transaction that held SQLite's only writer connection, so the code flow stopped
//! at ~340 flows/s with a third of the CPU idle. `spawn_blocking` behind a semaphore was
//! worse for client credentials (2.4k → 1.5k tokens/s): between two signatures the permit
//! went back through an HTTP worker's event loop while the core waited. Here a signing
//! thread takes the next job straight from the queue, so the cores stay busy while work
//! is queued, and the workers only hand jobs over and await the answer.

use josekit::JoseError;
use josekit::jws::{self, JwsHeader, JwsSigner};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

struct Job {
    kid: String,
    signer: Arc<dyn JwsSigner>,
    payload: Vec<u8>,
    reply: oneshot::Sender<Result<String, JoseError>>,
}

#[derive(Debug)]
pub struct SignPool {
    queue: Sender<Job>,
}

impl SignPool {
    pub fn start(threads: usize) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        crate::threads::spawn_workers("gatehouse-sign", "signing", threads, rx, worker);
        Self { queue: tx }
    }

    /// A compact JWS of `payload` with `typ: JWT` and `kid`; `None` if the threads are gone.
    pub async fn sign(&self, kid: &str, signer: Arc<dyn JwsSigner>, payload: Vec<u8>) -> Option<Result<String, JoseError>> {
        let (reply, answer) = oneshot::channel();
        let job = Job { kid: kid.to_string(), signer, payload, reply };
        self.queue.send(job).ok()?;
        answer.await.ok()
    }
}

fn worker(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv() {
                Ok(job) => job,
                Err(_) => return,
            }
        };
        // Nobody waits any more (the request went away): skip the work.
        if job.reply.is_closed() {
            continue;
        }
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&job.kid);
        let _ = job.reply.send(jws::serialize_compact(&job.payload, &header, job.signer.as_ref()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jws::RS256;

    #[tokio::test]
    async fn signatures_from_many_requests_at_once_all_verify() {
        let pair = RS256.generate_key_pair(2048).expect("key");
        let signer: Arc<dyn JwsSigner> = Arc::new(RS256.signer_from_der(pair.to_der_private_key()).expect("signer"));
        let verifier = RS256.verifier_from_der(pair.to_der_public_key()).expect("verifier");
        let pool = Arc::new(SignPool::start(2));
        let jobs = (0..40).map(|i| {
            let (pool, signer) = (Arc::clone(&pool), Arc::clone(&signer));
            tokio::spawn(async move { (i, pool.sign("k1", signer, format!("{{\"n\":{i}}}").into_bytes()).await) })
        });
        for job in jobs {
            let (i, signed) = job.await.expect("task");
            let token = signed.expect("pool running").expect("signed");
            let (payload, header) = jws::deserialize_compact(&token, &verifier).expect("valid signature");
            assert_eq!(payload, format!("{{\"n\":{i}}}").into_bytes(), "each caller gets its own token");
            assert_eq!(header.key_id(), Some("k1"));
            assert_eq!(header.token_type(), Some("JWT"));
        }
    }
}

//! A dedicated, bounded pool of password-hashing threads.
//!
//! Why not `spawn_blocking` behind a semaphore (what we had): every argon2 call then
//! allocated its 19 MiB of memory blocks on whichever of tokio's many blocking threads it
//! landed on, and glibc kept those buffers in per-thread arenas, so RSS climbed to
//! 0.6–0.8 GiB after a login storm and never came back (issue 12). A semaphore also queued
//! without limit: two logins against a hostile imported hash held every permit while
//! everyone else waited forever (issue 11).
//!
//! Here a fixed number of threads (one per core) each own one argon2 memory buffer that is
//! reused for every hash, so memory is `workers × 19 MiB` at most and stays flat; a worker
//! that has had no job for `RELEASE_AFTER` frees its buffer, so an idle server goes back to
//! its idle size after a login storm (the next hash allocates it again, once). Jobs wait
//! in a queue of bounded length, each with a deadline: a job that finds the queue full, or
//! that is still queued when its deadline passes, is answered `Busy` at once (the caller
//! shows "try again" / 503 + `Retry-After`) instead of waiting without end. The work itself
//! is bounded by the cost caps in `password` (no stored hash above them is ever computed).

use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The memory a worker keeps between jobs: enough for our own parameters. An imported
/// argon2 hash with a larger (capped) `m` gets a temporary buffer that is freed after it.
const KEPT_BLOCKS: usize = 19 * 1024;

/// A worker idle this long frees its argon2 buffer (19 MiB).
const RELEASE_AFTER: Duration = Duration::from_secs(10);

/// Capacity (in 1 KiB blocks) reserved for every argon2 buffer: more than glibc's largest
/// mmap threshold (32 MiB on 64-bit), so the buffer always gets pages of its own that a free
/// returns to the system. A 19 MiB buffer is served from mmap only until the first such
/// buffer is freed: glibc then raises its threshold to that size and serves the next ones
/// from the thread's heap, where a freed buffer stays resident. Freeing buffers after a storm
/// then grew the server by 20–40 MiB per storm (21 → 279 MiB over two bench rounds) instead
/// of shrinking it. Pages of the reserve that are never written are never resident.
const RESERVED_BLOCKS: usize = 33 * 1024;

/// One argon2 computation, fully described (the caller parsed the PHC string).
pub struct Argon2Job {
    pub algorithm: Algorithm,
    pub version: Version,
    pub params: Params,
    pub salt: Vec<u8>,
    pub password: Vec<u8>,
    pub out_len: usize,
}

pub enum Job {
    Argon2(Argon2Job),
    /// Verify against a bcrypt hash (cost already checked against the cap).
    Bcrypt {
        password: Vec<u8>,
        hash: String,
    },
}

pub enum Output {
    /// The argon2 output bytes (empty if argon2 refused the inputs).
    Argon2(Vec<u8>),
    Bcrypt(bool),
}

struct Task {
    job: Job,
    deadline: Instant,
    reply: oneshot::Sender<Output>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    /// No slot soon enough: the queue is full or the job waited past its deadline.
    Busy,
    /// The workers are gone (only at shutdown).
    Stopped,
}

#[derive(Debug)]
pub struct HashPool {
    queue: SyncSender<Task>,
    max_wait: Duration,
}

impl HashPool {
    /// Starts `workers` threads; at most `queue_len` jobs wait, each at most `max_wait`.
    pub fn start(workers: usize, queue_len: usize, max_wait: Duration) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Task>(queue_len.max(1));
        crate::threads::spawn_workers("gatehouse-hash", "password-hashing", workers, rx, worker);
        Self { queue: tx, max_wait }
    }

    pub async fn run(&self, job: Job) -> Result<Output, PoolError> {
        let (reply, answer) = oneshot::channel();
        let task = Task { job, deadline: Instant::now() + self.max_wait, reply };
        match self.queue.try_send(task) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(PoolError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(PoolError::Stopped),
        }
        // A worker drops the reply unanswered when the deadline passed in the queue.
        answer.await.map_err(|_| PoolError::Busy)
    }
}

fn worker(rx: &Mutex<Receiver<Task>>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let task = {
            let Ok(guard) = rx.lock() else { return };
            match guard.recv_timeout(RELEASE_AFTER) {
                Ok(t) => t,
                Err(RecvTimeoutError::Timeout) => {
                    // Idle: give the buffer back (workers waiting for the lock time out in turn).
                    drop(guard);
                    memory = Vec::new();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        };
        // Skip work nobody waits for: deadline passed, or the request went away.
        if Instant::now() >= task.deadline || task.reply.is_closed() {
            continue;
        }
        let out = match task.job {
            Job::Argon2(job) => Output::Argon2(argon2_into(&job, &mut memory)),
            Job::Bcrypt { password, hash } => Output::Bcrypt(bcrypt::verify(&password, &hash).unwrap_or(false)),
        };
        let _ = task.reply.send(out);
    }
}

/// `n` zeroed blocks in an allocation of their own pages (see `RESERVED_BLOCKS`).
fn own_pages(n: usize) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(n.max(RESERVED_BLOCKS));
    blocks.resize(n, Block::default());
    blocks
}

fn argon2_into(job: &Argon2Job, kept: &mut Vec<Block>) -> Vec<u8> {
    let ctx = Argon2::new(job.algorithm, job.version, job.params.clone());
    let mut out = vec![0u8; job.out_len];
    let needed = job.params.block_count();
    let result = if needed <= KEPT_BLOCKS {
        if kept.len() < KEPT_BLOCKS {
            *kept = own_pages(KEPT_BLOCKS);
        }
        ctx.hash_password_into_with_memory(&job.password, &job.salt, &mut out, &mut kept[..needed])
    } else {
        let mut temporary = own_pages(needed);
        ctx.hash_password_into_with_memory(&job.password, &job.salt, &mut out, &mut temporary)
    };
    if result.is_err() { Vec::new() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_job() -> Job {
        let params = Params::new(64, 1, 1, Some(32)).expect("params");
        Job::Argon2(Argon2Job {
            algorithm: Algorithm::Argon2id,
            version: Version::V0x13,
            params,
            salt: b"saltsaltsalt".to_vec(),
            password: b"pw".to_vec(),
            out_len: 32,
        })
    }

    #[tokio::test]
    async fn jobs_run_and_the_memory_is_reused() {
        let pool = HashPool::start(1, 4, Duration::from_secs(30));
        let a = pool.run(small_job()).await.expect("runs");
        let b = pool.run(small_job()).await.expect("runs");
        match (a, b) {
            (Output::Argon2(a), Output::Argon2(b)) => {
                assert_eq!(a.len(), 32);
                assert_eq!(a, b, "same inputs, same output from the reused buffer");
            }
            _ => panic!("argon2 jobs answer argon2 output"),
        }
    }

    #[tokio::test]
    async fn a_job_that_cannot_start_before_its_deadline_is_answered_busy() {
        // A zero wait: every job is past its deadline by the time a worker dequeues it.
        let pool = HashPool::start(1, 4, Duration::ZERO);
        assert_eq!(pool.run(small_job()).await.err(), Some(PoolError::Busy));
    }
}

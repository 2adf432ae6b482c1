//! The raw argon2id rate of Gatehouse's own parameters on this machine, one hash per core at
//! a time through the same hashing pool the server uses: the ceiling `scripts/bench` compares
//! password logins against. Prints one JSON line.
//!
//!   gatehouse-argon2-rate [SECONDS]   (default 5)

use gatehouse::auth::password::PasswordHasher;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let seconds: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let hasher = PasswordHasher::with_queue(cores, Duration::from_secs(60));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for _ in 0..cores {
        let hasher = hasher.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                if hasher.hash("correct horse battery staple").await.is_ok() {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap_or(0);
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!("{{\"cores\":{cores},\"hashes\":{total},\"seconds\":{elapsed:.2},\"hashes_per_second\":{:.1}}}", total as f64 / elapsed);
}

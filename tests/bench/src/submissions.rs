//! When the simulated IdentityNow received each access request.
//!
//! The simulator keeps no timestamps, so a thread polls its call counter for
//! `POST /v3/access-requests` every 200 µs and notes the instant each new call shows up. The
//! n-th instant belongs to the n-th accepted submission in its ledger, whose body names the
//! 4me request; the error is at most one poll interval. The counter moves when the call
//! passes the simulator's gate, a few microseconds before the ledger records it.

use crate::simulators::Simulators;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the counter is read.
const POLL: Duration = Duration::from_micros(200);

/// A running watch on the access-request counter.
pub struct SubmissionClock {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Instant>>,
}

impl SubmissionClock {
    /// Starts watching; calls already counted are not timed.
    pub fn start(simulators: Arc<Simulators>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen = simulators.submissions_seen();
            let mut arrivals = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                let now_seen = simulators.submissions_seen();
                let now = Instant::now();
                for _ in seen..now_seen {
                    arrivals.push(now);
                }
                seen = now_seen;
                std::thread::sleep(POLL);
            }
            arrivals
        });
        Self { stop, thread }
    }

    /// Stops watching and returns the arrival instants, oldest first.
    pub fn finish(self) -> Vec<Instant> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// The 4me request id each accepted submission names, in the order IdentityNow accepted them.
pub fn submitted_request_ids(simulators: &Simulators) -> Vec<Option<u64>> {
    simulators
        .identitynow
        .access_requests()
        .iter()
        .map(|submitted| {
            let id = &submitted.body["clientMetadata"]["fourmeRequestId"];
            id.as_str()
                .and_then(|text| text.parse().ok())
                .or_else(|| id.as_u64())
        })
        .collect()
}

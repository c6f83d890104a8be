//! When an expected note appeared on the simulated 4me.
//!
//! A note's `created_at` is to the second only, so a thread reads the notes of every request
//! that still awaits one through the simulator's in-process handle every 250 µs, and takes the
//! instant it first sees a note whose text contains the expected marker. The error is at most
//! one sweep: the sleep plus reading the outstanding requests' notes (a few µs each).

use crate::simulators::Simulators;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the thread sleeps between sweeps.
const SWEEP: Duration = Duration::from_micros(250);

/// A note the run waits for.
#[derive(Clone, Debug)]
pub struct Expected {
    /// The 4me request it goes on.
    pub request_id: u64,
    /// Text the note contains, e.g. `[sailpoint-connector:<id>:approved]`.
    pub marker: String,
    /// The instant the change that causes it was made.
    pub since: Instant,
}

/// What is awaited and what was seen, shared with the thread.
#[derive(Default)]
struct Watch {
    pending: Mutex<Vec<Expected>>,
    seen: Mutex<Vec<(Expected, Duration)>>,
    stop: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

/// A running watch on the simulated 4me's notes.
pub struct NoteClock {
    watch: Arc<Watch>,
    thread: Option<JoinHandle<()>>,
}

impl NoteClock {
    /// Starts watching; nothing is awaited yet.
    pub fn start(simulators: Arc<Simulators>) -> Self {
        let watch = Arc::new(Watch::default());
        let shared = watch.clone();
        let thread = std::thread::spawn(move || {
            while !shared.stop.load(Ordering::Relaxed) {
                sweep(&simulators, &shared);
                std::thread::sleep(SWEEP);
            }
        });
        Self {
            watch,
            thread: Some(thread),
        }
    }

    /// Awaits a note containing `marker` on `request_id`, caused by a change made at `since`.
    pub fn expect(&self, request_id: u64, marker: String, since: Instant) {
        lock(&self.watch.pending).push(Expected {
            request_id,
            marker,
            since,
        });
    }

    /// How many expected notes have not appeared yet.
    pub fn outstanding(&self) -> usize {
        lock(&self.watch.pending).len()
    }

    /// Waits until every expected note appeared or `timeout` passed; false on the timeout.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.outstanding() > 0 {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// The notes seen since the last call, each with the time from its change to its sight.
    pub fn take_seen(&self) -> Vec<(Expected, Duration)> {
        std::mem::take(&mut *lock(&self.watch.seen))
    }

    /// Stops the thread and forgets what is still awaited.
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.watch.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for NoteClock {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// One pass over the requests that still await a note.
fn sweep(simulators: &Simulators, watch: &Watch) {
    let mut pending = lock(&watch.pending);
    if pending.is_empty() {
        return;
    }
    let mut found = Vec::new();
    pending.retain(|expected| {
        let notes = simulators.fourme.notes(expected.request_id);
        let there = notes
            .iter()
            .any(|note| note.text.contains(&expected.marker));
        if there {
            found.push((expected.clone(), expected.since.elapsed()));
        }
        !there
    });
    drop(pending);
    if !found.is_empty() {
        lock(&watch.seen).extend(found);
    }
}

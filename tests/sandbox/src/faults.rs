//! Fault injection and call counting, shared by both simulators.
//!
//! Tests switch a simulator "down" (every call answers 503) or make the next n calls fail with
//! a chosen status. Each simulator renders the injected failure in its own error shape.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::StatusCode;

/// A failure the gate must answer instead of serving the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    /// The simulator is down: 503.
    Down,
    /// One of the next-n failures.
    Fail {
        /// Status to answer.
        status: StatusCode,
        /// `Retry-After` seconds to send, if any.
        retry_after: Option<u64>,
    },
}

#[derive(Debug, Default)]
struct State {
    down: bool,
    remaining: usize,
    status: Option<StatusCode>,
    retry_after: Option<u64>,
    calls: u64,
    by_path: BTreeMap<String, u64>,
}

/// Fault switches and counters for one simulator.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    state: Mutex<State>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Count a call to `route` ("METHOD /path") and say whether a fault replaces it.
    pub(crate) fn on_call(&self, route: String) -> Option<Injected> {
        let mut state = self.lock();
        state.calls += 1;
        *state.by_path.entry(route).or_default() += 1;

        if state.down {
            return Some(Injected::Down);
        }
        if state.remaining == 0 {
            return None;
        }
        state.remaining -= 1;
        Some(Injected::Fail {
            status: state.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            retry_after: state.retry_after,
        })
    }

    /// Make the next `n` calls answer `status`. An invalid status code becomes 500.
    pub(crate) fn fail_next(&self, n: usize, status: u16, retry_after: Option<u64>) {
        let mut state = self.lock();
        state.remaining = n;
        state.status =
            Some(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        state.retry_after = retry_after;
    }

    /// Switch the whole simulator down (every call 503) or back up.
    pub(crate) fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// Calls counted so far, faults included.
    pub(crate) fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Calls counted so far per "METHOD /path".
    pub(crate) fn calls_by_path(&self) -> BTreeMap<String, u64> {
        self.lock().by_path.clone()
    }
}

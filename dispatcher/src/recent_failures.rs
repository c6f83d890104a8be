//! The last few delivery failures, kept in memory for the admin page.
//!
//! Logs and metrics say that deliveries fail; an operator at the admin page wants to see which
//! request failed, when and why, without a log search. Each dispatcher replica keeps its own
//! list, and a restart empties it: it is a convenience, not a record (the notes on 4me and the
//! hold queue are the record).

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// How many failures are kept; older ones are dropped.
pub const KEPT: usize = 50;

/// One failed attempt at delivering an event.
#[derive(Clone, Debug, Serialize)]
pub struct RecentFailure {
    /// When it failed, ms since the epoch.
    pub at_ms: i64,
    /// The 4me request, when the event names one.
    pub fourme_request_id: Option<u64>,
    /// The event name, when the message could be read.
    pub event: Option<String>,
    /// What went wrong.
    pub reason: String,
    /// What happens next: `retry`, `held` or `refused`.
    pub next: &'static str,
}

/// A bounded, newest-last list of failures.
#[derive(Debug, Default)]
pub struct RecentFailures {
    kept: Mutex<VecDeque<RecentFailure>>,
}

impl RecentFailures {
    /// Remembers `failure`, forgetting the oldest beyond [`KEPT`].
    pub fn record(&self, failure: RecentFailure) {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(failure);
    }

    /// The failures kept, newest first.
    pub fn newest_first(&self) -> Vec<RecentFailure> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        kept.iter().rev().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(at_ms: i64) -> RecentFailure {
        RecentFailure {
            at_ms,
            fourme_request_id: Some(70001),
            event: Some("request.create".into()),
            reason: "IdentityNow answered 503".into(),
            next: "retry",
        }
    }

    #[test]
    fn keeps_the_newest_fifty_newest_first() {
        let recent = RecentFailures::default();
        for at in 0..(KEPT as i64 + 7) {
            recent.record(failure(at));
        }
        let listed = recent.newest_first();
        assert_eq!(listed.len(), KEPT);
        assert_eq!(listed[0].at_ms, KEPT as i64 + 6);
        assert_eq!(listed[KEPT - 1].at_ms, 7);
    }
}

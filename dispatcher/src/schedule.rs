//! The retry schedule: after a failure, wait in which queue, or give up and hold.
//!
//! Pure: it takes the message's [`DeliveryState`] and the verdict and returns the next move and
//! state, so every rule is unit-tested without a broker.

use crate::failure::Verdict;
use shared::envelope::DeliveryState;
use std::time::Duration;

/// The configured schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// Wait-queue delays, shortest first; the last repeats.
    pub tiers: Vec<Duration>,
    /// How long after the first failure retries continue.
    pub window: Duration,
    /// After this many failed attempts, people are told.
    pub notify_after: u32,
}

/// Where a failed message goes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait out this delay, then try again.
    Wait(Duration),
    /// Put on hold: the window is over, or trying again cannot help.
    Hold(HoldCause),
}

/// Why a message is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldCause {
    /// Failed for the whole retry window.
    WindowOver,
    /// Refused: retrying cannot help.
    Refused,
}

impl HoldCause {
    /// The `cause` label of `connector_held_total`.
    pub fn label(self) -> &'static str {
        match self {
            HoldCause::WindowOver => "transient",
            HoldCause::Refused => "permanent",
        }
    }
}

/// The decision after one failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Where the message goes.
    pub next: Next,
    /// Its state from now on.
    pub state: DeliveryState,
    /// True exactly once per window: when the repeated-failure notification is due.
    pub notify_failing: bool,
}

impl Schedule {
    /// Decides what follows a failure at `now_ms` with `reason`.
    pub fn after_failure(
        &self,
        state: &DeliveryState,
        verdict: Verdict,
        reason: &str,
        now_ms: i64,
    ) -> Decision {
        let mut state = DeliveryState {
            attempts: state.attempts.saturating_add(1),
            first_failure_ms: Some(state.first_failure_ms.unwrap_or(now_ms)),
            reason: Some(reason.to_owned()),
            held_at_ms: None,
            ..state.clone()
        };
        let after = match verdict {
            Verdict::Refuse => {
                state.held_at_ms = Some(now_ms);
                return Decision {
                    next: Next::Hold(HoldCause::Refused),
                    state,
                    notify_failing: false,
                };
            }
            Verdict::Retry { after } => after,
        };
        let failing_for = now_ms - state.first_failure_ms.unwrap_or(now_ms);
        if failing_for >= self.window.as_millis() as i64 {
            state.held_at_ms = Some(now_ms);
            return Decision {
                next: Next::Hold(HoldCause::WindowOver),
                state,
                notify_failing: false,
            };
        }
        let notify_failing = state.attempts >= self.notify_after && !state.failing_notified;
        state.failing_notified |= notify_failing;
        Decision {
            next: Next::Wait(self.delay(state.attempts, after)),
            state,
            notify_failing,
        }
    }

    /// The tier for the n-th failure (1-based), lengthened to honour `after` when a tier is
    /// long enough; a Retry-After beyond the longest tier waits in the longest.
    pub fn delay(&self, attempt: u32, after: Option<Duration>) -> Duration {
        let index = (attempt.max(1) as usize - 1).min(self.tiers.len() - 1);
        let planned = self.tiers[index];
        match after {
            Some(after) if after > planned => self
                .tiers
                .iter()
                .copied()
                .find(|tier| *tier >= after)
                .unwrap_or(self.tiers[self.tiers.len() - 1]),
            _ => planned,
        }
    }

    /// When retries of a window that began at `first_failure_ms` stop.
    pub fn retry_until(&self, first_failure_ms: i64) -> i64 {
        first_failure_ms + self.window.as_millis() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            tiers: [30, 120, 600, 1800].map(Duration::from_secs).to_vec(),
            window: Duration::from_secs(3 * 3600),
            notify_after: 3,
        }
    }

    const RETRY: Verdict = Verdict::Retry { after: None };

    #[test]
    fn delays_grow_then_repeat() {
        let s = schedule();
        let delays: Vec<u64> = (1..=6).map(|n| s.delay(n, None).as_secs()).collect();
        assert_eq!(delays, [30, 120, 600, 1800, 1800, 1800]);
    }

    #[test]
    fn retry_after_picks_a_long_enough_tier() {
        let s = schedule();
        assert_eq!(s.delay(1, Some(Duration::from_secs(90))).as_secs(), 120);
        assert_eq!(s.delay(3, Some(Duration::from_secs(5))).as_secs(), 600);
        assert_eq!(s.delay(1, Some(Duration::from_secs(9000))).as_secs(), 1800);
    }

    #[test]
    fn notification_goes_out_once_per_window() {
        let s = schedule();
        let mut state = DeliveryState::default();
        let mut notified = Vec::new();
        for minute in 0..6 {
            let decision = s.after_failure(&state, RETRY, "503", minute * 60_000);
            notified.push(decision.notify_failing);
            state = decision.state;
        }
        assert_eq!(notified, [false, false, true, false, false, false]);
        assert_eq!(state.first_failure_ms, Some(0));
        assert_eq!(state.attempts, 6);
    }

    #[test]
    fn the_window_ends_in_hold() {
        let s = schedule();
        let state = DeliveryState {
            attempts: 9,
            first_failure_ms: Some(0),
            ..DeliveryState::default()
        };
        let before = s.after_failure(&state, RETRY, "503", 3 * 3600 * 1000 - 1);
        assert!(matches!(before.next, Next::Wait(_)));
        let after = s.after_failure(&state, RETRY, "503", 3 * 3600 * 1000);
        assert_eq!(after.next, Next::Hold(HoldCause::WindowOver));
        assert_eq!(after.state.held_at_ms, Some(3 * 3600 * 1000));
    }

    #[test]
    fn refusals_are_held_at_once() {
        let decision = schedule().after_failure(
            &DeliveryState::default(),
            Verdict::Refuse,
            "no such role",
            5,
        );
        assert_eq!(decision.next, Next::Hold(HoldCause::Refused));
        assert_eq!(decision.state.reason.as_deref(), Some("no such role"));
    }
}

//! Fixed-window rate limiting, keyed by caller (a client id, a token).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A limit of `limit` calls per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed in one window.
    pub limit: u32,
    /// Length of the window.
    pub period: Duration,
}

/// What one call did to its window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Admission {
    /// Whether the call fits in the window.
    pub(crate) allowed: bool,
    /// Calls left in the window after this one.
    pub(crate) remaining: u32,
    /// Time until the window restarts.
    pub(crate) resets_in: Duration,
}

impl Admission {
    /// Seconds a throttled caller should wait: the rest of the window, rounded up, at least 1.
    pub(crate) fn retry_after_seconds(&self) -> u64 {
        let whole = self.resets_in.as_secs() + u64::from(self.resets_in.subsec_nanos() > 0);
        whole.max(1)
    }
}

/// Counts calls per key in windows that start at a key's first call.
#[derive(Debug)]
pub(crate) struct FixedWindow {
    rate: RateLimit,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FixedWindow {
    /// A limiter enforcing `rate`.
    pub(crate) fn new(rate: RateLimit) -> Self {
        Self {
            rate,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// The configured rate.
    pub(crate) fn rate(&self) -> RateLimit {
        self.rate
    }

    /// Count one call for `key` and say whether it is allowed.
    pub(crate) fn admit(&self, key: &str) -> Admission {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let window = windows.entry(key.to_string()).or_insert((now, 0));

        // A window that has run out starts over with this call.
        if now.duration_since(window.0) >= self.rate.period {
            *window = (now, 0);
        }

        let allowed = window.1 < self.rate.limit;
        if allowed {
            window.1 += 1;
        }
        Admission {
            allowed,
            remaining: self.rate.limit - window.1,
            resets_in: self
                .rate
                .period
                .saturating_sub(now.duration_since(window.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_after_the_limit_and_per_key() {
        let window = FixedWindow::new(RateLimit {
            limit: 2,
            period: Duration::from_secs(10),
        });
        assert!(window.admit("a").allowed);
        assert!(window.admit("a").allowed);
        let third = window.admit("a");
        assert!(!third.allowed);
        assert!((1..=10).contains(&third.retry_after_seconds()));
        assert!(window.admit("b").allowed);
    }
}

//! Client-side rate limits, so the connector stays inside what each peer allows instead of
//! running into 429s: IdentityNow allows 100 calls per 10 s per client, 4me 20 calls per 2 s
//! (its short-burst limit) besides an hourly budget. A 429 that still happens is retried
//! through the wait queues like any transient failure.

use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `limit` calls in any `period`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period.
    pub limit: u32,
    /// The period.
    pub period: Duration,
}

impl RateLimit {
    /// Reads `100/10s` (calls per period); `off` disables the limit.
    pub fn parse(text: &str) -> Result<Option<RateLimit>, String> {
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (limit, period) = text
            .split_once('/')
            .ok_or_else(|| format!("expected calls/period like 100/10s, got {text:?}"))?;
        let limit: u32 = limit
            .trim()
            .parse()
            .map_err(|_| format!("{limit:?} is not a number of calls"))?;
        let period = shared::config::parse_duration(period)?;
        if limit == 0 || period.is_zero() {
            return Err("the limit and the period must be above zero".into());
        }
        Ok(Some(RateLimit { limit, period }))
    }
}

/// A sliding-window limiter shared by every call to one peer, which also stops all calls when
/// the peer says its budget is spent (4me's `x-ratelimit-remaining: 0`, or a 429).
pub struct Throttle {
    limit: Option<RateLimit>,
    recent: Mutex<VecDeque<Instant>>,
    paused_until: Mutex<Option<Instant>>,
}

impl Throttle {
    /// A throttle; `None` lets every call through at once.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Throttle {
            limit,
            recent: Mutex::new(VecDeque::new()),
            paused_until: Mutex::new(None),
        }
    }

    /// Holds every call back for `wait` (the peer's budget is spent until then). The longest
    /// pause asked for wins; a pause is capped at an hour, the longest budget period 4me uses.
    pub async fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait.min(Duration::from_secs(3600));
        let mut paused = self.paused_until.lock().await;
        if paused.is_none_or(|current| current < until) {
            tracing::warn!(wait_s = wait.as_secs(), "peer budget spent; pausing calls");
            *paused = Some(until);
        }
    }

    /// Waits until one more call fits in the window, and books it.
    pub async fn admit(&self) {
        let paused = *self.paused_until.lock().await;
        if let Some(until) = paused {
            tokio::time::sleep_until(until).await;
        }
        let Some(limit) = self.limit else { return };
        loop {
            let wait = {
                let mut recent = self.recent.lock().await;
                let now = Instant::now();
                while recent
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= limit.period)
                {
                    recent.pop_front();
                }
                if recent.len() < limit.limit as usize {
                    recent.push_back(now);
                    return;
                }
                let oldest = *recent.front().unwrap_or(&now);
                limit.period.saturating_sub(now.duration_since(oldest))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_calls_per_period() {
        let limit = RateLimit::parse("100/10s").unwrap().unwrap();
        assert_eq!(limit.limit, 100);
        assert_eq!(limit.period, Duration::from_secs(10));
        assert_eq!(RateLimit::parse("off").unwrap(), None);
        assert!(RateLimit::parse("100").is_err());
        assert!(RateLimit::parse("0/1s").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_holds_back_the_extra_call() {
        let throttle = Throttle::new(Some(RateLimit {
            limit: 2,
            period: Duration::from_secs(10),
        }));
        let start = Instant::now();
        throttle.admit().await;
        throttle.admit().await;
        assert_eq!(Instant::now(), start);
        throttle.admit().await;
        assert_eq!(
            Instant::now().duration_since(start),
            Duration::from_secs(10)
        );
    }
}

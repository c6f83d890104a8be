//! Latency percentiles and rates.

use std::time::Duration;

/// Latencies of one measurement, kept whole so any percentile is exact.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    micros: Vec<u64>,
}

impl Latencies {
    /// Records one latency.
    pub fn push(&mut self, latency: Duration) {
        self.micros
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
    }

    /// Adds every latency of `other`.
    pub fn extend(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    /// How many were recorded.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    /// Whether none were recorded.
    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    /// The `p`-th percentile (0 < p ≤ 100), nearest rank; zero when empty.
    pub fn percentile(&mut self, p: f64) -> Duration {
        if self.micros.is_empty() {
            return Duration::ZERO;
        }
        self.micros.sort_unstable();
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.micros.len()) - 1;
        Duration::from_micros(self.micros[index])
    }

    /// The arithmetic mean, zero when empty.
    pub fn mean(&self) -> Duration {
        if self.micros.is_empty() {
            return Duration::ZERO;
        }
        let total: u128 = self.micros.iter().map(|&micros| u128::from(micros)).sum();
        let mean = total / self.micros.len() as u128;
        Duration::from_micros(u64::try_from(mean).unwrap_or(u64::MAX))
    }

    /// The largest, zero when empty.
    pub fn max(&self) -> Duration {
        Duration::from_micros(self.micros.iter().copied().max().unwrap_or(0))
    }

    /// `p50 … p90 … p99 … max` in milliseconds, for the report.
    pub fn summary(&mut self) -> String {
        format!(
            "p50 {} ms  p90 {} ms  p99 {} ms  max {} ms  (n = {})",
            ms(self.percentile(50.0)),
            ms(self.percentile(90.0)),
            ms(self.percentile(99.0)),
            ms(self.max()),
            self.len()
        )
    }
}

/// A duration in milliseconds with two decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// "met" or "NOT met", for a target line.
pub fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

//! One event per 4me request at a time, within this dispatcher.
//!
//! Two deliveries for the same request (a 4me retry and the original, say) could otherwise both
//! find no earlier submission and both submit. Together with the work queue's single active
//! consumer this makes the earlier-submission check race-free.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OwnedMutexGuard;

/// Locks keyed by 4me request id.
#[derive(Clone, Default)]
pub struct RequestLocks {
    locks: Arc<Mutex<HashMap<u64, Arc<tokio::sync::Mutex<()>>>>>,
}

/// Held while an event for the request is being handled.
pub struct RequestGuard {
    _guard: OwnedMutexGuard<()>,
}

impl RequestLocks {
    /// Waits for the request's lock.
    pub async fn lock(&self, request_id: u64) -> RequestGuard {
        let lock = {
            let mut locks = self
                .locks
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Drop locks nobody holds or waits for, so the map stays small.
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
            locks.entry(request_id).or_default().clone()
        };
        RequestGuard {
            _guard: lock.lock_owned().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_same_request_waits_others_do_not() {
        let locks = RequestLocks::default();
        let first = locks.lock(1).await;
        let other = tokio::time::timeout(Duration::from_millis(50), locks.lock(2)).await;
        assert!(other.is_ok());
        let same = tokio::time::timeout(Duration::from_millis(50), locks.lock(1)).await;
        assert!(same.is_err());
        drop(first);
        assert!(tokio::time::timeout(Duration::from_secs(1), locks.lock(1))
            .await
            .is_ok());
    }
}

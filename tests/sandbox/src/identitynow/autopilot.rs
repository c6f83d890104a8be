//! The autopilot: a background task that plays approver and provisioning engine, so a demo
//! shows requests closing without anyone driving the hooks.
//!
//! Every tick it looks for access requests whose approval has been pending for
//! `approval_delay` and decides them, and for approved ones whose provisioning has been
//! running for `provisioning_delay` and finishes them. What happens to a request is a pure
//! function of its first item's name and its submission number, so a demo run is
//! reproducible. It goes through the same steps as the hooks, triggers included.

use std::collections::HashSet;
use std::sync::Weak;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::ledger::{ApprovalStatus, RequestedItem};
use super::lifecycle::{Provisioning, Step};
use super::Shared;

/// Shortest and longest pause between two looks at the ledger.
const TICK_BOUNDS: (Duration, Duration) = (Duration::from_millis(10), Duration::from_millis(250));

/// What the autopilot does with one access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Approve, then provision with this result.
    Approved(Provisioning),
    /// Reject with this approver comment.
    Rejected(String),
}

/// How the autopilot behaves.
#[derive(Debug, Clone, Copy)]
pub struct Autopilot {
    /// How long an approval stays pending before it is decided.
    pub approval_delay: Duration,
    /// How long provisioning runs after approval.
    pub provisioning_delay: Duration,
    /// The outcome for a request, from its first item's name and its 1-based submission
    /// number (`seq`). Called once per step, so it must be deterministic.
    pub pick: fn(&str, u64) -> Outcome,
}

impl Autopilot {
    /// The demo's pace (3 s to approve, 3 s to provision) with [`demo_outcome`].
    pub fn demo() -> Self {
        Self {
            approval_delay: Duration::from_secs(3),
            provisioning_delay: Duration::from_secs(3),
            pick: demo_outcome,
        }
    }
}

/// The demo rule: most requests are approved and provisioned; of each run of requests the
/// 3rd, 13th, 23rd… are rejected, the 7th, 22nd, 37th… partly fail and the 11th, 31st, 51st…
/// fail. The three never coincide.
pub fn demo_outcome(item_name: &str, seq: u64) -> Outcome {
    if seq % 10 == 3 {
        Outcome::Rejected(format!(
            "Rejected by the manager: no business justification for {item_name}"
        ))
    } else if seq % 15 == 7 {
        Outcome::Approved(Provisioning::PartlyFailed(vec![format!(
            "{item_name}: the secondary account could not be updated (timeout)"
        )]))
    } else if seq % 20 == 11 {
        Outcome::Approved(Provisioning::Failed(vec![format!(
            "{item_name}: the target system refused the change (connector error)"
        )]))
    } else {
        Outcome::Approved(Provisioning::Succeeded)
    }
}

/// The running autopilot; dropping it stops the task.
#[derive(Debug)]
pub(crate) struct AutopilotTask(JoinHandle<()>);

impl Drop for AutopilotTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Start `autopilot` over `shared`; it also ends by itself when the simulator is gone.
pub(crate) fn spawn(shared: Weak<Shared>, autopilot: Autopilot) -> AutopilotTask {
    let shortest = autopilot.approval_delay.min(autopilot.provisioning_delay);
    let tick = (shortest / 4).clamp(TICK_BOUNDS.0, TICK_BOUNDS.1);
    AutopilotTask(tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        loop {
            interval.tick().await;
            let Some(shared) = shared.upgrade() else {
                return;
            };
            run_once(&shared, &autopilot);
        }
    }))
}

/// What is due now, as (access request id, outcome, whether provisioning is what's due).
fn due(records: &[RequestedItem], autopilot: &Autopilot) -> Vec<(String, Outcome, bool)> {
    let mut seen = HashSet::new();
    let mut work = Vec::new();
    for record in records {
        // The first item record stands for its access request; steps apply to all of them.
        if !seen.insert(record.access_request_id.as_str()) {
            continue;
        }
        let waited = record.changed_at.elapsed();
        let provisioning = record.state.is_pending()
            && record.approval.status == ApprovalStatus::Approved
            && waited >= autopilot.provisioning_delay;
        let deciding = record.cancelable() && waited >= autopilot.approval_delay;
        if provisioning || deciding {
            let outcome = (autopilot.pick)(&record.item_name, record.seq);
            work.push((record.access_request_id.clone(), outcome, provisioning));
        }
    }
    work
}

fn run_once(shared: &Shared, autopilot: &Autopilot) {
    let work = due(&shared.ledger().items, autopilot);

    // The ledger lock is released: a hook may have moved a request meanwhile, in which case
    // its step is refused and that is fine.
    let succeeded = Provisioning::Succeeded;
    for (id, outcome, provisioning) in work {
        let step = match (&outcome, provisioning) {
            (Outcome::Approved(result), true) => Step::Provision(result),
            // Approved by hand although the rule says no: provisioning still has to end.
            (Outcome::Rejected(_), true) => Step::Provision(&succeeded),
            (Outcome::Approved(_), false) => Step::Approve("Approved"),
            (Outcome::Rejected(comment), false) => Step::Reject(comment),
        };
        let _ = shared.advance(&id, step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_rule_mixes_outcomes_without_overlap() {
        let outcomes: Vec<Outcome> = (1..=60).map(|seq| demo_outcome("X", seq)).collect();
        let rejected = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Rejected(_)))
            .count();
        let partly = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Approved(Provisioning::PartlyFailed(_))))
            .count();
        let failed = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Approved(Provisioning::Failed(_))))
            .count();
        assert_eq!((rejected, partly, failed), (6, 4, 3));
        assert_eq!(
            demo_outcome("X", 1),
            Outcome::Approved(Provisioning::Succeeded)
        );
    }
}

//! An access request's life after submission: one manager approval, then provisioning.
//!
//! ```text
//! EXECUTING (approval PENDING, cancelable)
//!   ├─ approve ──▶ EXECUTING (approval APPROVED, provisioning phase running)
//!   │                ├─ provision ──▶ REQUEST_COMPLETED | NOT_ALL_ITEMS_PROVISIONED
//!   │                │                | PROVISIONING_FAILED
//!   │                └─ terminate ──▶ TERMINATED
//!   ├─ reject ───▶ REJECTED
//!   ├─ cancel ───▶ CANCELLED (cancelledRequestDetails)
//!   └─ terminate ▶ TERMINATED
//! ```
//!
//! A step applies to every item record of the access request, and only when every record
//! allows it. The handle's hooks, the cancel endpoint and the autopilot all go through
//! [`Shared::advance`], which also fires the event triggers a step causes.

use std::time::Instant;

use super::ledger::{
    ApprovalStatus, Cancellation, ItemState, Ledger, Phase, PhaseState, RequestedItem,
};
use super::Shared;
use crate::clock::now_rfc3339;

/// How provisioning of an approved access request ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provisioning {
    /// Everything was provisioned: `REQUEST_COMPLETED`.
    Succeeded,
    /// Some of it was, with these errors: `NOT_ALL_ITEMS_PROVISIONED`.
    PartlyFailed(Vec<String>),
    /// None of it was, with these errors: `PROVISIONING_FAILED`.
    Failed(Vec<String>),
}

impl Provisioning {
    /// The item state it leads to.
    pub fn state(&self) -> ItemState {
        match self {
            Self::Succeeded => ItemState::RequestCompleted,
            Self::PartlyFailed(_) => ItemState::NotAllItemsProvisioned,
            Self::Failed(_) => ItemState::ProvisioningFailed,
        }
    }

    /// The provisioning errors reported.
    pub fn errors(&self) -> &[String] {
        match self {
            Self::Succeeded => &[],
            Self::PartlyFailed(errors) | Self::Failed(errors) => errors,
        }
    }
}

/// One move of an access request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step<'a> {
    /// The approver approved, with a comment.
    Approve(&'a str),
    /// The approver rejected, with a comment.
    Reject(&'a str),
    /// Provisioning finished.
    Provision(&'a Provisioning),
    /// An administrator ended it, with a comment.
    Terminate(&'a str),
    /// The requester cancelled it: comment, and the identity who did.
    Cancel(&'a str, &'a str),
}

/// Why a step was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No access request has this id.
    Unknown,
    /// The access request is not in a state that allows the step.
    NotAllowed,
}

impl Step<'_> {
    fn allowed(&self, record: &RequestedItem) -> bool {
        match self {
            Step::Approve(_) | Step::Reject(_) | Step::Cancel(..) => record.cancelable(),
            Step::Provision(_) => {
                record.state.is_pending() && record.approval.status == ApprovalStatus::Approved
            }
            Step::Terminate(_) => record.state.is_pending(),
        }
    }

    fn apply(&self, record: &mut RequestedItem, now: &str) {
        match *self {
            Step::Approve(comment) => {
                decide(record, ApprovalStatus::Approved, comment, now);
                finish_phase(record, PhaseState::Succeeded, now);
                record.phases.push(Phase {
                    name: "PROVISIONING_PHASE",
                    state: PhaseState::Executing,
                    started: now.to_string(),
                    finished: None,
                    reference: None,
                });
            }
            Step::Reject(comment) => {
                decide(record, ApprovalStatus::Rejected, comment, now);
                finish_phase(record, PhaseState::Failed, now);
                record.state = ItemState::Rejected;
            }
            Step::Provision(outcome) => {
                let result = match outcome {
                    Provisioning::Succeeded => PhaseState::Succeeded,
                    Provisioning::PartlyFailed(_) | Provisioning::Failed(_) => PhaseState::Failed,
                };
                finish_phase(record, result, now);
                record.state = outcome.state();
                record.error_messages = outcome.errors().to_vec();
            }
            Step::Terminate(comment) => {
                cancel_approval(record, now);
                finish_phase(record, PhaseState::Cancelled, now);
                record.state = ItemState::Terminated;
                // Where ISC shows an administrator's closing message is not documented; the
                // sandbox reports it as the request's error message.
                record.error_messages = vec![comment.to_string()];
            }
            Step::Cancel(comment, owner_id) => {
                cancel_approval(record, now);
                finish_phase(record, PhaseState::Cancelled, now);
                record.state = ItemState::Cancelled;
                record.cancellation = Some(Cancellation {
                    comment: comment.to_string(),
                    owner_id: owner_id.to_string(),
                    modified: now.to_string(),
                });
            }
        }
        record.modified = now.to_string();
        record.changed_at = Instant::now();
    }
}

fn decide(record: &mut RequestedItem, status: ApprovalStatus, comment: &str, now: &str) {
    record.approval.status = status;
    record.approval.comment = Some(comment.to_string());
    record.approval.modified = now.to_string();
}

fn cancel_approval(record: &mut RequestedItem, now: &str) {
    if record.approval.status == ApprovalStatus::Pending {
        record.approval.status = ApprovalStatus::Cancelled;
        record.approval.modified = now.to_string();
    }
}

/// End the phase that is running, if any.
fn finish_phase(record: &mut RequestedItem, state: PhaseState, now: &str) {
    if let Some(phase) = record
        .phases
        .iter_mut()
        .find(|phase| phase.state == PhaseState::Executing)
    {
        phase.state = state;
        phase.finished = Some(now.to_string());
    }
}

impl Ledger {
    /// Apply `step` to every record of `access_request_id`; the records as they are now.
    pub(crate) fn advance(
        &mut self,
        access_request_id: &str,
        step: Step<'_>,
        now: &str,
    ) -> Result<Vec<RequestedItem>, Refusal> {
        let mut records = self.request_mut(access_request_id);
        if records.is_empty() {
            return Err(Refusal::Unknown);
        }
        if !records.iter().all(|record| step.allowed(record)) {
            return Err(Refusal::NotAllowed);
        }
        for record in &mut records {
            step.apply(record, now);
        }
        Ok(records.into_iter().map(|record| record.clone()).collect())
    }
}

impl Shared {
    /// Apply `step` to `access_request_id` and fire the trigger it causes, if subscribed.
    pub(crate) fn advance(&self, access_request_id: &str, step: Step<'_>) -> Result<(), Refusal> {
        let now = now_rfc3339();
        let records = self.ledger().advance(access_request_id, step, &now)?;
        self.triggers.on_step(&self.org, step, &records);
        Ok(())
    }
}

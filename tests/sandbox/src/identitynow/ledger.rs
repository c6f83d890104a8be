//! What the simulated IdentityNow remembers about access requests: every accepted
//! submission, and one status record per (identity, item).
//!
//! A record carries everything `GET /v3/access-request-status` prints about it: its
//! [`ItemState`], its approval, its phases, errors and cancellation. `lifecycle` moves records
//! through an access request's life; `IdentityNow::set_state` overrides only the state.

use std::time::Instant;

use serde_json::Value;

/// The `state` of a requested item, complete per SailPoint's `RequestedItemStatusRequestState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// Being processed (approval or provisioning).
    Executing,
    /// Approved; provisioning not yet verified.
    ProvisioningVerificationPending,
    /// Done.
    RequestCompleted,
    /// Partly provisioned.
    NotAllItemsProvisioned,
    /// Provisioning failed.
    ProvisioningFailed,
    /// An approver said no.
    Rejected,
    /// Cancelled (also duplicates and early-validation failures).
    Cancelled,
    /// Ended by an administrator.
    Terminated,
    /// Processing error.
    Error,
}

impl ItemState {
    /// The wire name, e.g. `EXECUTING`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executing => "EXECUTING",
            Self::ProvisioningVerificationPending => "PROVISIONING_VERIFICATION_PENDING",
            Self::RequestCompleted => "REQUEST_COMPLETED",
            Self::NotAllItemsProvisioned => "NOT_ALL_ITEMS_PROVISIONED",
            Self::ProvisioningFailed => "PROVISIONING_FAILED",
            Self::Rejected => "REJECTED",
            Self::Cancelled => "CANCELLED",
            Self::Terminated => "TERMINATED",
            Self::Error => "ERROR",
        }
    }

    /// Whether the request is still in flight.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Self::Executing | Self::ProvisioningVerificationPending
        )
    }
}

/// One accepted `POST /v3/access-requests`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmittedAccessRequest {
    /// The body exactly as sent.
    pub body: Value,
    /// The 202 body answered.
    pub response: Value,
    /// Access request ids assigned to new requests (one per identity with new items).
    pub access_request_ids: Vec<String>,
}

/// `approvalDetails[].status`, as far as the sandbox uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl ApprovalStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// The single approval step every request goes through: the requested-for's manager.
#[derive(Debug, Clone)]
pub(crate) struct Approval {
    pub(crate) id: String,
    pub(crate) owner_id: String,
    pub(crate) status: ApprovalStatus,
    pub(crate) comment: Option<String>,
    pub(crate) modified: String,
}

/// `accessRequestPhases[].state` and `.result` together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhaseState {
    Executing,
    Succeeded,
    Failed,
    Cancelled,
}

/// One entry of `accessRequestPhases`.
#[derive(Debug, Clone)]
pub(crate) struct Phase {
    pub(crate) name: &'static str,
    pub(crate) state: PhaseState,
    pub(crate) started: String,
    pub(crate) finished: Option<String>,
    /// `approvalDetails` for the approval phase; none for provisioning without manual work.
    pub(crate) reference: Option<&'static str>,
}

/// `cancelledRequestDetails`.
#[derive(Debug, Clone)]
pub(crate) struct Cancellation {
    pub(crate) comment: String,
    pub(crate) owner_id: String,
    pub(crate) modified: String,
}

/// The status record of one requested item for one identity.
#[derive(Debug, Clone)]
pub(crate) struct RequestedItem {
    pub(crate) id: String,
    pub(crate) access_request_id: String,
    /// 1-based number of the access request in submission order (the autopilot's `seq`).
    pub(crate) seq: u64,
    /// The OAuth client whose token submitted it (`requested-by=me`).
    pub(crate) client_id: String,
    pub(crate) identity_id: String,
    pub(crate) item_id: String,
    pub(crate) item_name: String,
    pub(crate) item_type: &'static str,
    pub(crate) request_type: String,
    pub(crate) state: ItemState,
    pub(crate) created: String,
    pub(crate) modified: String,
    /// When the record last moved, for the autopilot's delays.
    pub(crate) changed_at: Instant,
    pub(crate) client_metadata: Option<Value>,
    pub(crate) comment: Option<String>,
    pub(crate) start_date: Option<String>,
    pub(crate) remove_date: Option<String>,
    pub(crate) approval: Approval,
    pub(crate) phases: Vec<Phase>,
    pub(crate) error_messages: Vec<String>,
    pub(crate) cancellation: Option<Cancellation>,
}

impl RequestedItem {
    /// Cancelable only while the approval is still pending.
    pub(crate) fn cancelable(&self) -> bool {
        self.state == ItemState::Executing && self.approval.status == ApprovalStatus::Pending
    }
}

/// All submissions and item records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) submitted: Vec<SubmittedAccessRequest>,
    pub(crate) items: Vec<RequestedItem>,
    /// Access requests assigned so far.
    pub(crate) requests: u64,
}

impl Ledger {
    /// The access request ids of pending grants of `item_id` to `identity_id`.
    pub(crate) fn pending_grant(&self, identity_id: &str, item_id: &str) -> Option<&RequestedItem> {
        self.items.iter().find(|record| {
            record.identity_id == identity_id
                && record.item_id == item_id
                && record.request_type == "GRANT_ACCESS"
                && record.state.is_pending()
        })
    }

    /// Every item record of `access_request_id`, mutable; empty when the id is unknown.
    pub(crate) fn request_mut(&mut self, access_request_id: &str) -> Vec<&mut RequestedItem> {
        self.items
            .iter_mut()
            .filter(|record| record.access_request_id == access_request_id)
            .collect()
    }

    /// Set the state of every item of `access_request_id`; false when there is none.
    pub(crate) fn set_state(
        &mut self,
        access_request_id: &str,
        state: ItemState,
        at: &str,
    ) -> bool {
        let records = self.request_mut(access_request_id);
        let found = !records.is_empty();
        for record in records {
            record.state = state;
            record.modified = at.to_string();
            record.changed_at = Instant::now();
        }
        found
    }
}

//! What the simulated IdentityNow remembers about access requests: every accepted
//! submission, and one status record per (identity, item).
//!
//! Each record carries its own [`ItemState`]; tests move it with
//! `IdentityNow::set_state`, and a later approval/provisioning simulation can do the same.

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

/// The status record of one requested item for one identity.
#[derive(Debug, Clone)]
pub(crate) struct RequestedItem {
    pub(crate) id: String,
    pub(crate) access_request_id: String,
    pub(crate) identity_id: String,
    pub(crate) item_id: String,
    pub(crate) item_name: String,
    pub(crate) item_type: &'static str,
    pub(crate) request_type: String,
    pub(crate) state: ItemState,
    pub(crate) created: String,
    pub(crate) modified: String,
    pub(crate) client_metadata: Option<Value>,
    pub(crate) comment: Option<String>,
    pub(crate) start_date: Option<String>,
    pub(crate) remove_date: Option<String>,
    pub(crate) cancel_comment: Option<String>,
}

/// All submissions and item records, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    pub(crate) submitted: Vec<SubmittedAccessRequest>,
    pub(crate) items: Vec<RequestedItem>,
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

    /// Set the state of every item of `access_request_id`; false when there is none.
    pub(crate) fn set_state(
        &mut self,
        access_request_id: &str,
        state: ItemState,
        at: &str,
    ) -> bool {
        let mut found = false;
        for record in self
            .items
            .iter_mut()
            .filter(|r| r.access_request_id == access_request_id)
        {
            record.state = state;
            record.modified = at.to_string();
            found = true;
        }
        found
    }
}

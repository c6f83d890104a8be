//! The bodies of the two event triggers the sandbox fires, shaped like SailPoint's
//! `AccessRequestPostApproval` ("Access Request Decision") and `ProvisioningCompleted`
//! examples.
//!
//! Both are built from the item records of one access request after the step that caused
//! them. The requester is always the service identity (the seed's owner), the approver the
//! requested-for identity's manager.

use serde_json::{json, Value};

use super::catalog::identity_ref;
use super::ledger::{ApprovalStatus, RequestedItem};
use super::lifecycle::Provisioning;
use crate::seed::Organisation;

/// `operation` of a requested item: `Remove` for revokes, `Add` otherwise.
fn operation(record: &RequestedItem) -> &'static str {
    if record.request_type == "REVOKE_ACCESS" {
        "Remove"
    } else {
        "Add"
    }
}

/// The Access Request Decision payload; `records` is one access request, non-empty.
pub(crate) fn decision(org: &Organisation, records: &[RequestedItem]) -> Value {
    let first = &records[0];
    let items: Vec<Value> = records
        .iter()
        .map(|record| {
            let approver = org.identity(&record.approval.owner_id);
            let decision = match record.approval.status {
                ApprovalStatus::Approved => "APPROVED",
                _ => "DENIED",
            };
            json!({
                "id": record.item_id,
                "name": record.item_name,
                "description": null,
                "type": record.item_type,
                "operation": operation(record),
                "comment": record.comment,
                "clientMetadata": record.client_metadata,
                "approvalInfo": [{
                    "approvalDecision": decision,
                    "approverName": approver.map(|person| person.alias.clone()),
                    "approvalComment": record.approval.comment,
                    "approver": identity_ref(org, &record.approval.owner_id),
                }],
            })
        })
        .collect();
    json!({
        "accessRequestId": first.access_request_id,
        "requestedFor": [identity_ref(org, &first.identity_id)],
        "requestedBy": requester(org),
        "requestedItemsStatus": items,
    })
}

/// The Provisioning Completed payload; `trackingNumber` is the access request id.
///
/// Each item becomes one account request on its application's source. A partly failed
/// request reports every item's account request as `SUCCESS` plus one more, `FAILED`, on the
/// first item's source: some of it happened, some did not.
pub(crate) fn provisioning_completed(
    org: &Organisation,
    records: &[RequestedItem],
    outcome: &Provisioning,
) -> Value {
    let first = &records[0];
    let account_id = org
        .identity(&first.identity_id)
        .map(|person| person.alias.clone())
        .unwrap_or_default();
    let result = match outcome {
        Provisioning::Succeeded | Provisioning::PartlyFailed(_) => "SUCCESS",
        Provisioning::Failed(_) => "FAILED",
    };
    let mut accounts: Vec<Value> = records
        .iter()
        .map(|record| account_request(org, record, &account_id, result, &record.item_name))
        .collect();
    if let Provisioning::PartlyFailed(_) = outcome {
        let part = format!("{} (secondary account)", first.item_name);
        accounts.push(account_request(org, first, &account_id, "FAILED", &part));
    }
    let mut sources: Vec<String> = Vec::new();
    for record in records {
        if let Some((app, _)) = org.item(&record.item_id) {
            if !sources.contains(&app.source_name) {
                sources.push(app.source_name.clone());
            }
        }
    }
    json!({
        "trackingNumber": first.access_request_id,
        "sources": sources.join(", "),
        "action": "Access Request",
        "errors": outcome.errors(),
        "warnings": [],
        "recipient": identity_ref(org, &first.identity_id),
        "requester": requester(org),
        "accountRequests": accounts,
    })
}

fn account_request(
    org: &Organisation,
    record: &RequestedItem,
    account_id: &str,
    result: &str,
    value: &str,
) -> Value {
    let (source_id, source_name) = org
        .item(&record.item_id)
        .map(|(app, _)| (app.source_id.clone(), app.source_name.clone()))
        .unwrap_or_default();
    json!({
        "source": {"id": source_id, "type": "SOURCE", "name": source_name},
        "accountId": account_id,
        "accountOperation": "Modify",
        "provisioningResult": result,
        "provisioningTarget": source_name,
        "ticketId": null,
        "attributeRequests": [{
            "attributeName": "memberOf",
            "attributeValue": value,
            "operation": operation(record),
        }],
    })
}

/// The service identity every request is submitted as.
pub(crate) fn requester(org: &Organisation) -> Value {
    identity_ref(org, org.owner().identity_id.as_deref().unwrap_or_default())
}

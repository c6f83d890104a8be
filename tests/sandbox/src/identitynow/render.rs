//! One item record as `GET /v3/access-request-status` prints it (`RequestedItemStatus`).

use serde_json::{json, Value};

use super::catalog::identity_ref;
use super::ledger::{PhaseState, RequestedItem};
use super::payloads::requester;
use crate::seed::Organisation;

fn error_message(text: &str) -> Value {
    json!({"locale": "en-US", "localeOrigin": "DEFAULT", "text": text})
}

/// `errorMessages` is a list of lists; the sandbox reports all of a request's errors as one
/// inner list, and `null` when there are none.
fn error_messages(record: &RequestedItem) -> Value {
    if record.error_messages.is_empty() {
        return Value::Null;
    }
    let inner: Vec<Value> = record
        .error_messages
        .iter()
        .map(|text| error_message(text))
        .collect();
    json!([inner])
}

fn phases(record: &RequestedItem) -> Vec<Value> {
    record
        .phases
        .iter()
        .map(|phase| {
            let (state, result) = match phase.state {
                PhaseState::Executing => ("EXECUTING", None),
                PhaseState::Succeeded => ("COMPLETED", Some("SUCCESSFUL")),
                PhaseState::Failed => ("COMPLETED", Some("FAILED")),
                PhaseState::Cancelled => ("CANCELLED", None),
            };
            json!({
                "name": phase.name,
                "state": state,
                "result": result,
                "started": phase.started,
                "finished": phase.finished,
                "phaseReference": phase.reference,
            })
        })
        .collect()
}

/// A `RequestedItemStatus` for one record.
pub(crate) fn requested_item_status(org: &Organisation, record: &RequestedItem) -> Value {
    let requester = requester(org);
    let approval = &record.approval;
    let cancelled = record.cancellation.as_ref().map(|cancel| {
        json!({
            "comment": cancel.comment,
            "owner": identity_ref(org, &cancel.owner_id),
            "modified": cancel.modified,
        })
    });
    json!({
        "id": record.access_request_id,
        "accessRequestId": record.access_request_id,
        "accountActivityItemId": record.id,
        "name": record.item_name,
        "type": record.item_type,
        "requestType": record.request_type,
        "state": record.state.as_str(),
        "created": record.created,
        "modified": record.modified,
        "requester": requester,
        "requestedFor": identity_ref(org, &record.identity_id),
        "requesterComment": record.comment.as_ref().map(|comment| {
            json!({"comment": comment, "created": record.created, "author": requester})
        }),
        "approvalDetails": [{
            "approvalId": approval.id,
            "scheme": "MANAGER",
            "status": approval.status.as_str(),
            "currentOwner": identity_ref(org, &approval.owner_id),
            "originalOwner": identity_ref(org, &approval.owner_id),
            "forwarded": false,
            "comment": approval.comment,
            "errorMessages": null,
            "modified": approval.modified,
            "removeDate": null,
        }],
        "approvalIds": [approval.id],
        "manualWorkItemDetails": null,
        "accessRequestPhases": phases(record),
        "errorMessages": error_messages(record),
        "cancelledRequestDetails": cancelled,
        "cancelable": record.cancelable(),
        "clientMetadata": record.client_metadata,
        "startDate": record.start_date,
        "removeDate": record.remove_date,
        "description": null,
    })
}

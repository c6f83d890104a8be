//! `GET /v3/access-request-status` and `POST /v3/access-requests/cancel`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::error::IdnError;
use super::filter::{Filter, Op};
use super::ledger::{ItemState, RequestedItem};
use super::lookup::page;
use super::Shared;
use crate::body::json_body;
use crate::clock::now_rfc3339;
use crate::contract::Schema;
use crate::seed::Organisation;

const FILTERS: &[(&str, &[Op])] = &[
    ("accessRequestId", &[Op::Eq, Op::In, Op::Sw]),
    ("accountActivityItemId", &[Op::Eq, Op::In, Op::Sw]),
];

/// `GET /v3/access-request-status`.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>, IdnError> {
    let filter = Filter::parse(params.get("filters").map(String::as_str), FILTERS)
        .map_err(|error| IdnError::BadRequest(error.to_string()))?;
    let requested_for = params.get("requested-for");
    if let Some(state) = params
        .get("request-state")
        .filter(|state| *state != "EXECUTING")
    {
        return Err(IdnError::BadRequest(format!(
            "Invalid request-state: {state}"
        )));
    }
    let only_executing = params.contains_key("request-state");

    let ledger = shared.ledger();
    let found = ledger
        .items
        .iter()
        .rev()
        .filter(|record| requested_for.is_none_or(|id| *id == record.identity_id))
        .filter(|record| !only_executing || record.state == ItemState::Executing)
        .filter(|record| {
            filter.matches(|field| match field {
                "accessRequestId" => Some(record.access_request_id.clone()),
                "accountActivityItemId" => Some(record.id.clone()),
                _ => None,
            })
        })
        .map(|record| render(&shared.org, record))
        .collect();
    page(&params, 250, found)
}

fn identity_ref(org: &Organisation, id: &str) -> Value {
    let name = org
        .identity(id)
        .map(|person| person.name.clone())
        .unwrap_or_default();
    json!({"type": "IDENTITY", "id": id, "name": name})
}

/// A `RequestedItemStatus` for one record.
fn render(org: &Organisation, record: &RequestedItem) -> Value {
    let owner = org.owner();
    let requester = identity_ref(org, owner.identity_id.as_deref().unwrap_or_default());
    let phase_state = if record.state.is_pending() {
        "EXECUTING"
    } else {
        "COMPLETED"
    };
    let cancelled = record.cancel_comment.as_ref().map(
        |comment| json!({"comment": comment, "owner": requester, "modified": record.modified}),
    );
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
        "approvalDetails": [],
        "approvalIds": [],
        "manualWorkItemDetails": null,
        "accessRequestPhases": [{
            "name": "APPROVAL_PHASE",
            "state": phase_state,
            "started": record.created,
            "finished": (!record.state.is_pending()).then_some(&record.modified),
            "result": null,
            "phaseReference": "approvalDetails",
        }],
        "errorMessages": null,
        "cancelledRequestDetails": cancelled,
        "cancelable": record.state == ItemState::Executing,
        "clientMetadata": record.client_metadata,
        "startDate": record.start_date,
        "removeDate": record.remove_date,
        "description": null,
    })
}

/// `POST /v3/access-requests/cancel`: 202 `{}` while cancelable.
pub(crate) async fn cancel(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), IdnError> {
    let body = json_body(&headers, &body, Schema::CancelAccessRequest)?;
    let id = body["accountActivityId"].as_str().unwrap_or_default();
    let comment = body["comment"].as_str().unwrap_or_default();

    let mut ledger = shared.ledger();
    let records: Vec<&mut RequestedItem> = ledger
        .items
        .iter_mut()
        .filter(|record| record.access_request_id == id)
        .collect();
    if records.is_empty() {
        return Err(IdnError::NotFound(format!("Access request {id} not found")));
    }
    if records
        .iter()
        .any(|record| record.state != ItemState::Executing)
    {
        return Err(IdnError::BadRequest(format!(
            "Access request {id} can no longer be cancelled"
        )));
    }
    let now = now_rfc3339();
    for record in records {
        record.state = ItemState::Cancelled;
        record.modified = now.clone();
        record.cancel_comment = Some(comment.to_string());
    }
    Ok((StatusCode::ACCEPTED, Json(json!({}))))
}
